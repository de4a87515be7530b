"""The contract for support status and link-officer visits."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from app.assurance.action_schemas import (
    ActionSyncItem,
    AgreedAction,
    AgreedActionRead,
    VisitAction,
)
from app.core.schemas import (
    Day,
    Instant,
    LongText,
    Rag,
    ReadModel,
    ShortText,
    SupportLevel,
    VisitKind,
    WriteModel,
)
from app.organisations.schools import SchoolCode, SchoolName

IndicatorCodes = Annotated[list[Annotated[str, Field(max_length=16)]], Field(max_length=20)]


class SupportReason(StrEnum):
    new_headteacher = "new_headteacher"
    urgent_improvement_needed = "urgent_improvement_needed"
    extra_support_needed = "extra_support_needed"
    performing_consistently_well = "performing_consistently_well"
    other = "other"


class SupportStatusPut(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rag": "amber", "level": "additional", "reasons": ["new_headteacher"],
        "agreed_on": "2025-09-12", "agreed_with": "Headteacher", "notes": "Review at Christmas.",
    }]})
    rag: Rag
    level: SupportLevel
    reasons: list[SupportReason] = Field(min_length=1, max_length=5)
    agreed_on: Day
    agreed_with: ShortText = ""
    notes: LongText = ""


class SupportStatusRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "rag": "amber",
        "level": "additional", "reasons": ["new_headteacher"], "agreed_on": "2025-09-12",
        "agreed_with": "Headteacher", "notes": "Review at Christmas.",
        "set_by": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "set_by_label": "officer@example.scot",
        "version": 2, "created_at": "2025-09-12T15:00:00Z",
    }]})
    establishment_id: uuid.UUID
    rag: Rag
    level: SupportLevel
    reasons: list[SupportReason]
    agreed_on: Day
    agreed_with: str
    notes: str
    set_by: uuid.UUID | None
    set_by_label: str
    version: int = Field(description="1 for the school's first status, then one more each time")
    created_at: datetime


FOCUS = "What the visit looks at (each visit has a specific focus)"
AGENDA = ("The areas the officer wishes to examine and discuss, sent ahead: the school sees a "
          "planned visit, with its agenda, once it is shared with it")


class VisitStatus(StrEnum):
    """`planned`: arranged, with its focus and agenda (the school sees it once shared);
    `draft`: being written up by its officer; `final`: the record, the authority's."""

    planned = "planned"
    draft = "draft"
    final = "final"


_VISIT_EXAMPLE = {
    "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "visit_date": "2025-10-07",
    "kind": "support_and_challenge", "indicator_codes": ["2.3"],
    "focus": "Numeracy in P5", "agenda": "P5 numeracy tracking; moderation of CfE levels.",
    "notes": "Observed P5 numeracy; pace good.", "strengths": "Clear learning intentions.",
    "next_steps": "Share success criteria with pupils.",
    "agreed_actions": [{"description": "Moderation with cluster", "owner": "DHT",
                        "due": "2025-12-12"}],
    "shared_with_school": True, "status": "final", "client_recorded_at": "2025-10-07T11:32:00Z",
}


class VisitFields(WriteModel):
    establishment_id: uuid.UUID
    officer_id: uuid.UUID | None = Field(default=None, description="Defaults to the caller")
    visit_date: Day
    kind: VisitKind
    indicator_codes: IndicatorCodes = []
    focus: ShortText = Field(default="", description=FOCUS)
    agenda: LongText = Field(default="", description=AGENDA)
    notes: LongText = ""
    strengths: LongText = ""
    next_steps: LongText = ""
    agreed_actions: list[AgreedAction] = Field(default=[], max_length=30)
    shared_with_school: bool = False
    status: VisitStatus = VisitStatus.draft
    client_recorded_at: Instant | None = Field(
        default=None, description="When the device recorded it, kept beside the server's time")
    device_id: Annotated[str, Field(max_length=100)] | None = None


class VisitCreate(VisitFields):
    model_config = ConfigDict(json_schema_extra={"examples": [_VISIT_EXAMPLE]})
    id: uuid.UUID | None = Field(default=None, description="A client may choose the id")


class VisitPut(VisitFields):
    model_config = ConfigDict(json_schema_extra={"examples": [_VISIT_EXAMPLE]})


class VisitUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "final"}]})
    visit_date: Day = Field(default=None)
    kind: VisitKind = Field(default=None)
    indicator_codes: IndicatorCodes = Field(default=None)
    focus: ShortText = Field(default=None)
    agenda: LongText = Field(default=None)
    notes: LongText = Field(default=None)
    strengths: LongText = Field(default=None)
    next_steps: LongText = Field(default=None)
    agreed_actions: list[AgreedAction] = Field(default=None, max_length=30)
    shared_with_school: bool = Field(default=None)
    status: VisitStatus = Field(default=None)
    client_recorded_at: Instant | None = None


class VisitRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_VISIT_EXAMPLE, "establishment_code": "8523928", "establishment_name": "Chapelside Primary School",
        "agreed_actions": [{"id": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                            "description": "Moderation with cluster", "owner": "DHT",
                            "due": "2025-12-12", "done_on": None, "done_at_visit_id": None,
                            "version": 1}],
        "id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "session": "2025-26",
        "officer_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "device_id": "ipad-17",
        "version": 1, "created_at": "2025-10-07T16:02:11Z", "updated_at": "2025-10-07T16:02:11Z",
    }]})
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_code: SchoolCode
    establishment_name: SchoolName
    authority_id: uuid.UUID
    officer_id: uuid.UUID
    session: str
    visit_date: Day
    kind: VisitKind
    indicator_codes: list[str]
    focus: str
    agenda: str
    notes: str
    strengths: str
    next_steps: str
    agreed_actions: list[VisitAction]
    shared_with_school: bool
    status: VisitStatus
    client_recorded_at: datetime | None
    device_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class SyncItem(WriteModel):
    id: uuid.UUID
    base_version: int | None = Field(
        default=None, ge=1, description="The version the device last had; null for a new visit")
    deleted: bool = False
    visit: VisitPut | None = Field(default=None, description="Omitted only when deleted")


@dataclass(frozen=True)
class MalformedItem:
    """A sync item that breaks the contract: answered `rejected` with its errors, on its own,
    while the rest of the batch is applied (one bad record must not block a phone's queue)."""

    id: uuid.UUID
    errors: list[dict[str, Any]]


def _item_or_malformed(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        raw_id = value.get("id") if isinstance(value, dict) else None
        try:
            item_id = uuid.UUID(str(raw_id))
        except ValueError:
            raise exc from None  # without its id an item cannot be answered on its own
        errors = [{"loc": [str(p) if not isinstance(p, int | str) else p for p in e["loc"]],
                   "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return MalformedItem(item_id, errors)


# Validated one by one; the contract still describes a SyncItem.
SyncItemOrMalformed = Annotated[SyncItem, WrapValidator(_item_or_malformed)]


class SupportStatusSyncItem(WriteModel):
    """A support status agreed in a school on a device: applied when the school's status is
    still the one the device last read (`base_version`), a conflict otherwise."""

    establishment_id: uuid.UUID
    base_version: int | None = Field(default=None, ge=1, description=(
        "The version of the school's status the device last had; null when it had none"))
    status: SupportStatusPut


class SyncRequest(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "device_id": "ipad-17",
        "items": [{"id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "base_version": None,
                   "visit": _VISIT_EXAMPLE}],
    }]})
    device_id: Annotated[str, Field(min_length=1, max_length=100)]
    items: list[SyncItemOrMalformed] = Field(
        default=[], max_length=200,
        description="Each item is checked on its own: one that breaks the contract is answered "
        "`rejected` with its `errors` and the others are applied (an item without a valid `id` "
        "fails the whole batch, as it cannot be answered)")
    action_follow_ups: list[ActionSyncItem] = Field(
        default=[], max_length=200, description="Agreed actions marked done (or open again), "
        "applied after the visits: a follow-up may name a visit of the same batch")
    support_statuses: list[SupportStatusSyncItem] = Field(
        default=[], max_length=200, description="Support statuses agreed, applied last")

    @model_validator(mode="after")
    def _something(self) -> "SyncRequest":
        if not (self.items or self.action_follow_ups or self.support_statuses):
            raise ValueError("Send at least one visit, action follow-up or support status.")
        return self


class SyncOutcome(StrEnum):
    applied = "applied"
    unchanged = "unchanged"
    conflict = "conflict"
    rejected = "rejected"


class ItemError(ReadModel):
    loc: list[str | int]
    msg: str
    type: str


class SyncItemResult(ReadModel):
    id: uuid.UUID
    outcome: SyncOutcome
    version: int | None = Field(default=None, description="The server's version now")
    current: VisitRead | None = Field(
        default=None, description="On conflict: the server's current visit, to merge with")
    deleted: bool = Field(
        default=False, description="On conflict: the visit was deleted on the server (it is "
        "not brought back; keep the device's notes as a new visit, with a new id)")
    status: int | None = Field(default=None, description="On rejection: the HTTP status")
    detail: str | None = None
    errors: list[ItemError] | None = Field(
        default=None, description="On rejection of an item that breaks the contract: what is "
        "wrong with it, each where it is in the item")


class ActionSyncResult(ReadModel):
    id: uuid.UUID
    outcome: SyncOutcome
    version: int | None = Field(default=None, description="The action's version now")
    current: AgreedActionRead | None = Field(
        default=None, description="On conflict: the server's current action")
    status: int | None = Field(default=None, description="On rejection: the HTTP status")
    detail: str | None = None


class SupportStatusSyncResult(ReadModel):
    establishment_id: uuid.UUID
    outcome: SyncOutcome
    version: int | None = Field(default=None, description="The school's status version now")
    current: SupportStatusRead | None = Field(
        default=None, description="On conflict: the status agreed on the server since")
    status: int | None = Field(default=None, description="On rejection: the HTTP status")
    detail: str | None = None


class SyncResult(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "applied": 1, "unchanged": 0, "conflict": 1, "rejected": 0,
        "items": [
            {"id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "outcome": "applied", "version": 1},
            {"id": "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6", "outcome": "conflict", "version": None,
             "status": 412, "detail": "The visit changed on the server since this device read it."},
        ],
    }]})
    # One total per outcome, named as the items name it (tests/assurance check they match).
    applied: int = Field(description="Items (of every list) whose `outcome` is `applied`")
    unchanged: int = Field(description="Items (of every list) whose `outcome` is `unchanged`")
    conflict: int = Field(description="Items (of every list) whose `outcome` is `conflict`")
    rejected: int = Field(description="Items (of every list) whose `outcome` is `rejected`")
    items: list[SyncItemResult]
    action_follow_ups: list[ActionSyncResult] = Field(
        default=[], description="One per follow-up sent, in order")
    support_statuses: list[SupportStatusSyncResult] = Field(
        default=[], description="One per support status sent, in order")
