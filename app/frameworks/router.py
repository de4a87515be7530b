"""HTTP for frameworks and the NIF."""

from typing import Annotated

from fastapi import Path, Response, status

from app.core.conditional import with_version_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.frameworks import service
from app.frameworks.schemas import FrameworkCode, FrameworkCreate, FrameworkRead, NifRead
from app.identity.deps import PrincipalDep, protected_router

router = protected_router(tags=["frameworks"])


@router.get("/frameworks", operation_id="listFrameworks",
            summary="List evaluation frameworks with their scales and indicators (by code)",
            response_model=Page[FrameworkRead])
def list_frameworks(session: SessionDep, paginator: PaginatorDep, limit: Limit = 50,
                    cursor: Cursor = None) -> Page[FrameworkRead]:
    items, next_cursor = service.list_frameworks(session, paginator, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/frameworks", operation_id="createFramework",
             summary="Add a framework with its own scale (admin)",
             status_code=status.HTTP_201_CREATED, response_model=FrameworkRead,
             responses=problems(400, 403, 409, 413, 415, 422))
def create_framework(body: FrameworkCreate, session: SessionDep, principal: PrincipalDep,
                     response: Response) -> FrameworkRead:
    framework = service.create_framework(session, principal, body)
    response.headers["Location"] = f"/api/v1/frameworks/{framework.code}"
    return with_version_etag(response, framework)


@router.get("/frameworks/{code}", operation_id="getFramework",
            summary="Get a framework by code (HGIOS4, HGIOELC, ...)",
            response_model=FrameworkRead, responses=problems(404, 422))
def get_framework(code: Annotated[FrameworkCode, Path()], session: SessionDep) -> FrameworkRead:
    return service.get_framework(session, code)


@router.get("/nif", operation_id="getNif",
            summary="National Improvement Framework priorities and drivers",
            response_model=NifRead)
def get_nif(session: SessionDep) -> NifRead:
    return service.get_nif(session)
