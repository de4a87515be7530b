"""The contract for regions, authorities, clusters and establishments."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.schemas import (
    COUNTED_VISIT_KINDS,
    DecimalText,
    Name,
    Rag,
    ReadModel,
    ShortText,
    SupportLevel,
    VisitKind,
    WriteModel,
)
from app.core.text import fold
from app.organisations.school_details import (
    AddressLines,
    DataZone,
    Denomination,
    Email,
    Latitude,
    Longitude,
    Phone,
    Postcode,
    Uprn,
    UrbanRural6,
    UrbanRural8,
    Website,
)

RegionCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
AuthorityCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{8}$")]
# A Scottish SEED code has 7 digits; an English URN has 6.
EstablishmentCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{7}|[0-9]{6})$")]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2), DecimalText]
Roll = Annotated[int, Field(ge=0, le=20_000)]
MinVisits = Annotated[int, Field(ge=0, le=50)]


def _distinct(kinds: list[VisitKind]) -> list[VisitKind]:
    if len(set(kinds)) != len(kinds):
        raise ValueError("each kind of visit once")
    return kinds


CountedVisitKinds = Annotated[list[VisitKind], Field(
    min_length=1, max_length=len(VisitKind), json_schema_extra={"uniqueItems": True},
    description="The kinds of final visit that count toward `min_visits_per_session` "
                "(default: support and challenge, plan review, VSE)"), AfterValidator(_distinct)]
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
    counted_visit_kinds: CountedVisitKinds = Field(
        default_factory=lambda: [VisitKind(k) for k in COUNTED_VISIT_KINDS])
    framework_code: FrameworkCode | None = Field(
        default=None, description="Framework its plans and reports use; default: by sector")


class AuthorityUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"min_visits_per_session": 5}]})
    code: AuthorityCode = Field(default=None)
    name: Name = Field(default=None)
    region_id: uuid.UUID | None = None
    min_visits_per_session: MinVisits = Field(default=None)
    counted_visit_kinds: CountedVisitKinds = Field(default=None)
    framework_code: FrameworkCode | None = None


class AuthorityRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "code": "S12000050", "name": "North Lanarkshire",
        "region_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "min_visits_per_session": 4,
        "counted_visit_kinds": ["support_and_challenge", "plan_review", "vse"],
        "framework_code": "HGIOS4", "version": 2, "created_at": "2025-08-01T09:00:00Z",
        "updated_at": "2025-10-07T16:02:11Z",
    }]})
    code: str
    name: str
    region_id: uuid.UUID | None
    min_visits_per_session: int
    counted_visit_kinds: list[VisitKind] = Field(
        description="The kinds of final visit that count toward the minimum")
    framework_code: str | None = None


def _named(value: str) -> str:
    if not fold(value):
        raise ValueError("an area's name needs a letter or a digit")
    return value


AreaName = Annotated[Name, AfterValidator(_named)]
AREA_FIELD = ("The area's name: one of the authority's areas (GET /authorities/{id}/areas), "
              "found whatever its case, accents or apostrophes, or by a name it had before; "
              "null for none. Unknown names are a 422: create the area first")
AREA_ID_FIELD = "The area, by id (instead of, or agreeing with, `area`)"


class AreaCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Blantyre"}]})
    name: AreaName = Field(description="Unique within the authority, whatever its case, "
                           "accents or apostrophes")


class AreaUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Blantyre"}]})
    name: AreaName = Field(default=None, description="A rename: the area's schools and clusters "
                           "take the new name, and the old one still finds the area")


class AreaMerge(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"into_area_id": "2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f"}]})
    into_area_id: uuid.UUID = Field(description="Another area of the same authority: it takes "
                                    "this area's schools, clusters and names")


_AREA_EXAMPLE = {
    "id": "2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f",
    "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "name": "Blantyre",
    "former_names": ["Blanytre"], "version": 2, "created_at": "2025-08-01T09:00:00Z",
    "updated_at": "2025-10-07T16:02:11Z",
}


class AreaRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [_AREA_EXAMPLE]})
    authority_id: uuid.UUID
    name: str
    former_names: list[str] = Field(description="Names it had, and names of areas merged into "
                                    "it: writes naming them find this area")


class AreaListItem(AreaRead):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {**_AREA_EXAMPLE, "establishment_count": 8, "cluster_count": 1}]})
    establishment_count: int = Field(description="Schools in the area: their own area, or for a "
                                     "school with none, its cluster's")
    cluster_count: int


class ClusterCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
        "name": "Airdrie Academy cluster", "area": "Airdrie",
    }]})
    authority_id: uuid.UUID
    name: Name
    area: ShortText | None = Field(default=None, description=AREA_FIELD)
    area_id: uuid.UUID | None = Field(default=None, description=AREA_ID_FIELD)


class ClusterUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"area": "Airdrie"}]})
    name: Name = Field(default=None)
    area: ShortText | None = Field(default=None, description=AREA_FIELD)
    area_id: uuid.UUID | None = Field(default=None, description=AREA_ID_FIELD)


class ClusterRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "name": "Airdrie Academy cluster",
        "area": "Airdrie", "area_id": "2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f", "version": 1,
        "created_at": "2025-08-01T09:00:00Z", "updated_at": "2025-08-01T09:00:00Z",
    }]})
    authority_id: uuid.UUID
    name: str
    area: str | None = Field(description="The area's name")
    area_id: uuid.UUID | None


# Contact details from the reserved ranges (example.org, Ofcom's drama numbers): never a
# real school's.
_DETAILS_EXAMPLE: dict[str, Any] = {
    "denomination": "non_denominational",
    "address_lines": ["1 Example Street", "Glasgow"], "postcode": "G3 7AB",
    "phone": "0141 496 0147", "email": "headteacher@sgoil.example.org",
    "website": "https://sgoil.example.org/", "uprn": "906700000147", "data_zone": "S01010280",
    "urban_rural_6fold": 1, "urban_rural_8fold": 1, "latitude": "55.8651000",
    "longitude": "-4.2745000",
}
_ESTABLISHMENT_EXAMPLE: dict[str, Any] = {
    "code": "8000001", "name": "Sgoil Ghàidhlig Ghlaschu", "sector": "primary",
    "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "cluster_id": None,
    "area": "Glasgow North", "roll": 412, "simd_q1_percent": "23.50",
    "gaelic_medium": True, "status": "open", "link_officer_id": None, **_DETAILS_EXAMPLE,
}
# What the details say, for the fields of every write (null: not known; in a PATCH, clears).
ADDRESS_FIELD = ("The school's address lines, without the postcode (up to 4, each one line); "
                 "null for none")
POSTCODE_FIELD = "UK postcode; stored in capitals with one space, e.g. G3 7AB"
PHONE_FIELD = "Telephone number as dialled; an extension may follow (\"ext 6058\")"
UPRN_FIELD = "Unique Property Reference Number of the school's building (digits, as text)"
DATA_ZONE_FIELD = "The 2011 data zone of the school's address (S01 and six digits)"


class SchoolDetails(WriteModel):
    """Where the school is and how to reach it: the authority's (its register), in every write
    of an establishment."""

    denomination: Denomination | None = None
    address_lines: AddressLines | None = Field(default=None, description=ADDRESS_FIELD)
    postcode: Postcode | None = Field(default=None, description=POSTCODE_FIELD)
    phone: Phone | None = Field(default=None, description=PHONE_FIELD)
    email: Email | None = Field(default=None, description="The school's own mailbox")
    website: Website | None = Field(default=None, description="http(s) address")
    uprn: Uprn | None = Field(default=None, description=UPRN_FIELD)
    data_zone: DataZone | None = Field(default=None, description=DATA_ZONE_FIELD)
    urban_rural_6fold: UrbanRural6 | None = None
    urban_rural_8fold: UrbanRural8 | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class EstablishmentFields(SchoolDetails):
    name: Name
    sector: Sector
    cluster_id: uuid.UUID | None = None
    area: ShortText | None = Field(default=None, description=AREA_FIELD)
    area_id: uuid.UUID | None = Field(default=None, description=AREA_ID_FIELD)
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


# The fields a link officer may not change (policy: LINK_OFFICER_FIELDS lists those they may).
_AUTHORITYS = ("the authority's to change (administrators, its authority admins, clients with "
               "establishments:write), not a link officer's: 403 from one")


class EstablishmentUpdate(SchoolDetails):
    """Who may change which field: the updateEstablishment operation's description."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"roll": 430, "area": "Glasgow"},
        {"phone": "0141 496 0148", "email": "enquiries@sgoil.example.org", "website": None},
    ]})
    code: EstablishmentCode = Field(default=None, description=f"SEED code or URN; {_AUTHORITYS}")
    name: Name = Field(default=None)
    sector: Sector = Field(default=None, description=f"The sector; {_AUTHORITYS}")
    cluster_id: uuid.UUID | None = None
    area: ShortText | None = Field(default=None, description=AREA_FIELD)
    area_id: uuid.UUID | None = Field(default=None, description=AREA_ID_FIELD)
    roll: Roll = Field(default=None)
    simd_q1_percent: Percent | None = None
    gaelic_medium: bool = Field(default=None)
    status: EstablishmentStatus = Field(
        default=None, description=f"`closed` takes the school out of every summary; {_AUTHORITYS}")
    link_officer_id: uuid.UUID | None = Field(
        default=None, description=f"The officer who links with the school; {_AUTHORITYS}")


class PlanStatusFilter(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    agreed = "agreed"
    closed = "closed"
    none = "none"


class SchoolYearVisits(BaseModel):
    final: int = Field(description="Final visits of the session of the kinds the authority "
                                   "counts (`counted_visit_kinds`)")
    minimum: int = Field(description="The authority's `min_visits_per_session`")
    below_minimum: bool
    last_on: date | None = Field(description="The date of the session's last final visit")
    next_planned_on: date | None = Field(
        description="The next planned visit of the session, today or later (for the school: "
                    "one shared with it)")


class SchoolYearVse(BaseModel):
    id: uuid.UUID
    status: str = Field(description="proposed, scheduled, in_progress, reported, closed or "
                                    "cancelled")
    visit_start: date | None
    visit_end: date | None


class SchoolYear(BaseModel):
    """Where a school stands in a session: what an officer prepares a visit with."""

    session: str
    rag: Rag | None = Field(description="The support status in force at the session's end "
                                        "(now, for the current session)")
    support_level: SupportLevel | None
    support_agreed_on: date | None
    plan_status: str | None = Field(description="The improvement plan's status (draft, "
                                                "submitted, returned, agreed, closed); null: none")
    report_status: str | None = Field(description="The standards and quality report's status; "
                                                  "null: none")
    visits: SchoolYearVisits
    vse: SchoolYearVse | None = Field(description="The session's latest VSE (for the school: "
                                                  "the latest it has been told of)")


class EstablishmentRead(Timestamps):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_ESTABLISHMENT_EXAMPLE, "simd_q1_percent": 23.5, "latitude": 55.8651,
        "longitude": -4.2745, "id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
        "area_id": "2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f",
        "code_scheme": "seed", "headteacher_ids": [], "version": 1,
        "created_at": "2026-08-01T09:00:00Z", "updated_at": "2026-08-01T09:00:00Z",
    }]})
    code: str
    code_scheme: str = Field(description="`seed` (Scotland, 7 digits) or `urn` (England, 6)")
    name: str
    sector: Sector
    authority_id: uuid.UUID
    cluster_id: uuid.UUID | None
    area: str | None = Field(description="The area's name")
    area_id: uuid.UUID | None
    roll: int
    simd_q1_percent: float | None
    gaelic_medium: bool
    status: EstablishmentStatus
    link_officer_id: uuid.UUID | None
    denomination: Denomination | None
    address_lines: list[str] | None = Field(description=ADDRESS_FIELD)
    postcode: str | None
    phone: str | None
    email: str | None
    website: str | None
    uprn: str | None = Field(description=UPRN_FIELD)
    data_zone: str | None = Field(description=DATA_ZONE_FIELD)
    urban_rural_6fold: UrbanRural6 | None
    urban_rural_8fold: UrbanRural8 | None
    latitude: float | None
    longitude: float | None
    headteacher_ids: list[uuid.UUID] = []
    current: SchoolYear | None = Field(default=None, description=(
        "The school's year in the session asked (`session`; default: the current one), on "
        "reads: for the authority's officers and admins and the school's headteachers (who "
        "read its support status); null for other callers (regional leads read these as "
        "aggregates, in the summaries) and in answers to writes; the change feed leaves it out "
        "(it depends on who asks and on the date)"))
