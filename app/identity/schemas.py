"""The contract for tokens, the caller, users and integration clients."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from app.core.schemas import Name, ReadModel, WriteModel
from app.identity.principal import Role, Scope

Email = Annotated[str, StringConstraints(
    strip_whitespace=True, to_lower=True, max_length=254,
    pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
)]
Password = Annotated[str, StringConstraints(min_length=12, max_length=128)]


class TokenResponse(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.e30.sig",
        "token_type": "bearer", "expires_in": 900,
        "refresh_token": "3bq1y2ZkV4f1n0X3mQ0p0wq1k3c9lR8b0M2hJ1uQfQ8", "scope": "",
    }]})
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    refresh_token: str | None = None
    scope: str = ""


class RevokeResult(ReadModel):
    """RFC 7009: the same answer whether or not the token was known."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: str = "ok"


class MeRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "user", "id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21",
        "label": "officer@demo.sih.scot", "name": "Morag Officer", "role": "officer",
        "scopes": [], "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
        "region_id": None, "establishment_ids": [], "is_authority_admin": True,
        "current_session": "2025-26",
    }]})
    kind: str
    id: uuid.UUID
    label: str
    name: str = ""
    role: str
    scopes: list[str]
    authority_id: uuid.UUID | None
    region_id: uuid.UUID | None
    establishment_ids: list[uuid.UUID]
    is_authority_admin: bool
    current_session: str = Field(description="The school session today falls in (sessions run "
                                 "from 1 August to 31 July): what lists and summaries default to")


class UserCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "email": "j.smith@northlan.example.scot", "name": "Jo Smith",
        "password": "a-long-passphrase-2025", "role": "headteacher",
        "establishment_ids": ["9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21"],
    }]})
    email: Email
    name: Name
    password: Password
    role: Role
    authority_id: uuid.UUID | None = Field(default=None, description="Officers: their authority")
    region_id: uuid.UUID | None = Field(default=None, description="Regional leads: their region")
    establishment_ids: list[uuid.UUID] = Field(
        default=[], max_length=20, description="Headteachers: the establishments they lead")
    is_authority_admin: bool = False
    active: bool = True


class UserUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})
    name: Name = Field(default=None)
    password: Password = Field(default=None)
    role: Role = Field(default=None)
    authority_id: uuid.UUID | None = None
    region_id: uuid.UUID | None = None
    establishment_ids: list[uuid.UUID] = Field(default=None, max_length=20)
    is_authority_admin: bool = Field(default=None)
    active: bool = Field(default=None)


class UserRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "email": "j.smith@northlan.example.scot",
        "name": "Jo Smith", "role": "headteacher",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "region_id": None,
        "establishment_ids": ["9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21"],
        "is_authority_admin": False, "active": True, "last_login_at": None, "version": 1,
        "created_at": "2026-08-01T09:00:00Z", "updated_at": "2026-08-01T09:00:00Z",
    }]})
    id: uuid.UUID
    email: str
    name: str
    role: Role
    authority_id: uuid.UUID | None
    region_id: uuid.UUID | None
    establishment_ids: list[uuid.UUID] = []
    is_authority_admin: bool
    active: bool
    last_login_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ClientCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "North Lanarkshire SEEMiS nightly sync",
        "scopes": ["establishments:write", "imports:write"],
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
    }]})
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    authority_id: uuid.UUID | None = None
    region_id: uuid.UUID | None = None


_CLIENT_EXAMPLE = {
    "id": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "client_id": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
    "name": "North Lanarkshire SEEMiS nightly sync",
    "scopes": ["establishments:write"], "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
    "region_id": None, "active": True, "version": 1,
    "created_at": "2026-08-01T09:00:00Z", "updated_at": "2026-08-01T09:00:00Z",
}


class ClientRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT_EXAMPLE]})
    id: uuid.UUID
    client_id: str
    name: str
    scopes: list[str]
    authority_id: uuid.UUID | None
    region_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ClientCreated(ClientRead):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_CLIENT_EXAMPLE, "client_secret": "sih_s3cr3t_Vq7mX2pL9nR4tW8yB1cF6hJ0kD5gS3aZ",
    }]})
    client_secret: str = Field(description="Shown once; store it now. Only a hash is kept.")
