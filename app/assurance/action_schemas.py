"""The contract for the actions agreed at visits and followed up after them."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from app.core.schemas import Day, LongText, ReadModel, ShortText, WriteModel
from app.organisations.schools import SchoolCode, SchoolName

DONE_ON = "The day it was done; null while it is open"
DONE_AT = ("The later visit at which it was found done (a draft or final visit of the same "
           "school, on or after the visit that agreed it); null when marked done between visits")


class AgreedAction(WriteModel):
    """An action agreed at a visit, as the visit writes it (in order)."""

    description: LongText
    owner: ShortText = Field(default="", description="Who carries it out, e.g. DHT")
    due: Day | None = None


class VisitAction(ReadModel):
    """An action as its visit shows it, with how far it has been followed up."""

    id: uuid.UUID
    description: str
    owner: str
    due: Day | None
    done_on: Day | None = Field(description=DONE_ON)
    done_at_visit_id: uuid.UUID | None = Field(description=DONE_AT)
    version: int


_ACTION_EXAMPLE: dict[str, Any] = {
    "id": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "visit_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
    "visit_date": "2025-10-07", "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
    "establishment_code": "8523928", "establishment_name": "Chapelside Primary School",
    "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "session": "2025-26", "position": 0,
    "description": "Moderation with cluster", "owner": "DHT", "due": "2025-12-12",
    "done_on": None, "done_at_visit_id": None, "overdue": False, "version": 1,
    "created_at": "2025-10-07T16:02:11Z", "updated_at": "2025-10-07T16:02:11Z",
}


class AgreedActionRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ACTION_EXAMPLE]})
    id: uuid.UUID
    visit_id: uuid.UUID = Field(description="The visit at which it was agreed")
    visit_date: Day
    establishment_id: uuid.UUID
    establishment_code: SchoolCode
    establishment_name: SchoolName
    authority_id: uuid.UUID
    session: str
    position: int = Field(description="Its place in its visit's list, from 0")
    description: str
    owner: str
    due: Day | None
    done_on: Day | None = Field(description=DONE_ON)
    done_at_visit_id: uuid.UUID | None = Field(description=DONE_AT)
    overdue: bool = Field(description="Open and past its due date, today")
    version: int
    created_at: datetime
    updated_at: datetime


class ActionFollowUp(WriteModel):
    """Mark an action done (at a later visit, or on a day), or open it again (`done_on`
    null). What the action is, and who owns it, is written with its visit."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"done_at_visit_id": "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6"},
        {"done_on": "2025-11-28"}, {"done_on": None}]})
    done_on: Day | None = Field(default=None, description=(
        DONE_ON + "; defaults to the date of `done_at_visit_id`. Not before the visit that "
        "agreed it, nor after today"))
    done_at_visit_id: uuid.UUID | None = Field(default=None, description=DONE_AT)


class ActionSyncItem(WriteModel):
    """A follow-up recorded on a device: applied when the action is still as the device last
    read it (`base_version`), a conflict otherwise."""

    id: uuid.UUID = Field(description="The agreed action's id")
    base_version: int = Field(ge=1, description="The action's version the device last had")
    follow_up: ActionFollowUp
