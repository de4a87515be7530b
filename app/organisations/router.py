"""HTTP for regions, authorities, clusters and establishments."""

import uuid
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response, status

from app.core.conditional import (
    IfMatchDep,
    OptionalIfMatchDep,
    conditional_get,
    etag_with,
    with_etag,
    with_version_etag,
)
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, Page, PaginatorDep
from app.core.reads import ReadsDep
from app.core.schemas import Instant, QueryText, Rag, SchoolSession, SupportLevel
from app.identity.deps import PrincipalDep, protected_router
from app.organisations import areas, service
from app.organisations import establishment_reads as reads_service
from app.organisations import establishment_rows as rows_json
from app.organisations.schemas import (
    AreaCreate,
    AreaListItem,
    AreaMerge,
    AreaRead,
    AreaUpdate,
    AuthorityCreate,
    AuthorityRead,
    AuthorityUpdate,
    ClusterCreate,
    ClusterRead,
    ClusterUpdate,
    EstablishmentCreate,
    EstablishmentRead,
    EstablishmentStatus,
    EstablishmentUpdate,
    EstablishmentUpsert,
    PlanStatusFilter,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    Sector,
)
from app.organisations.schools import LinkOfficerQuery, officer

router = protected_router(tags=["organisation"])
READ = problems(400, 404)
YearSession = Annotated[SchoolSession | None, Query(
    alias="session", description="The session of each school's `current` year (default: the "
    "current one), e.g. 2025-26")]
CREATE = problems(400, 403, 409, 413, 415, 422)
UPDATE = problems(400, 403, 404, 409, 412, 413, 415, 422, 428)
DELETE = problems(403, 404, 409, 412, 428)
# Who may change which fields: identity.policy.organisations (LINK_OFFICER_FIELDS).
FIELD_RIGHTS = (
    "Administrators, the establishment's authority admins and clients with "
    "`establishments:write` bound to its authority may change every field. Its link officer "
    "maintains its details: `name`, `roll`, `simd_q1_percent`, `gaelic_medium`, `cluster_id`, "
    "`area` and `area_id`; `code`, `sector`, `status`, `authority_id` and `link_officer_id` "
    "are the authority's (closing a school takes it out of every summary). So are its "
    "`denomination`, its address and contact details (`address_lines`, `postcode`, `phone`, "
    "`email`, `website`) and its location (`uprn`, `data_zone`, `urban_rural_6fold`, "
    "`urban_rural_8fold`, `latitude`, `longitude`): they come from the council's register "
    "(the school roll import) and every officer visiting the school relies on them. A link officer "
    "who sends one of those with another value than the stored one is refused with 403 "
    "naming the fields in `errors`, and nothing of the request is applied; sending a stored "
    "value back unchanged is accepted."
)
Q = Annotated[QueryText | None, Query(description="Text search on the name")]


def json_response(document: Any, response: Response) -> Any:
    """The hot reads answer with their document written once, here, by orjson: returned as a
    model, FastAPI would validate it against response_model again (the declared contract
    stays the same; see establishment_rows). Headers set on the injected `response` (the
    ETag) are kept, as FastAPI would."""
    if isinstance(document, Response):
        return document  # a 304
    answer = Response(rows_json.to_json(document), media_type="application/json")
    answer.raw_headers += [(k, v) for k, v in response.raw_headers if k != b"content-length"]
    return answer


def created(response: Response, body: Any, location: str) -> Any:
    response.headers["Location"] = location
    return with_version_etag(response, body)


# Establishments (first: the hottest reads, matched route by route)


@router.get("/establishments", operation_id="listEstablishments", summary="List establishments",
            response_model=Page[EstablishmentRead], responses=problems(400, 403, 404))
async def list_establishments(
    reads: ReadsDep, principal: PrincipalDep, paginator: PaginatorDep, response: Response,
    limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None,
    authority_id: uuid.UUID | None = None, cluster_id: uuid.UUID | None = None,
    sector: Sector | None = None, status: EstablishmentStatus | None = None,
    gaelic_medium: bool | None = None, link_officer_id: LinkOfficerQuery = None,
    q: Annotated[QueryText | None, Query(description="Name contains, or code starts with")] = None,
    updated_since: Instant | None = None,
    rag: Annotated[Rag | None, Query(description="The RAG in force in `session`")] = None,
    support_level: Annotated[SupportLevel | None, Query(
        description="The support level in force in `session`")] = None,
    school_session: YearSession = None,
    plan_status: Annotated[PlanStatusFilter | None, Query(
        description="The plan's status in `session`; `none`: no plan")] = None,
    below_visit_minimum: Annotated[bool | None, Query(
        description="Fewer final visits of the counted kinds in `session` than the minimum "
                    "(false: at or above it)")] = None,
) -> Page[EstablishmentRead]:
    items, next_cursor = await reads_service.list_establishments(
        reads, principal, paginator, limit=limit, cursor=cursor,
        authority_id=authority_id, cluster_id=cluster_id, sector=sector, status=status,
        gaelic_medium=gaelic_medium, link_officer_id=officer(principal, link_officer_id),
        q=q, updated_since=updated_since, rag=rag, support_level=support_level,
        session_name=school_session, plan_status=plan_status,
        below_visit_minimum=below_visit_minimum)
    return json_response({"items": items, "next_cursor": next_cursor}, response)


@router.post("/establishments", operation_id="createEstablishment",
             summary="Create an establishment", status_code=status.HTTP_201_CREATED,
             response_model=EstablishmentRead, responses=CREATE)
def create_establishment(body: EstablishmentCreate, session: SessionDep, principal: PrincipalDep,
                         response: Response) -> EstablishmentRead:
    establishment = service.create_establishment(session, principal, body)
    return created(response, establishment, f"/api/v1/establishments/{establishment.id}")


@router.put(
    "/establishments/by-code/{code}", operation_id="upsertEstablishmentByCode",
    summary="Create or update an establishment by SEED code or URN",
    description="Idempotent upsert for MIS integrations: 201 when created, 200 when updated. "
    "Sending what is already stored changes nothing and leaves `version` as it was. A field "
    "left out of the body keeps what is stored (on creation, its default): an MIS that does "
    "not know the hub's clusters, areas or link officers leaves them as the hub has them. "
    "If-Match is checked when sent (412 when the code has no establishment yet); without it "
    "the MIS, as system of record, wins. Updating, the same field rights hold as for PATCH: "
    + FIELD_RIGHTS,
    response_model=EstablishmentRead,
    responses={201: {"model": EstablishmentRead, "description": "Created"},
               **problems(400, 403, 409, 412, 413, 415, 422)},
)
def upsert_establishment_by_code(
    code: Annotated[str, Path(pattern=r"^([0-9]{7}|[0-9]{6})$")],
    body: EstablishmentUpsert, session: SessionDep, principal: PrincipalDep,
    if_match: OptionalIfMatchDep, response: Response,
) -> EstablishmentRead:
    establishment, was_created = service.upsert_establishment(session, principal, code, body,
                                                              if_match)
    if was_created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/api/v1/establishments/{establishment.id}"
    return with_version_etag(response, establishment)


@router.get("/establishments/{establishment_id}", operation_id="getEstablishment",
            summary="Get an establishment", response_model=EstablishmentRead, responses=READ,
            openapi_extra=conditional_get())
async def get_establishment(establishment_id: uuid.UUID, reads: ReadsDep,
                            principal: PrincipalDep, request: Request, response: Response,
                            school_session: YearSession = None) -> Any:
    establishment = await reads_service.get_establishment(reads, principal, establishment_id,
                                                          school_session)
    tag = etag_with(establishment["version"], establishment["current"])
    answer = with_etag(request, response, establishment, establishment["version"], tag)
    return json_response(answer, response)


@router.patch("/establishments/{establishment_id}", operation_id="updateEstablishment",
              summary="Update an establishment", response_model=EstablishmentRead,
              description=FIELD_RIGHTS, responses=UPDATE)
def update_establishment(establishment_id: uuid.UUID, body: EstablishmentUpdate,
                         session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep,
                         response: Response) -> EstablishmentRead:
    return with_version_etag(response, service.update_establishment(session, principal, establishment_id,
                                                          body, if_match))


@router.delete("/establishments/{establishment_id}", operation_id="deleteEstablishment",
               summary="Delete an establishment", status_code=status.HTTP_204_NO_CONTENT,
               responses=DELETE)
def delete_establishment(establishment_id: uuid.UUID, session: SessionDep,
                         principal: PrincipalDep, if_match: IfMatchDep) -> Response:
    service.delete_establishment(session, principal, establishment_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Regions


@router.get("/regions", operation_id="listRegions", summary="List regions (RICs)",
            response_model=Page[RegionRead], responses=READ)
def list_regions(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                 limit: Limit = 50, cursor: Cursor = None) -> Page[RegionRead]:
    items, next_cursor = service.list_regions(session, principal, paginator,
                                              limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/regions", operation_id="createRegion", summary="Create a region",
             status_code=status.HTTP_201_CREATED, response_model=RegionRead, responses=CREATE)
def create_region(body: RegionCreate, session: SessionDep, principal: PrincipalDep,
                  response: Response) -> RegionRead:
    region = service.create_region(session, principal, body)
    return created(response, region, f"/api/v1/regions/{region.id}")


@router.get("/regions/{region_id}", operation_id="getRegion", summary="Get a region",
            response_model=RegionRead, responses=READ,
            openapi_extra=conditional_get())
def get_region(region_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
               request: Request, response: Response) -> Any:
    region = service.get_region(session, principal, region_id)
    return with_etag(request, response, region, region.version)


@router.patch("/regions/{region_id}", operation_id="updateRegion", summary="Update a region",
              response_model=RegionRead, responses=UPDATE)
def update_region(region_id: uuid.UUID, body: RegionUpdate, session: SessionDep,
                  principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> RegionRead:
    return with_version_etag(response, service.update_region(session, principal, region_id, body, if_match))


# Authorities


@router.get("/authorities", operation_id="listAuthorities", summary="List local authorities",
            response_model=Page[AuthorityRead], responses=READ)
def list_authorities(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                     limit: Limit = 50, cursor: Cursor = None,
                     region_id: uuid.UUID | None = None, q: Q = None) -> Page[AuthorityRead]:
    items, next_cursor = service.list_authorities(
        session, principal, paginator, limit=limit, cursor=cursor, region_id=region_id, q=q)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/authorities", operation_id="createAuthority", summary="Create a local authority",
             status_code=status.HTTP_201_CREATED, response_model=AuthorityRead, responses=CREATE)
def create_authority(body: AuthorityCreate, session: SessionDep, principal: PrincipalDep,
                     response: Response) -> AuthorityRead:
    authority = service.create_authority(session, principal, body)
    return created(response, authority, f"/api/v1/authorities/{authority.id}")


@router.get("/authorities/{authority_id}", operation_id="getAuthority",
            summary="Get a local authority", response_model=AuthorityRead, responses=READ,
            openapi_extra=conditional_get())
def get_authority(authority_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                  request: Request, response: Response) -> Any:
    authority = service.get_authority(session, principal, authority_id)
    return with_etag(request, response, authority, authority.version)


@router.patch("/authorities/{authority_id}", operation_id="updateAuthority",
              summary="Update a local authority or its settings",
              description="Authority admins may change their own authority's settings "
              "(`min_visits_per_session`); code, name and region are the service admin's.",
              response_model=AuthorityRead, responses=UPDATE)
def update_authority(authority_id: uuid.UUID, body: AuthorityUpdate, session: SessionDep,
                     principal: PrincipalDep, if_match: IfMatchDep,
                     response: Response) -> AuthorityRead:
    return with_version_etag(response, service.update_authority(session, principal, authority_id,
                                                      body, if_match))


# Areas


AREAS = ("An authority's areas are named things: a school or cluster names one of them "
         "(`area` by name, found whatever its case, accents or apostrophes, or `area_id`), and "
         "a trio's schools share one. Only imports create areas implicitly.")


@router.get("/authorities/{authority_id}/areas", operation_id="listAreas",
            summary="List an authority's areas, with their schools and clusters counted",
            description=AREAS, response_model=Page[AreaListItem], responses=READ)
def list_areas(authority_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
               paginator: PaginatorDep, limit: Limit = 50, cursor: Cursor = None,
               q: Q = None) -> Page[AreaListItem]:
    items, next_cursor = areas.list_areas(session, principal, paginator, authority_id,
                                            limit=limit, cursor=cursor, q=q)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/authorities/{authority_id}/areas", operation_id="createArea",
             summary="Add an area to an authority (its admins)", description=AREAS,
             status_code=status.HTTP_201_CREATED, response_model=AreaRead,
             responses=problems(400, 403, 404, 409, 413, 415, 422))
def create_area(authority_id: uuid.UUID, body: AreaCreate, session: SessionDep,
                principal: PrincipalDep, response: Response) -> AreaRead:
    area = areas.create_area(session, principal, authority_id, body)
    return created(response, area, f"/api/v1/areas/{area.id}")


@router.get("/areas/{area_id}", operation_id="getArea", summary="Get an area",
            description="The area's counts of schools and clusters are in the authority's "
            "list of areas (they change with every school that moves, not with the area's "
            "version).", response_model=AreaRead, responses=READ,
            openapi_extra=conditional_get())
def get_area(area_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
             request: Request, response: Response) -> Any:
    area = areas.get_area(session, principal, area_id)
    return with_etag(request, response, area, area.version)


@router.patch("/areas/{area_id}", operation_id="updateArea", summary="Rename an area",
              description="Its schools and clusters take the new name (each a new version, "
              "audited and in the change feed); the old name stays among `former_names`, so a "
              "write or an import naming it still finds the area.",
              response_model=AreaRead, responses=UPDATE)
def update_area(area_id: uuid.UUID, body: AreaUpdate, session: SessionDep,
                principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> AreaRead:
    return with_version_etag(response, areas.update_area(session, principal, area_id, body,
                                                           if_match))


@router.post("/areas/{area_id}/merge", operation_id="mergeArea",
             summary="Merge an area into another of its authority",
             description="In one transaction: the area's schools and clusters move to the other "
             "area (each a new version, audited and in the change feed), its names become the "
             "other's `former_names`, and it is deleted. Answers the area merged into. "
             "If-Match, when sent, is checked against the merged area's version.",
             response_model=AreaRead,
             responses=problems(400, 403, 404, 409, 412, 413, 415, 422))
def merge_area(area_id: uuid.UUID, body: AreaMerge, session: SessionDep,
               principal: PrincipalDep, if_match: OptionalIfMatchDep,
               response: Response) -> AreaRead:
    return with_version_etag(response, areas.merge_area(session, principal, area_id, body,
                                                          if_match))


# Clusters


@router.get("/clusters", operation_id="listClusters", summary="List clusters",
            response_model=Page[ClusterRead], responses=READ)
def list_clusters(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                  limit: Limit = 50, cursor: Cursor = None,
                  authority_id: uuid.UUID | None = None,
                  area: Annotated[QueryText | None, Query()] = None,
                  q: Q = None) -> Page[ClusterRead]:
    items, next_cursor = service.list_clusters(
        session, principal, paginator, limit=limit, cursor=cursor,
        authority_id=authority_id, area=area, q=q)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/clusters", operation_id="createCluster", summary="Create a cluster",
             status_code=status.HTTP_201_CREATED, response_model=ClusterRead, responses=CREATE)
def create_cluster(body: ClusterCreate, session: SessionDep, principal: PrincipalDep,
                   response: Response) -> ClusterRead:
    cluster = service.create_cluster(session, principal, body)
    return created(response, cluster, f"/api/v1/clusters/{cluster.id}")


@router.get("/clusters/{cluster_id}", operation_id="getCluster", summary="Get a cluster",
            response_model=ClusterRead, responses=READ,
            openapi_extra=conditional_get())
def get_cluster(cluster_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                request: Request, response: Response) -> Any:
    cluster = service.get_cluster(session, principal, cluster_id)
    return with_etag(request, response, cluster, cluster.version)


@router.patch("/clusters/{cluster_id}", operation_id="updateCluster", summary="Update a cluster",
              response_model=ClusterRead, responses=UPDATE)
def update_cluster(cluster_id: uuid.UUID, body: ClusterUpdate, session: SessionDep,
                   principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> ClusterRead:
    return with_version_etag(response, service.update_cluster(session, principal, cluster_id, body, if_match))


@router.delete("/clusters/{cluster_id}", operation_id="deleteCluster",
               summary="Delete a cluster with no establishments",
               status_code=status.HTTP_204_NO_CONTENT, responses=DELETE)
def delete_cluster(cluster_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                   if_match: IfMatchDep) -> Response:
    service.delete_cluster(session, principal, cluster_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
