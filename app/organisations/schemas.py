"""The contract for regions, authorities, clusters and establishments."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from app.core.schemas import Name, ReadModel, ShortText, WriteModel

RegionCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
AuthorityCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{8}$")]
# A Scottish SEED code has 7 digits; an English URN has 6.
EstablishmentCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{7}|[0-9]{6})$")]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Roll = Annotated[int, Field(ge=0, le=20_000)]
MinVisits = Annotated[int, Field(ge=0, le=50)]
FrameworkCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")]


class Sector(StrEnum):
    elc = "elc"
    primary = "primary"
    secondary = "secondary"
    special = "special"
    all_through = "all_through"


class EstablishmentStatus(StrEnum):
    open = "open"
    closed = "closed"


class Timestamps(ReadModel):
    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


class RegionCreate(WriteModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "west-partnership", "name": "West Partnership"}]}
    )
    code: RegionCode
    name: Name


class RegionUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "The West Partnership"}]})
    code: RegionCode = Field(default=None)
    name: Name = Field(default=None)


class RegionRead(Timestamps):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{
            "id": "0b7c5a8e-1f1e-4c55-9d53-3f1f5b2c8a10", "code": "west-partnership",
            "name": "West Partnership", "authority_ids": [], "version": 1,
            "created_at": "2026-08-01T09:00:00Z", "updated_at": "2026-08-01T09:00:00Z",
        }]}
    )
    code: str
    name: str
    authority_ids: list[uuid.UUID] = []


class AuthorityCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "S12000050", "name": "North Lanarkshire",
        "region_id": "0b7c5a8e-1f1e-4c55-9d53-3f1f5b2c8a10", "min_visits_per_session": 4,
    }]})
    code: AuthorityCode
    name: Name
    region_id: uuid.UUID | None = None
    min_visits_per_session: MinVisits = 4
    framework_code: FrameworkCode | None = Field(
        default=None, description="Framework its plans and reports use; default: by sector")


class AuthorityUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"min_visits_per_session": 5}]})
    code: AuthorityCode = Field(default=None)
    name: Name = Field(default=None)
    region_id: uuid.UUID | None = None
    min_visits_per_session: MinVisits = Field(default=None)
    framework_code: FrameworkCode | None = None


class AuthorityRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "code": "S12000050", "name": "North Lanarkshire",
        "region_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "min_visits_per_session": 4,
        "framework_code": "HGIOS4", "version": 2, "created_at": "2025-08-01T09:00:00Z",
        "updated_at": "2025-10-07T16:02:11Z",
    }]})
    code: str
    name: str
    region_id: uuid.UUID | None
    min_visits_per_session: int
    framework_code: str | None = None


class ClusterCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
        "name": "Airdrie Academy cluster", "area": "Airdrie",
    }]})
    authority_id: uuid.UUID
    name: Name
    area: ShortText | None = None


class ClusterUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"area": "Airdrie and Chapelhall"}]})
    name: Name = Field(default=None)
    area: ShortText | None = None


class ClusterRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "name": "Airdrie Academy cluster",
        "area": "Airdrie and Chapelhall", "version": 1, "created_at": "2025-08-01T09:00:00Z",
        "updated_at": "2025-08-01T09:00:00Z",
    }]})
    authority_id: uuid.UUID
    name: str
    area: str | None


_ESTABLISHMENT_EXAMPLE = {
    "code": "8000001", "name": "Sgoil Ghàidhlig Ghlaschu", "sector": "primary",
    "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "cluster_id": None,
    "area": "Glasgow North", "roll": 412, "simd_q1_percent": "23.50",
    "gaelic_medium": True, "status": "open", "link_officer_id": None,
}


class EstablishmentFields(WriteModel):
    name: Name
    sector: Sector
    cluster_id: uuid.UUID | None = None
    area: ShortText | None = None
    roll: Roll = 0
    simd_q1_percent: Percent | None = Field(
        default=None, description="% of pupils living in SIMD deciles 1-2"
    )
    gaelic_medium: bool = False
    status: EstablishmentStatus = EstablishmentStatus.open
    link_officer_id: uuid.UUID | None = None


class EstablishmentCreate(EstablishmentFields):
    model_config = ConfigDict(json_schema_extra={"examples": [_ESTABLISHMENT_EXAMPLE]})
    code: EstablishmentCode = Field(description="SEED code (7 digits) or URN (6 digits)")
    authority_id: uuid.UUID


class EstablishmentUpsert(EstablishmentFields):
    """The body of PUT /establishments/by-code/{code}: the code is in the path."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {k: v for k, v in _ESTABLISHMENT_EXAMPLE.items() if k != "code"}
    ]})
    authority_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the caller's own authority when it has one."
    )


class EstablishmentUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"roll": 430, "area": "Glasgow"}]})
    code: EstablishmentCode = Field(default=None)
    name: Name = Field(default=None)
    sector: Sector = Field(default=None)
    cluster_id: uuid.UUID | None = None
    area: ShortText | None = None
    roll: Roll = Field(default=None)
    simd_q1_percent: Percent | None = None
    gaelic_medium: bool = Field(default=None)
    status: EstablishmentStatus = Field(default=None)
    link_officer_id: uuid.UUID | None = None


class EstablishmentRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_ESTABLISHMENT_EXAMPLE, "simd_q1_percent": 23.5, "id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
        "code_scheme": "seed", "headteacher_ids": [], "version": 1,
        "created_at": "2026-08-01T09:00:00Z", "updated_at": "2026-08-01T09:00:00Z",
    }]})
    code: str
    code_scheme: str = Field(description="`seed` (Scotland, 7 digits) or `urn` (England, 6)")
    name: str
    sector: Sector
    authority_id: uuid.UUID
    cluster_id: uuid.UUID | None
    area: str | None
    roll: int
    simd_q1_percent: float | None
    gaelic_medium: bool
    status: EstablishmentStatus
    link_officer_id: uuid.UUID | None
    headteacher_ids: list[uuid.UUID] = []
