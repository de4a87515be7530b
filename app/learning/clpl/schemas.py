# mypy: disable-error-code="assignment, arg-type, list-item, dict-item"
# (PATCH bodies declare `Field(default=None)` on non-nullable types, as app/*/schemas.py do.)
"""The contract for CLPL events, registrations with their waiting list, attendance,
evaluations and the per-event summary."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from app.core.schemas import Instant, LongText, Name, ReadModel, WriteModel


class ClplLevel(StrEnum):
    """The West Partnership's levels of professional learning (as support levels)."""

    universal = "universal"
    additional = "additional"
    intensive = "intensive"


class ClplAudience(StrEnum):
    early_career_teachers = "early_career_teachers"
    teachers = "teachers"
    middle_leaders = "middle_leaders"
    senior_leaders = "senior_leaders"
    headteachers = "headteachers"
    elc_practitioners = "elc_practitioners"
    support_staff = "support_staff"
    all_staff = "all_staff"


class ClplEventStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class RegistrationStatus(StrEnum):
    """`cancelled` before the event started (a confirmed place went to the first waiting);
    `late_cancelled` after it started: kept as a late cancellation, no one promoted."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    late_cancelled = "late_cancelled"


# One definition of the attendance rate, in these words, wherever it is reported (an event's
# summary, the authority's and the region's summaries, their CSV).
ATTENDANCE_RATE = ("Percent (0-100, one decimal) of the confirmed places whose attendance is "
                   "marked that were attended: attended / attendance_marked x 100. Places not "
                   "yet marked are left out (counted in attendance_unmarked, not as absent); "
                   "null when no place is marked.")
ATTENDANCE_MARKED = "Confirmed places whose attendance is marked (attended or absent)"
ATTENDANCE_UNMARKED = "Confirmed places whose attendance is not marked yet"
LATE_CANCELLED = ("Registrations cancelled after the event started (late cancellations): no "
                  "one was promoted into their places")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _in_service_years(value: datetime) -> datetime:
    # The years the service plans for (sessions 2000-01 to 2098-99); also keeps every
    # offset convertible to UTC.
    if not 2000 <= value.year <= 2099:
        raise ValueError("a time in the years 2000 to 2099")
    return value.astimezone(UTC)


EventTime = Annotated[Instant, AfterValidator(_in_service_years)]
Audiences = Annotated[list[ClplAudience], Field(min_length=1, max_length=8), AfterValidator(_unique)]
IndicatorCodes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=16)]], Field(max_length=20),
    AfterValidator(_unique),
]
NifDrivers = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=300)]], Field(max_length=10),
    AfterValidator(_unique),
]
OnlineUrl = Annotated[str, StringConstraints(
    max_length=2048, pattern=r"^https://[^\x00-\x20\x7f/?#@]+(?:[/?#][^\x00-\x20\x7f]*)?$")]
Email = Annotated[str, StringConstraints(
    strip_whitespace=True, to_lower=True, max_length=254,
    pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
)]
Capacity = Annotated[int, Field(ge=1, le=10_000)]
Rating = Annotated[int, Field(ge=1, le=5)]

_EVENT_EXAMPLE = {
    "title": "Leading learning: moderation of writing", "level": "additional",
    "description": "Three twilight sessions on moderating writing at second level.",
    "provider": "West Partnership", "authority_id": None,
    "region_id": "3f1c2b7e-5d9b-4a32-8a0c-1c8f0c2b7e44",
    "audience": ["middle_leaders", "teachers"], "indicator_codes": ["2.3", "3.2"],
    "nif_drivers": ["Teacher and practitioner professionalism"],
    "starts_at": "2025-11-12T15:45:00Z", "ends_at": "2025-11-12T17:30:00Z",
    "location": "Hamilton Townhouse", "online_url": None, "capacity": 30,
}


class ClplEventCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})
    title: Name
    description: LongText = ""
    level: ClplLevel
    provider: Name = Field(description="Who runs it: the council, the RIC, Education Scotland ...")
    authority_id: uuid.UUID | None = Field(
        default=None, description="The owning authority; give exactly one of authority_id, region_id")
    region_id: uuid.UUID | None = Field(default=None, description="The owning region (RIC)")
    audience: Audiences
    indicator_codes: IndicatorCodes = Field(default=[], description="HGIOS4 or HGIOELC codes")
    nif_drivers: NifDrivers = Field(default=[], description="NIF driver titles (GET /nif)")
    starts_at: EventTime
    ends_at: EventTime = Field(description="After starts_at")
    location: Name | None = Field(default=None, description="Where; or give online_url, or both")
    online_url: OnlineUrl | None = Field(default=None, description="An https:// link")
    capacity: Capacity
    status: ClplEventStatus = ClplEventStatus.scheduled


class ClplEventUpdate(WriteModel):
    """The owner never changes; create a new event instead."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"capacity": 40}]})
    title: Name = Field(default=None)
    description: LongText = Field(default=None)
    level: ClplLevel = Field(default=None)
    provider: Name = Field(default=None)
    audience: Audiences = Field(default=None)
    indicator_codes: IndicatorCodes = Field(default=None)
    nif_drivers: NifDrivers = Field(default=None)
    starts_at: EventTime = Field(default=None)
    ends_at: EventTime = Field(default=None)
    location: Name | None = None
    online_url: OnlineUrl | None = None
    capacity: Capacity = Field(
        default=None, description="Not below the confirmed registrations; a rise promotes the "
                                  "waiting list")
    status: ClplEventStatus = Field(default=None)


class ClplEventRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_EVENT_EXAMPLE, "id": "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "status": "scheduled",
        "confirmed": 30, "waitlisted": 4, "places_left": 0, "can_manage": True, "version": 2,
        "created_at": "2025-09-01T09:00:00Z", "updated_at": "2025-09-03T10:00:00Z",
    }]})
    id: uuid.UUID
    title: str
    description: str
    level: ClplLevel
    provider: str
    authority_id: uuid.UUID | None
    region_id: uuid.UUID | None
    audience: list[ClplAudience]
    indicator_codes: list[str]
    nif_drivers: list[str]
    starts_at: datetime
    ends_at: datetime
    location: str | None
    online_url: str | None
    capacity: int
    status: ClplEventStatus
    confirmed: int = Field(description="Confirmed registrations")
    waitlisted: int
    places_left: int
    can_manage: bool = Field(description="Whether the caller manages this event")
    version: int
    created_at: datetime
    updated_at: datetime


# Registrations -------------------------------------------------------------------------


class Participant(WriteModel):
    name: Name
    email: Email = Field(
        description="Compared without case: one active registration per event among those "
                    "the caller sees (a headteacher's bookings stand beside other schools')")
    establishment_id: uuid.UUID | None = Field(
        default=None, description="Required when a headteacher books: one of their schools")
    role: Name = Field(description="e.g. Class teacher, Principal teacher, Early years practitioner")


class ClplRegistrationCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"participant": {
        "name": "Ailsa Brown", "email": "ailsa.brown@school.example.scot",
        "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "role": "Principal teacher"}}]})
    participant: Participant


class ParticipantRead(ReadModel):
    name: str = Field(description="`Erased participant` once erased")
    email: str | None = Field(description="null once erased")
    establishment_id: uuid.UUID | None
    role: str


class ClplRegistrationRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "event_id": "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "participant": {"name": "Ailsa Brown", "email": "ailsa.brown@school.example.scot",
                        "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
                        "role": "Principal teacher"},
        "status": "waitlisted", "waitlist_position": 2, "attended": None, "erased": False,
        "booked_by_label": "headteacher@school.example.scot", "cancelled_at": None,
        "version": 1, "created_at": "2025-09-10T12:00:00Z", "updated_at": "2025-09-10T12:00:00Z",
    }]})
    id: uuid.UUID
    event_id: uuid.UUID
    participant: ParticipantRead
    status: RegistrationStatus
    waitlist_position: int | None = Field(description="1 is next for a place; null unless waitlisted")
    attended: bool | None = Field(description="null until attendance is marked")
    erased: bool = Field(description="The participant's name and email have been erased")
    booked_by_label: str
    cancelled_at: datetime | None = Field(
        description="When it was cancelled; at or after the event's start for a late_cancelled one")
    version: int
    created_at: datetime
    updated_at: datetime


class ClplAttendance(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "registration_ids": ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"], "attended": True}]})
    registration_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=500),
                                AfterValidator(_unique)]
    attended: bool


# Evaluations ---------------------------------------------------------------------------


class Ratings(WriteModel):
    knowledge: Rating
    understanding: Rating
    confidence: Rating


class ClplEvaluationCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "registration_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "before": {"knowledge": 2, "understanding": 2, "confidence": 3},
        "after": {"knowledge": 4, "understanding": 3, "confidence": 4},
        "comment": "Practical and well paced."}]})
    registration_id: uuid.UUID = Field(description="An attended registration of this event")
    before: Ratings = Field(description="Ratings 1-5 before the event")
    after: Ratings = Field(description="Ratings 1-5 after the event")
    comment: LongText = ""


class RatingsRead(ReadModel):
    knowledge: int
    understanding: int
    confidence: int


class ClplEvaluationRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "5b4a3928-1706-4f5e-8d4c-3b2a19087f6e", "event_id": "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b",
        "registration_id": "6c5b4a39-2817-4065-9f4e-3d2c1b0a9f8e",
        "before": {"knowledge": 2, "understanding": 2, "confidence": 3},
        "after": {"knowledge": 4, "understanding": 4, "confidence": 4},
        "comment": "Practical ideas for moderation I can use next week.",
        "created_at": "2025-11-20T16:45:00Z",
    }]})
    id: uuid.UUID
    event_id: uuid.UUID
    registration_id: uuid.UUID
    before: RatingsRead
    after: RatingsRead
    comment: str = Field(description="Emptied when the participant's data is erased")
    created_at: datetime


class MeanChange(ReadModel):
    """Mean of (after - before) over the event's evaluations; null when there are none."""

    knowledge: float | None
    understanding: float | None
    confidence: float | None


class ClplEventSummary(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "event_id": "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "capacity": 30,
        "registrations": 30, "waitlisted": 4, "cancelled": 2, "late_cancelled": 1,
        "attended": 26, "attendance_marked": 28, "attendance_unmarked": 2,
        "attendance_rate": 92.9, "evaluations": 25,
        "mean_change": {"knowledge": 1.2, "understanding": 1.1, "confidence": 1.0}}]})
    event_id: uuid.UUID
    capacity: int
    registrations: int = Field(description="Confirmed registrations")
    waitlisted: int
    cancelled: int = Field(description="Registrations cancelled before the event started")
    late_cancelled: int = Field(description=LATE_CANCELLED)
    attended: int
    attendance_marked: int = Field(description=ATTENDANCE_MARKED)
    attendance_unmarked: int = Field(description=ATTENDANCE_UNMARKED)
    attendance_rate: float | None = Field(description=ATTENDANCE_RATE)
    evaluations: int
    mean_change: MeanChange
