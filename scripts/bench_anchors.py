"""The anchors scripts/bench_speed.py measures the service against, each served by uvicorn in a
process of its own (`scripts.bench_anchors:bare_app` and so on), reading the database and keys
from the same environment as the service (servers.bench_env):

- `bare_app`: FastAPI at its cheapest, an `async def` endpoint returning a small dict.
- `select_app`: one establishment by id, one SELECT through a psycopg_pool AsyncConnectionPool
  of 4 async psycopg connections (autocommit: the SELECT is the only statement), no auth, every
  column, the row returned as a dict for FastAPI to send as JSON. PostgreSQL only.
- `template_app`: the way of the full-stack-fastapi-template: sync `def` routes (run in the
  threadpool), a SQLModel Session per request from a dependency, the bearer token decoded with
  python-jose (RS256 against the public half of the service's active key, aud and iss checked
  as the service checks them), the user loaded with session.get(User, id), the establishment
  with session.get(Establishment, id), returned through `response_model`; and its list of 100
  (a count and `select(Establishment).offset(0).limit(100)`, as the template's `ItemsPublic`).

Nothing here is cached beyond what each way caches by itself (the template's parsed key)."""

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine, func, select

from app import models as _every_table  # noqa: F401 - so that the mappers configure
from app.identity.models import User
from app.organisations.models import Establishment


def database_url() -> str:
    return os.environ["SIH_DATABASE_URL"]


# 1. bare

bare_app = FastAPI()


@bare_app.get("/bare")
async def bare() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}


# 2. one SELECT through psycopg's async pool


@asynccontextmanager
async def select_lifespan(app: FastAPI) -> AsyncIterator[None]:
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    conninfo = make_url(database_url()).set(drivername="postgresql").render_as_string(
        hide_password=False)
    async with AsyncConnectionPool(conninfo, min_size=4, max_size=4, open=False,
                                   kwargs={"autocommit": True, "row_factory": dict_row}) as pool:
        app.state.pool = pool
        yield


select_app = FastAPI(lifespan=select_lifespan)


@select_app.get("/healthz")
async def select_ready() -> dict[str, str]:
    return {"status": "ok"}


@select_app.get("/establishments/{establishment_id}")
async def select_one(establishment_id: uuid.UUID) -> dict[str, Any]:
    async with select_app.state.pool.connection() as connection:
        cursor = await connection.execute("SELECT * FROM establishment WHERE id = %s",
                                          (establishment_id,))
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Establishment not found")
    return dict(row)


# 3. the template's way

template_app = FastAPI()


@cache
def template_engine() -> Engine:
    return create_engine(database_url())  # as the template's core/db.py: the default pool


@cache
def template_key() -> Any:
    """The public half of the service's active signing key, parsed once (the template reads
    its key from settings once, too)."""
    private = json.loads(os.environ["SIH_JWT_PRIVATE_KEYS"])
    pem = private[os.environ.get("SIH_JWT_ACTIVE_KID") or next(iter(private))]
    return serialization.load_pem_private_key(pem.encode(), password=None).public_key()


def get_db() -> Iterator[Session]:
    with Session(template_engine()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token"))]


class TokenPayload(SQLModel):
    sub: str | None = None


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(token, template_key(), algorithms=["RS256"],
                             audience=os.environ.get("SIH_JWT_AUDIENCE", "school-improvement-hub-api"),
                             issuer=os.environ.get("SIH_JWT_ISSUER", "school-improvement-hub"))
        token_data = TokenPayload(**payload)
    except (JWTError, ValidationError) as exc:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN,
                            detail="Could not validate credentials") from exc
    kind, _, user_id = (token_data.sub or "").partition(":")
    user = session.get(User, uuid.UUID(user_id)) if kind == "user" else None
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    if not user.active:
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class EstablishmentPublic(SQLModel):
    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
    code: str
    name: str
    sector: str
    authority_id: uuid.UUID
    cluster_id: uuid.UUID | None
    area: str | None
    roll: int
    simd_q1_percent: Decimal | None
    gaelic_medium: bool
    status: str
    link_officer_id: uuid.UUID | None


class EstablishmentsPublic(SQLModel):
    data: list[EstablishmentPublic]
    count: int


@template_app.get("/healthz")
def template_ready() -> dict[str, str]:
    return {"status": "ok"}


@template_app.get("/establishments/", response_model=EstablishmentsPublic)
def read_establishments(session: SessionDep, current_user: CurrentUser,
                        skip: int = 0, limit: int = 100) -> Any:
    count = session.exec(select(func.count()).select_from(Establishment)).one()
    items = session.exec(select(Establishment).offset(skip).limit(limit)).all()
    return EstablishmentsPublic(data=[EstablishmentPublic.model_validate(item) for item in items],
                                count=count)


@template_app.get("/establishments/{establishment_id}", response_model=EstablishmentPublic)
def read_establishment(session: SessionDep, current_user: CurrentUser,
                       establishment_id: uuid.UUID) -> Any:
    item = session.get(Establishment, establishment_id)
    if not item:
        raise HTTPException(status_code=404, detail="Establishment not found")
    if current_user.role != "admin" and item.authority_id != current_user.authority_id:
        raise HTTPException(status_code=400, detail="Not enough permissions")
    return item
