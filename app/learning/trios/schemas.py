# mypy: disable-error-code="assignment, arg-type, list-item, dict-item"
# (PATCH bodies declare `Field(default=None)` on non-nullable types, as app/*/schemas.py do.)
"""The contract for trios and quads, their meetings, peer reviews and proposals."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from app.core.schemas import Day, LongText, ReadModel, SchoolSession, ShortText, WriteModel


class TrioKind(StrEnum):
    trio = "trio"
    quad = "quad"


SIZES = {TrioKind.trio: 3, TrioKind.quad: 4}


class TrioRule(StrEnum):
    """The rules a trio keeps; a 422 names the ones broken (`errors[].type` is `rule.<name>`)."""

    size = "size"
    distinct_members = "distinct_members"
    known_establishment = "known_establishment"
    one_authority = "one_authority"
    same_area = "same_area"
    different_clusters = "different_clusters"
    one_trio_per_session = "one_trio_per_session"
    headteacher_of_member = "headteacher_of_member"
    focus_indicators = "focus_indicators"
    programme_focus = "programme_focus"


OVERRIDABLE = frozenset({TrioRule.same_area, TrioRule.different_clusters})


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("the focus indicators must differ")
    return values


IndicatorCode = Annotated[str, Field(min_length=1, max_length=16)]
FocusIndicators = Annotated[
    list[IndicatorCode], Field(min_length=1, max_length=2,
                               description="One or two quality indicators of the members' framework"),
    AfterValidator(_distinct),
]


def _said(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("give a reason")
    return value


Reason = Annotated[LongText, Field(max_length=2000), AfterValidator(_said)]


class Override(WriteModel):
    rule: TrioRule = Field(description="Only `same_area` and `different_clusters` may be overridden")
    reason: Reason = Field(description="Why the rule is set aside; recorded and audited")


def _one_per_rule(overrides: list[Override]) -> list[Override]:
    if len({o.rule for o in overrides}) != len(overrides):
        raise ValueError("override each rule at most once")
    return overrides


Overrides = Annotated[list[Override], Field(max_length=8), AfterValidator(_one_per_rule)]


class MemberIn(WriteModel):
    establishment_id: uuid.UUID
    headteacher_id: uuid.UUID | None = Field(
        default=None, description="A headteacher of that establishment; when omitted, its only "
        "active headteacher, if it has exactly one")


Members = Annotated[list[MemberIn], Field(min_length=1, max_length=8)]

_TRIO_EXAMPLE = {
    "session": "2025-26", "kind": "trio", "name": "Airdrie trio 1",
    "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "area": "Airdrie",
    "indicator_codes": ["1.3", "3.2"],
    "members": [
        {"establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
         "headteacher_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21"},
        {"establishment_id": "7c2e1d4f-5a6b-4c8d-9e0f-1a2b3c4d5e6f", "headteacher_id": None},
        {"establishment_id": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "headteacher_id": None},
    ],
    "overrides": [],
}


class TrioCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TRIO_EXAMPLE]})
    session: SchoolSession
    kind: TrioKind = Field(description="`trio`: 3 members; `quad`: 4")
    authority_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the first member's authority")
    area: ShortText | None = Field(
        default=None, description="Defaults to the area most members share")
    name: ShortText = ""
    indicator_codes: FocusIndicators | None = Field(
        default=None, description="One or two quality indicators of the members' framework. "
        "Defaults to the focus the authority's trio programme fixes for the session; required "
        "when it fixes none")
    members: Members
    overrides: Overrides = []


class MeetingHost(WriteModel):
    meeting_id: uuid.UUID = Field(description="A `trio` meeting of this trio not yet held "
                                  "(dated today or later)")
    host_establishment_id: uuid.UUID = Field(description="A member school after the change")


class TrioUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "members": _TRIO_EXAMPLE["members"],
        "overrides": [{"rule": "different_clusters",
                       "reason": "Only two clusters in Shotts opted in this session."}],
    }]})
    kind: TrioKind = Field(default=None)
    area: ShortText = Field(default=None)
    name: ShortText = Field(default=None)
    indicator_codes: FocusIndicators = Field(default=None)
    members: Members = Field(default=None, description="Replaces the members; every rule is "
                             "checked again. A school that leaves is dropped from the attendance "
                             "of meetings not yet held and listed in `former_members`; meetings "
                             "already held, with their attendance, and peer reviews stay as "
                             "history")
    overrides: Overrides = Field(default=None, description="Replaces the overrides")
    meeting_hosts: list[MeetingHost] = Field(
        default=None, max_length=12, description="New hosts for `trio` meetings not yet held: "
        "required for each one hosted by a school that leaves (409 lists them otherwise)")


class MemberRead(ReadModel):
    establishment_id: uuid.UUID
    establishment_name: str
    cluster_id: uuid.UUID | None
    area: str | None
    headteacher_id: uuid.UUID | None


class FormerMemberRead(ReadModel):
    establishment_id: uuid.UUID
    establishment_name: str
    headteacher_id: uuid.UUID | None
    left_on: date = Field(description="The day the school left the trio")


class OverrideRead(ReadModel):
    rule: TrioRule
    reason: str
    by: uuid.UUID | None
    by_label: str
    at: datetime


class TrioRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_TRIO_EXAMPLE, "id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "members": [{**m, "establishment_name": "Chapelside Primary School",
                     "cluster_id": "8b7a6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d", "area": "Airdrie"}
                    for m in _TRIO_EXAMPLE["members"]],
        "former_members": [],
        "version": 1, "created_at": "2025-08-20T09:00:00Z", "updated_at": "2025-08-20T09:00:00Z",
    }]})
    id: uuid.UUID
    session: str
    kind: TrioKind
    authority_id: uuid.UUID
    area: str | None
    name: str
    indicator_codes: list[str]
    members: list[MemberRead]
    former_members: list[FormerMemberRead] = Field(
        description="Schools that have left the trio: the meetings held and peer reviews made "
        "while they were members still name them")
    overrides: list[OverrideRead]
    version: int
    created_at: datetime
    updated_at: datetime


# Meetings ------------------------------------------------------------------------------


class MeetingKind(StrEnum):
    central = "central"
    trio = "trio"


class Attendance(StrEnum):
    present = "present"
    absent = "absent"
    apologies = "apologies"


class AttendanceEntry(WriteModel):
    establishment_id: uuid.UUID = Field(description="A member school")
    status: Attendance


class MeetingCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "trio", "date": "2026-02-11",
        "host_establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
        "notes": "An extra meeting to moderate writing."}]})
    kind: MeetingKind
    date: Day = Field(description="Inside the trio's session")
    host_establishment_id: uuid.UUID | None = Field(
        default=None, description="`trio` meetings: the member school that hosts it")
    location: ShortText = ""
    notes: LongText = ""


class MeetingUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "date": "2025-11-19",
        "attendance": [{"establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
                        "status": "present"}],
        "notes": "Learning walk in P5-P7."}]})
    date: Day = Field(default=None, description="Inside the trio's session")
    host_establishment_id: uuid.UUID = Field(default=None, description="`trio` meetings only")
    location: ShortText = Field(default=None)
    attendance: list[AttendanceEntry] = Field(
        default=None, max_length=8, description="Replaces the attendance, once the meeting has "
        "been held (dated today or before): one entry for every member school, or for a "
        "meeting whose attendance was recorded before the members changed, for every school it "
        "lists. `[]` clears it")
    notes: LongText = Field(default=None)


class MeetingRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "4c3b2a19-0f8e-4d7c-9b6a-5f4e3d2c1b0a", "trio_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "sequence": 2, "kind": "trio", "date": "2025-11-12",
        "host_establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "location": "",
        "attendance": [{"establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
                        "status": "present"}],
        "notes": "", "version": 1, "created_at": "2025-08-20T09:00:00Z",
        "updated_at": "2025-08-20T09:00:00Z"}]})
    id: uuid.UUID
    trio_id: uuid.UUID
    sequence: int
    kind: MeetingKind
    date: Day
    host_establishment_id: uuid.UUID | None
    location: str
    attendance: list[AttendanceEntry]
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


# Peer reviews --------------------------------------------------------------------------


class PeerReviewCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "visited_establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
        "date": "2026-03-04", "indicator_code": "2.3",
        "strengths": "Learners talk confidently about their next steps.",
        "next_steps": "Use plenaries to check understanding before moving on."}]})
    visited_establishment_id: uuid.UUID = Field(
        description="A member school other than the reviewing headteacher's own")
    date: Day = Field(description="Inside the trio's session, today or before")
    indicator_code: IndicatorCode = Field(
        description="One of the trio's focus indicators, or 2.3 (learning, teaching and "
        "assessment: what a trio's peer reviews look at)")
    strengths: LongText = ""
    next_steps: LongText = ""


class PeerReviewUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "date": "2026-03-11", "next_steps": "Use plenaries to check understanding."}]})
    visited_establishment_id: uuid.UUID = Field(
        default=None, description="A member school other than the reviewing headteacher's own")
    date: Day = Field(default=None, description="Inside the trio's session, today or before")
    indicator_code: IndicatorCode = Field(
        default=None, description="One of the trio's focus indicators, or 2.3")
    strengths: LongText = Field(default=None)
    next_steps: LongText = Field(default=None)


class PeerReviewRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "7d6c5b4a-3928-4170-8f6e-5d4c3b2a1908", "trio_id": "3f2e1d0c-9b8a-4766-8554-4433221100ff",
        "visited_establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "date": "2026-02-04",
        "indicator_code": "2.3", "strengths": "Learners talk confidently about their next steps.",
        "next_steps": "Extend use of success criteria to P1-P3.",
        "recorded_by": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140", "recorded_by_label": "Jo Smith",
        "version": 1, "created_at": "2026-02-04T15:00:00Z", "updated_at": "2026-02-04T15:00:00Z",
    }]})
    id: uuid.UUID
    trio_id: uuid.UUID
    visited_establishment_id: uuid.UUID
    date: Day
    indicator_code: str
    strengths: str
    next_steps: str
    recorded_by: uuid.UUID | None
    recorded_by_label: str
    version: int
    created_at: datetime
    updated_at: datetime


# The authority's programme ---------------------------------------------------------------

MeetingCount = Annotated[int, Field(ge=0, le=12)]


class ProgrammePut(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "indicator_codes": ["1.3", "3.2"], "central_meetings": 3, "trio_meetings": 3}]})
    indicator_codes: FocusIndicators | None = Field(
        default=None, description="The focus every trio of the session takes; null: each trio "
        "chooses its own")
    central_meetings: MeetingCount | None = Field(
        default=None, description="How many `central` meetings a trio holds; null: the plan's "
        "three, and more may be added")
    trio_meetings: MeetingCount | None = Field(
        default=None, description="How many `trio` meetings (in the members' schools) a trio "
        "holds; null: the plan's three, and more may be added")


class ProgrammeRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "1e2d3c4b-5a69-4788-9766-554433221100",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "session": "2025-26",
        "indicator_codes": ["1.3", "3.2"], "central_meetings": 3, "trio_meetings": 3,
        "version": 1, "created_at": "2025-06-20T09:00:00Z", "updated_at": "2025-06-20T09:00:00Z",
    }]})
    id: uuid.UUID
    authority_id: uuid.UUID
    session: str
    indicator_codes: list[str] | None
    central_meetings: int | None
    trio_meetings: int | None
    version: int
    created_at: datetime
    updated_at: datetime


# Proposals -----------------------------------------------------------------------------


class ProposalRequest(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "session": "2025-26", "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
        "establishment_ids": ["9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
                              "7c2e1d4f-5a6b-4c8d-9e0f-1a2b3c4d5e6f",
                              "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"],
        "indicator_codes": ["1.3", "3.2"]}]})
    session: SchoolSession
    authority_id: uuid.UUID
    establishment_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=1000, description="The schools that opted in")
    indicator_codes: FocusIndicators | None = Field(
        default=None, description="The focus for every group, checked against each school's "
        "framework. Left out, the focus the authority's trio programme fixes for the session; "
        "with neither, the proposal is not `ready` and `missing` says so")


class UnplacedReason(StrEnum):
    not_found = "not_found"
    other_authority = "other_authority"
    closed = "closed"
    already_in_trio = "already_in_trio"
    framework_mismatch = "framework_mismatch"
    no_area = "no_area"
    area_too_small = "area_too_small"
    area_remainder = "area_remainder"
    cluster_saturated = "cluster_saturated"


class ProposedMember(ReadModel):
    establishment_id: uuid.UUID
    code: str
    name: str
    cluster_id: uuid.UUID | None
    cluster_name: str | None
    roll: int
    simd_q1_percent: float | None
    headteacher_id: uuid.UUID | None = Field(description="Its only active headteacher, if one")


class Pairing(ReadModel):
    establishment_ids: list[uuid.UUID] = Field(min_length=2, max_length=2)
    reason: str


class ProposedTrioMember(ReadModel):
    establishment_id: uuid.UUID
    headteacher_id: uuid.UUID | None


class ProposedTrio(ReadModel):
    """The body of `POST /trios` that forms a group as proposed."""

    session: str
    kind: TrioKind
    authority_id: uuid.UUID
    area: str
    name: str
    indicator_codes: list[str]
    members: list[ProposedTrioMember]


class ProposedGroup(ReadModel):
    kind: TrioKind
    area: str = Field(description="The area's name")
    area_id: uuid.UUID
    indicator_codes: list[str]
    score: float = Field(description="1 - spread of roll and SIMD Q1 (scaled 0..1): 1 is alike")
    reason: str = Field(description="Written from the figures the grouping used: the members' "
                        "rolls and SIMD Q1 shares (a school without a figure is said to have "
                        "none, and compared at the stand-in the grouping used)")
    members: list[ProposedMember]
    pairings: list[Pairing]
    trio: ProposedTrio = Field(description="The body of POST /trios that forms this group as "
                               "proposed: it keeps every rule when the proposal is `ready`")


class UnplacedSchool(ReadModel):
    establishment_id: uuid.UUID
    reason: UnplacedReason
    detail: str


_PROPOSED_MEMBERS = [
    {"establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "code": "8502323",
     "name": "Chapelside Primary School", "cluster_id": "8b7a6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d",
     "cluster_name": "Airdrie Academy cluster", "roll": 198, "simd_q1_percent": 18.0,
     "headteacher_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21"},
    {"establishment_id": "7c2e1d4f-5a6b-4c8d-9e0f-1a2b3c4d5e6f", "code": "8502420",
     "name": "Clarkston Primary School", "cluster_id": "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
     "cluster_name": "Caldervale High School cluster", "roll": 240, "simd_q1_percent": None,
     "headteacher_id": None},
    {"establishment_id": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "code": "8502528",
     "name": "Glenmavis Primary School", "cluster_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
     "cluster_name": "St Margaret's High School cluster", "roll": 226, "simd_q1_percent": 27.0,
     "headteacher_id": None},
]


class ProposalRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "session": "2025-26", "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
        "indicator_codes": ["1.3", "3.2"], "ready": True, "missing": [], "score": 0.912,
        "placed": 3,
        "groups": [{
            "kind": "trio", "area": "Airdrie", "area_id": "2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f",
            "indicator_codes": ["1.3", "3.2"], "score": 0.912,
            "reason": "Same area (Airdrie); 3 different clusters; rolls 198-240; SIMD Q1 "
                      "Chapelside Primary School 18%, Glenmavis Primary School 27%; no SIMD "
                      "figure for 1 of 3 schools (compared at 22%, the median of the schools "
                      "offered with one).",
            "members": _PROPOSED_MEMBERS, "pairings": [],
            "trio": {"session": "2025-26", "kind": "trio",
                     "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "area": "Airdrie",
                     "name": "Airdrie trio 1", "indicator_codes": ["1.3", "3.2"],
                     "members": [{"establishment_id": m["establishment_id"],
                                  "headteacher_id": m["headteacher_id"]}
                                 for m in _PROPOSED_MEMBERS]}}],
        "unplaced": [{"establishment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                      "reason": "already_in_trio",
                      "detail": "Already in trio 0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a for 2025-26."}],
    }]})
    session: str
    authority_id: uuid.UUID
    indicator_codes: list[str] = Field(description="The focus of every group: as asked, or "
                                       "the one the authority's programme fixes")
    ready: bool = Field(description="Every group's `trio` can be sent to POST /trios as it "
                        "stands; when not, `missing` says what to add")
    missing: list[str] = Field(description="What the groups lack to be formed (e.g. the focus "
                               "indicators), each with what to do")
    score: float = Field(description="Mean of the groups' scores")
    placed: int
    groups: list[ProposedGroup]
    unplaced: list[UnplacedSchool]
