# mypy: disable-error-code="assignment, arg-type, list-item, dict-item"
# (PATCH bodies declare `Field(default=None)` on non-nullable types, as app/*/schemas.py do.)
"""The contract for trios and quads, their meetings, peer reviews and proposals."""

import uuid
from datetime import datetime
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
    indicator_codes: FocusIndicators
    members: Members
    overrides: Overrides = []


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
                             "checked again")
    overrides: Overrides = Field(default=None, description="Replaces the overrides")


class MemberRead(ReadModel):
    establishment_id: uuid.UUID
    establishment_name: str
    cluster_id: uuid.UUID | None
    area: str | None
    headteacher_id: uuid.UUID | None


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
        default=None, max_length=8, description="Replaces the attendance; one entry per member")
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
    visited_establishment_id: uuid.UUID = Field(description="A member school")
    date: Day = Field(description="Inside the trio's session")
    indicator_code: IndicatorCode = Field(
        default="2.3", description="The focus indicator (2.3: learning, teaching and assessment)")
    strengths: LongText = ""
    next_steps: LongText = ""


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
        "framework")


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


class ProposedGroup(ReadModel):
    kind: TrioKind
    area: str
    indicator_codes: list[str]
    score: float = Field(description="1 - spread of roll and SIMD Q1 (scaled 0..1): 1 is alike")
    reason: str
    members: list[ProposedMember]
    pairings: list[Pairing]


class UnplacedSchool(ReadModel):
    establishment_id: uuid.UUID
    reason: UnplacedReason
    detail: str


class ProposalRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "session": "2025-26", "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
        "indicator_codes": ["1.3", "3.2"], "score": 0.912, "placed": 3,
        "groups": [{"kind": "trio", "area": "Airdrie", "indicator_codes": ["1.3", "3.2"],
                    "score": 0.912, "reason": "Same area (Airdrie); 3 different clusters; "
                    "rolls 198-240; SIMD Q1 18-27%.", "members": [], "pairings": []}],
        "unplaced": [{"establishment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                      "reason": "already_in_trio",
                      "detail": "Already in trio 0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a for 2025-26."}],
    }]})
    session: str
    authority_id: uuid.UUID
    indicator_codes: list[str]
    score: float = Field(description="Mean of the groups' scores")
    placed: int
    groups: list[ProposedGroup]
    unplaced: list[UnplacedSchool]
