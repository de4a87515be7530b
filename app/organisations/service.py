"""Rules and transactions for the organisation: regions, authorities, clusters, establishments
(areas: areas.py)."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, Forbidden, PreconditionFailed, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.text import contains_folded, fold
from app.core.types import utcnow
from app.frameworks.service import framework_exists
from app.identity.headteachers import by_school, current_headteachers
from app.identity.models import User
from app.identity.policy import (
    LINK_OFFICER_FIELDS,
    establishment_fields_refused,
    load_visible,
    require,
    visible,
)
from app.identity.principal import Principal, Role
from app.organisations import establishment_rows as rows_json
from app.organisations.areas import add_area as add_area  # the imports create areas
from app.organisations.areas import find_area as find_area  # trios match by area
from app.organisations.areas import resolve_area
from app.organisations.models import Area, Authority, Cluster, Establishment, Region
from app.organisations.schemas import (
    AreaRead,
    AuthorityCreate,
    AuthorityRead,
    AuthorityUpdate,
    ClusterCreate,
    ClusterRead,
    ClusterUpdate,
    EstablishmentCreate,
    EstablishmentRead,
    EstablishmentUpdate,
    EstablishmentUpsert,
    RegionCreate,
    RegionRead,
    RegionUpdate,
)

Page = tuple[list[Any], str | None]


def _unique(session: Session, model: type, column: Any, value: Any, label: str,
            exclude: uuid.UUID | None = None) -> None:
    stmt = select(model.id).where(column == value)  # type: ignore[attr-defined]
    if exclude is not None:
        stmt = stmt.where(model.id != exclude)  # type: ignore[attr-defined]
    if session.scalars(stmt).first() is not None:
        raise Conflict(f"{label} {value!r} is already in use.")


# Regions ------------------------------------------------------------------------------


def _region_read(session: Session, region: Region) -> RegionRead:
    ids = list(session.scalars(
        select(col(Authority.id)).where(col(Authority.region_id) == region.id).order_by(col(Authority.code))
    ))
    return RegionRead.model_validate({**region.model_dump(), "authority_ids": ids})


def list_regions(session: Session, principal: Principal, paginator: Paginator, *,
                 limit: int, cursor: str | None) -> tuple[list[RegionRead], str | None]:
    stmt = select(Region).where(visible(principal, Region))
    rows, next_cursor = paginator.page(session, stmt, [col(Region.code), col(Region.id)],
                                       scope="regions", limit=limit, cursor=cursor)
    return [_region_read(session, r) for r in rows], next_cursor


def get_region(session: Session, principal: Principal, region_id: uuid.UUID) -> RegionRead:
    return _region_read(session, load_visible(session, principal, Region, region_id))


def create_region(session: Session, principal: Principal, data: RegionCreate) -> RegionRead:
    region = Region(**data.model_dump())
    require(principal, "region.create", region)
    _unique(session, Region, col(Region.code), data.code, "Region code")
    session.add(region)
    session.flush()
    record_change(session, principal, "region.create", region)
    return _region_read(session, region)


def update_region(session: Session, principal: Principal, region_id: uuid.UUID,
                  data: RegionUpdate, if_match: IfMatch) -> RegionRead:
    region = load_visible(session, principal, Region, region_id)
    require(principal, "region.update", region)
    if_match(region.version)
    changes = data.model_dump(exclude_unset=True)
    if "code" in changes:
        _unique(session, Region, col(Region.code), changes["code"], "Region code", exclude=region.id)
    before = snapshot(region)
    if apply_changes(region, changes):
        session.flush()
        record_change(session, principal, "region.update", region, before=before)
    return _region_read(session, region)


# Authorities --------------------------------------------------------------------------


def _check_region(session: Session, region_id: uuid.UUID | None) -> None:
    if region_id is not None and session.get(Region, region_id) is None:
        raise rule("region_id", f"No region with id {region_id}.")


def _check_framework(session: Session, code: str | None) -> None:
    if code is not None and not framework_exists(session, code):
        raise rule("framework_code", f"No framework with code {code!r}.")


def list_authorities(session: Session, principal: Principal, paginator: Paginator, *,
                     limit: int, cursor: str | None, region_id: uuid.UUID | None = None,
                     q: str | None = None) -> Page:
    stmt = select(Authority).where(visible(principal, Authority))
    if region_id is not None:
        stmt = stmt.where(col(Authority.region_id) == region_id)
    if q:
        stmt = stmt.where(contains_folded(col(Authority.name_folded), q))
    rows, next_cursor = paginator.page(session, stmt, [col(Authority.code), col(Authority.id)],
                                       scope="authorities", limit=limit, cursor=cursor)
    return [AuthorityRead.model_validate(r) for r in rows], next_cursor


def get_authority(session: Session, principal: Principal, authority_id: uuid.UUID) -> AuthorityRead:
    return AuthorityRead.model_validate(load_visible(session, principal, Authority, authority_id))


def create_authority(session: Session, principal: Principal, data: AuthorityCreate) -> AuthorityRead:
    authority = Authority(**data.model_dump())
    require(principal, "authority.create", authority)
    _unique(session, Authority, col(Authority.code), data.code, "Authority code")
    _check_region(session, data.region_id)
    _check_framework(session, data.framework_code)
    session.add(authority)
    session.flush()
    record_change(session, principal, "authority.create", authority)
    return AuthorityRead.model_validate(authority)


SETTINGS_FIELDS = {"min_visits_per_session", "counted_visit_kinds", "framework_code"}


def update_authority(session: Session, principal: Principal, authority_id: uuid.UUID,
                     data: AuthorityUpdate, if_match: IfMatch) -> AuthorityRead:
    authority = load_visible(session, principal, Authority, authority_id)
    changes = data.model_dump(exclude_unset=True)
    # Authority admins keep their own settings; identity (code, name, region) is the admin's.
    action = "authority.update_settings" if set(changes) <= SETTINGS_FIELDS else "authority.update"
    require(principal, action, authority)
    if_match(authority.version)
    if "code" in changes:
        _unique(session, Authority, col(Authority.code), changes["code"], "Authority code",
                exclude=authority.id)
    if "region_id" in changes:
        _check_region(session, changes["region_id"])
    _check_framework(session, changes.get("framework_code"))
    before = snapshot(authority)
    if apply_changes(authority, changes):
        session.flush()
        record_change(session, principal, "authority.update", authority, before=before)
    return AuthorityRead.model_validate(authority)


# Clusters -----------------------------------------------------------------------------


def list_clusters(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                  cursor: str | None, authority_id: uuid.UUID | None = None,
                  area: str | None = None, q: str | None = None) -> Page:
    stmt = select(Cluster).where(visible(principal, Cluster))
    if authority_id is not None:
        stmt = stmt.where(col(Cluster.authority_id) == authority_id)
    if area is not None:  # the area the name finds in the cluster's authority
        stmt = stmt.where(col(Cluster.area_id).in_(
            select(col(Area.id)).where(col(Area.name_folded) == fold(area))))
    if q:
        stmt = stmt.where(contains_folded(col(Cluster.name_folded), q))
    rows, next_cursor = paginator.page(session, stmt, [col(Cluster.name), col(Cluster.id)],
                                       scope="clusters", limit=limit, cursor=cursor)
    return [ClusterRead.model_validate(r) for r in rows], next_cursor


def get_cluster(session: Session, principal: Principal, cluster_id: uuid.UUID) -> ClusterRead:
    return ClusterRead.model_validate(load_visible(session, principal, Cluster, cluster_id))


def _unique_cluster_name(session: Session, authority_id: uuid.UUID, name: str,
                         exclude: uuid.UUID | None = None) -> None:
    stmt = select(col(Cluster.id)).where(col(Cluster.authority_id) == authority_id, col(Cluster.name) == name)
    if exclude is not None:
        stmt = stmt.where(col(Cluster.id) != exclude)
    if session.scalars(stmt).first() is not None:
        raise Conflict(f"The authority already has a cluster named {name!r}.")


def create_cluster(session: Session, principal: Principal, data: ClusterCreate) -> ClusterRead:
    if session.get(Authority, data.authority_id) is None:
        raise rule("authority_id", f"No authority with id {data.authority_id}.")
    cluster = Cluster(**data.model_dump())
    require(principal, "cluster.create", cluster)
    _unique_cluster_name(session, data.authority_id, data.name)
    values = data.model_dump()
    resolve_area(session, data.authority_id, values)
    cluster.area_id, cluster.area = values["area_id"], values["area"]
    session.add(cluster)
    session.flush()
    record_change(session, principal, "cluster.create", cluster)
    return ClusterRead.model_validate(cluster)


def update_cluster(session: Session, principal: Principal, cluster_id: uuid.UUID,
                   data: ClusterUpdate, if_match: IfMatch) -> ClusterRead:
    cluster = load_visible(session, principal, Cluster, cluster_id)
    require(principal, "cluster.update", cluster)
    if_match(cluster.version)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        _unique_cluster_name(session, cluster.authority_id, changes["name"], exclude=cluster.id)
    if "area" in changes or "area_id" in changes:
        resolve_area(session, cluster.authority_id, changes)
    before = snapshot(cluster)
    if apply_changes(cluster, changes):
        session.flush()
        record_change(session, principal, "cluster.update", cluster, before=before)
    return ClusterRead.model_validate(cluster)


def delete_cluster(session: Session, principal: Principal, cluster_id: uuid.UUID,
                   if_match: IfMatch) -> None:
    cluster = load_visible(session, principal, Cluster, cluster_id)
    require(principal, "cluster.delete", cluster)
    if_match(cluster.version)
    in_use = session.scalar(select(func.count()).where(col(Establishment.cluster_id) == cluster.id))
    if in_use:
        raise Conflict(f"The cluster still has {in_use} establishment(s); move them first.")
    before = snapshot(cluster)
    session.delete(cluster)
    session.flush()
    record_change(session, principal, "cluster.delete", cluster, before=before, deleted=True)


# Establishments -----------------------------------------------------------------------


def _headteachers(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    ids = list(ids)
    if not ids:
        return {}
    # Core, not ORM: it runs for every page of a list.
    return by_school(session.connection().execute(current_headteachers(ids)))


def _establishment_read(session: Session, row: Establishment) -> EstablishmentRead:
    """The school just written, as the reads answer with it (establishment_rows)."""
    heads = _headteachers(session, [row.id]).get(row.id, [])
    return EstablishmentRead.model_validate(rows_json.record_document(row, heads))


def _check_links(session: Session, authority_id: uuid.UUID, values: dict[str, Any]) -> None:
    """A cluster and a link officer must belong to the establishment's own authority."""
    if session.get(Authority, authority_id) is None:
        raise rule("authority_id", f"No authority with id {authority_id}.")
    cluster_id = values.get("cluster_id")
    if cluster_id is not None:
        cluster = session.get(Cluster, cluster_id)
        if cluster is None or cluster.authority_id != authority_id:
            raise rule("cluster_id", "The cluster must belong to the establishment's authority.")
    officer_id = values.get("link_officer_id")
    if officer_id is not None:
        officer = session.get(User, officer_id)
        if (officer is None or officer.role != Role.officer or officer.deleted_at is not None
                or officer.authority_id != authority_id):
            raise rule("link_officer_id",
                       "The link officer must be an officer of the establishment's authority.")


def _add_establishment(session: Session, principal: Principal, values: dict[str, Any], *,
                       code_known_free: bool = False) -> Establishment:
    now = utcnow()  # given, not defaulted: SQLModel's default factories double the cost of a row
    establishment = Establishment(id=uuid.uuid4(), version=1, created_at=now, updated_at=now, **values)
    require(principal, "establishment.create", establishment)
    if not code_known_free:
        _unique(session, Establishment, col(Establishment.code), values["code"], "Establishment code")
    _check_links(session, values["authority_id"], values)
    if values.get("area") is not None or values.get("area_id") is not None:
        resolve_area(session, values["authority_id"], values)
        establishment.area_id, establishment.area = values["area_id"], values["area"]
    session.add(establishment)  # flushed by the next query, or with an import's whole batch
    record_change(session, principal, "establishment.create", establishment)
    return establishment


def create_establishment(session: Session, principal: Principal,
                         data: EstablishmentCreate) -> EstablishmentRead:
    return _establishment_read(session, _add_establishment(session, principal, data.model_dump()))


def _check_field_rights(principal: Principal, establishment: Establishment,
                        changes: dict[str, Any]) -> None:
    """403 naming the fields a link officer may not change (policy: LINK_OFFICER_FIELDS),
    before anything is looked up or written. A field sent with its stored value is no change
    (a GET's body may be sent back whole)."""
    changed = [name for name, value in changes.items() if getattr(establishment, name) != value]
    refused = establishment_fields_refused(principal, establishment, changed)
    if not refused:
        return
    msg = ("Only administrators, the authority's admins and its MIS (establishments:write) "
           "may change this.")
    raise Forbidden(
        f"You may not change {', '.join(refused)} of this establishment: they are its "
        f"authority's to set. A link officer may change {', '.join(sorted(LINK_OFFICER_FIELDS))}.",
        errors=[{"loc": ["body", name], "msg": msg, "type": "forbidden.field"} for name in refused])


def _update(session: Session, principal: Principal, establishment: Establishment,
            changes: dict[str, Any]) -> bool:
    """Apply `changes` under the rules; False (and no audit, no new version) if none differ."""
    _check_field_rights(principal, establishment, changes)
    merged = {**establishment.model_dump(), **changes}
    if "authority_id" in changes and changes["authority_id"] != establishment.authority_id:
        # Moving a school between councils is an admin's act.
        require(principal, "establishment.create",
                Establishment.model_validate(merged))
    _check_links(session, merged["authority_id"], {
        k: merged[k] for k in ("cluster_id", "link_officer_id")
        if k in changes or merged["authority_id"] != establishment.authority_id
    })
    if "area" in changes or "area_id" in changes:
        changes = {**changes}
        resolve_area(session, merged["authority_id"], changes)
    elif merged["authority_id"] != establishment.authority_id and establishment.area_id:
        # Another authority: the area of the same name there (an area is an authority's).
        changes = {**changes, "area": establishment.area}
        resolve_area(session, merged["authority_id"], changes)
    if all(getattr(establishment, name) == value for name, value in changes.items()):
        return False
    before = snapshot(establishment)
    apply_changes(establishment, changes)
    session.flush()
    record_change(session, principal, "establishment.update", establishment, before=before)
    return True


def update_establishment(session: Session, principal: Principal, establishment_id: uuid.UUID,
                         data: EstablishmentUpdate, if_match: IfMatch) -> EstablishmentRead:
    establishment = load_visible(session, principal, Establishment, establishment_id)
    require(principal, "establishment.update", establishment)
    if_match(establishment.version)
    changes = data.model_dump(exclude_unset=True)
    _check_field_rights(principal, establishment, changes)  # before a taken code says 409
    if "code" in changes:
        _unique(session, Establishment, col(Establishment.code), changes["code"],
                "Establishment code", exclude=establishment.id)
    _update(session, principal, establishment, changes)
    return _establishment_read(session, establishment)


def establishments_by_code(session: Session, principal: Principal,
                           codes: Iterable[str]) -> dict[str, tuple[Establishment, bool]]:
    """The establishments holding these codes, each with whether the caller may see it: one
    query, for one upsert or for a whole batch of an import."""
    rows = session.execute(
        select(Establishment, visible(principal, Establishment))
        .where(col(Establishment.code).in_(list(codes)))
    )
    return {row.code: (row, bool(seen)) for row, seen in rows.tuples()}


def write_establishment(session: Session, principal: Principal, code: str, values: dict[str, Any],
                        found: tuple[Establishment, bool] | None,
                        if_match: IfMatch | None = None) -> tuple[Establishment, str]:
    """The upsert by code, its current row already looked up (`found`, from
    establishments_by_code): "created", "updated" or "unchanged". `values` are the fields to
    set: all of them for a PUT, only those a file has columns for in an import."""
    if found is None:
        create = EstablishmentCreate.model_validate({**values, "code": code})
        return _add_establishment(session, principal, create.model_dump(), code_known_free=True), "created"
    existing, is_visible = found
    if not is_visible:
        # Someone else's school. A caller who could not create here is refused as if the code
        # were free (403), so only a caller with write rights learns that the code is taken.
        require(principal, "establishment.create",
                Establishment(**{"authority_id": principal.authority_id, **values, "code": code}))
        raise Conflict(f"Establishment code {code!r} is registered outside your reach.")
    require(principal, "establishment.update", existing)
    if if_match is not None:
        if_match(existing.version)
    changed = _update(session, principal, existing, values)
    return existing, "updated" if changed else "unchanged"


def upsert_establishment(session: Session, principal: Principal, code: str,
                         data: EstablishmentUpsert, if_match: IfMatch) -> tuple[EstablishmentRead, bool]:
    """Create or bring up to date by SEED code / URN; returns (establishment, created). A field
    the body leaves out keeps what is stored (a council MIS cannot know the hub's clusters or
    link officers); on creation it takes its default."""
    found = establishments_by_code(session, principal, [code]).get(code)
    if found is None and if_match.header is not None:  # RFC 9110: If-Match on nothing fails
        raise PreconditionFailed(f"No establishment with code {code} to match: it does not exist.")
    if found is not None and found[1]:  # an update: what is left out stays
        sent = data.model_dump(exclude_unset=True)
        values = {**sent, "authority_id": sent.get("authority_id") or found[0].authority_id}
    else:  # a creation (or a refusal, checked as a creation would be)
        values = data.model_dump()
        if values["authority_id"] is None:
            if principal.authority_id is None:
                raise rule("authority_id", "Name the authority: the caller is bound to none.")
            values["authority_id"] = principal.authority_id
    establishment, outcome = write_establishment(session, principal, code, values, found, if_match)
    return _establishment_read(session, establishment), outcome == "created"


def hold_organisation(session: Session, authority_ids: Iterable[uuid.UUID]) -> list[Any]:
    """Load these authorities and their clusters into the session, and return them: while the
    caller holds the list, the rule checks of a batch of writes find them without a query each
    (the session keeps unchanged records only as long as someone else does)."""
    ids = list(set(authority_ids))
    if not ids:
        return []
    authorities = list(session.scalars(select(Authority).where(col(Authority.id).in_(ids))))
    clusters = list(session.scalars(select(Cluster).where(col(Cluster.authority_id).in_(ids))))
    areas = list(session.scalars(select(Area).where(col(Area.authority_id).in_(ids))))
    return [*authorities, *clusters, *areas]


def authority_directory(session: Session) -> list[tuple[uuid.UUID, str, str]]:
    """(id, code, name) of every authority: a few dozen rows of reference data, read once by an
    import to resolve the codes and names in a file."""
    rows = session.execute(select(col(Authority.id), col(Authority.code), col(Authority.name)))
    return [(i, code, name) for i, code, name in rows.tuples()]


def region_directory(session: Session) -> dict[str, uuid.UUID]:
    """Region code -> id, for imports."""
    return {code: i for i, code in session.execute(select(col(Region.id), col(Region.code))).tuples()}


def area_directory(session: Session, authority_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """An authority's areas, each name and former name as folded -> id: for an import."""
    found: dict[str, uuid.UUID] = {}
    for area in session.scalars(select(Area).where(col(Area.authority_id) == authority_id)):
        for name in (*area.former_names, area.name):
            found[fold(name)] = area.id
    return found


def cluster_directory(session: Session, authority_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """An authority's clusters, name -> id: one query, cached by an import per authority."""
    rows = session.execute(select(col(Cluster.name), col(Cluster.id))
                           .where(col(Cluster.authority_id) == authority_id))
    return {name: cluster_id for name, cluster_id in rows.tuples()}


def delete_establishment(session: Session, principal: Principal, establishment_id: uuid.UUID,
                         if_match: IfMatch) -> None:
    establishment = load_visible(session, principal, Establishment, establishment_id)
    require(principal, "establishment.delete", establishment)
    if_match(establishment.version)
    before = snapshot(establishment)
    session.delete(establishment)
    session.flush()
    record_change(session, principal, "establishment.delete", establishment, before=before,
                  deleted=True)


def load_reference_organisations(session: Session) -> int:
    """Scotland's six collaboratives and 32 councils, inserted where missing."""
    import json
    from importlib import resources

    document = json.loads(
        resources.files("app.reference").joinpath("scotland.json").read_text("utf-8")
    )
    added = 0
    regions = {r.code: r for r in session.scalars(select(Region))}
    for raw in document["regions"]:
        if raw["code"] not in regions:
            regions[raw["code"]] = Region(code=raw["code"], name=raw["name"])
            session.add(regions[raw["code"]])
            added += 1
    session.flush()
    known = set(session.scalars(select(col(Authority.code))))
    for raw in document["authorities"]:
        if raw["code"] not in known:
            session.add(Authority(code=raw["code"], name=raw["name"],
                                  region_id=regions[raw["region"]].id))
            added += 1
    session.flush()
    return added


# The change feed's documents (audit/feed.py): what GET answers --------------------------

feed_document("region", Region, key=lambda r: {"code": r.code})(
    lambda session, regions: [_region_read(session, r) for r in regions])
feed_document("authority", Authority, key=lambda a: {"code": a.code})(
    lambda _session, authorities: [AuthorityRead.model_validate(a) for a in authorities])
feed_document("cluster", Cluster, key=lambda c: {"authority_id": c.authority_id, "name": c.name})(
    lambda _session, clusters: [ClusterRead.model_validate(c) for c in clusters])
feed_document("area", Area, key=lambda a: {"authority_id": a.authority_id, "name": a.name})(
    lambda _session, areas: [AreaRead.model_validate(a) for a in areas])


@feed_document("establishment", Establishment, key=lambda e: {"code": e.code})
def _establishment_documents(session: Session, schools: list[Establishment]) -> list[Any]:
    heads = _headteachers(session, [s.id for s in schools])
    return [rows_json.record_document(s, heads.get(s.id, [])) for s in schools]
