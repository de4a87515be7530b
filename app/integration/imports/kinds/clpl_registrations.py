"""Import kind `clpl-registrations`: people booked onto CLPL events, as a council officer's
booking spreadsheet lists them.

Columns: the event, by `event_id` or by its title (`event`, with `event_date` when titles
repeat: the day it starts, e.g. 2025-11-12 or 12/11/2025, in Scotland's time); the participant's
`email` (the record: one registration per person and event), `name`, `role` and
`establishment_code` (SEED code); `status` and `attended`.

`status` says what the row wants: `registered` (also confirmed, booked, waitlisted: a place,
or a place on the waiting list as the event's capacity decides), `cancelled` (withdrawn), or
`attended` / `did not attend` (registered, with attendance marked). A blank status leaves an
existing registration as it is and books a new one. `attended` (yes/no) marks attendance too.

Each row is written by the learning domain's own functions, so it is the booking, the
cancellation (promoting the first waiting) or the attendance a single request makes, under
the same policy: an event's managers book anyone onto it, headteachers their own schools'
staff (naming the school). A participant's name, role and school are those of their
booking: a row for someone already registered changes only its status and attendance.
A row cancelling someone who has no registration is skipped, with a warning.

And under the same rules once an event has started: a new booking fails its row, a
cancellation of a confirmed place is a late one (no one promoted), and a registration whose
attendance is marked, or that waits on the frozen waiting list, cannot be cancelled.

The report says how the created registrations came out: `created_as` counts those
`confirmed` (a place) and those `waitlisted` (on the waiting list).
"""

import re
import uuid
from contextlib import suppress
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict

from app.core.errors import Conflict, Forbidden
from app.core.schemas import Name
from app.identity.policy import allowed
from app.integration.imports.registry import register
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Outcome,
    RowFailure,
    Skipped,
    blank_to_none,
    text_code,
    yes_no,
)
from app.learning.clpl.models import ACTIVE, LATE_CANCELLED
from app.learning.clpl.registrations import (
    Places,
    attend,
    book,
    events_titled,
    hold_places,
    registrations_of,
    withdraw,
)
from app.learning.clpl.schemas import Email, Participant
from app.organisations.schemas import EstablishmentCode
from app.organisations.service import establishments_by_code

SCOTLAND = ZoneInfo("Europe/London")
# What a row wants, from the words booking sheets use: (registration, attended).
STATUSES: dict[str, tuple[str, bool | None]] = {
    **dict.fromkeys(("registered", "confirmed", "booked", "waitlisted", "waitinglist",
                     "waiting"), ("active", None)),
    **dict.fromkeys(("attended", "present"), ("active", True)),
    **dict.fromkeys(("didnotattend", "dna", "absent", "noshow"), ("active", False)),
    **dict.fromkeys(("cancelled", "canceled", "withdrawn"), ("cancelled", None)),
}
ATTENDED = {"attended": True, "present": True, "didnotattend": False, "dna": False,
            "absent": False, "noshow": False}


def _word(value: str) -> str:
    return re.sub(r"[^a-z]", "", value.lower())


def _status(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, str):
        if _word(value) not in STATUSES:
            raise ValueError("registered, cancelled, attended or did not attend (also: confirmed, "
                             "waitlisted, withdrawn, absent)")
        return _word(value)
    return value


def _attended(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, str) and _word(value) in ATTENDED:
        return ATTENDED[_word(value)]
    return yes_no(value)


def _day(value: Any) -> Any:
    """2025-11-12 (or a time that day), or 12/11/2025 as UK spreadsheets write it."""
    value = blank_to_none(value)
    if isinstance(value, str):
        iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
        uk = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", value)
        try:
            if iso:
                return date(int(iso[1]), int(iso[2]), int(iso[3]))
            if uk:
                return date(int(uk[3]), int(uk[2]), int(uk[1]))
        except ValueError:
            pass
        raise ValueError("a date, e.g. 2025-11-12 or 12/11/2025")
    return value


class RegistrationRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_id: Annotated[uuid.UUID | None, BeforeValidator(blank_to_none)] = None
    event: Annotated[Name | None, BeforeValidator(blank_to_none)] = None
    event_date: Annotated[date | None, BeforeValidator(_day)] = None
    participant_email: Annotated[Email, BeforeValidator(blank_to_none)]
    participant_name: Annotated[Name | None, BeforeValidator(blank_to_none)] = None
    role: Annotated[Name | None, BeforeValidator(blank_to_none)] = None
    establishment_code: Annotated[EstablishmentCode | None, BeforeValidator(text_code)] = None
    status: Annotated[str | None, BeforeValidator(_status)] = None
    attended: Annotated[bool | None, BeforeValidator(_attended)] = None

    @property
    def email(self) -> str:
        """The record's key, named as the file's column, so a repeat is reported against it."""
        if self.event_id is not None:
            return f"{self.participant_email} on event {self.event_id}"
        on = f" on {self.event_date:%Y-%m-%d}" if self.event_date else ""
        return f"{self.participant_email} on {(self.event or '').lower()!r}{on}"


def _titles(ctx: ImportContext, rows: list[RegistrationRow]) -> dict[str, list[tuple[uuid.UUID, date]]]:
    """Title (lower case) -> the visible events so titled, with the day each starts; looked up
    once per title for the whole import."""
    titles: dict[str, list[tuple[uuid.UUID, date]]] = ctx.cache.setdefault("titles", {})
    wanted = {row.event.lower() for row in rows if row.event_id is None and row.event} - titles.keys()
    for title in wanted:
        titles[title] = []
    for event_id, title, starts_at in events_titled(ctx.session, ctx.principal, wanted):
        titles[title.lower()].append((event_id, starts_at.astimezone(SCOTLAND).date()))
    return titles


class Batch:
    """The events a batch names (locked, places counted, held for the whole import), the
    schools it names, and the registrations of its participants on those events."""

    def __init__(self, ctx: ImportContext, rows: list[RegistrationRow]) -> None:
        self.titles = _titles(ctx, rows)
        self.places: dict[uuid.UUID, Places] = ctx.cache.setdefault("events", {})
        named = {row.event_id for row in rows if row.event_id is not None}
        named |= {i for row in rows if row.event_id is None and row.event
                  for i, _ in self.titles.get(row.event.lower(), [])}
        self.places.update(hold_places(ctx.session, ctx.principal, named - self.places.keys()))
        codes = {row.establishment_code for row in rows if row.establishment_code}
        schools = establishments_by_code(ctx.session, ctx.principal, codes) if codes else {}
        # Codes of establishments the importer cannot see are unknown to it.
        self.schools = {code: school.id for code, (school, seen) in schools.items() if seen}
        pairs = []
        for row in rows:
            with suppress(RowFailure):  # reported when the row is applied
                pairs.append((self.event_of(row).event.id, row.participant_email))
        self.registrations = registrations_of(ctx.session, ctx.principal, pairs)

    def event_of(self, row: RegistrationRow) -> Places:
        if row.event_id is not None:
            if row.event_id not in self.places:
                raise RowFailure("event_id", f"no CLPL event with id {row.event_id} that you can see")
            return self.places[row.event_id]
        if row.event is None:
            raise RowFailure("event", "name the event: its event_id, or its title (and "
                                      "event_date when several events share the title)")
        found = self.titles.get(row.event.lower(), [])
        if not found:
            raise RowFailure("event", f"no CLPL event titled {row.event!r} that you can see")
        if row.event_date is not None:
            found = [(i, day) for i, day in found if day == row.event_date]
            if not found:
                raise RowFailure("event_date", f"no event titled {row.event!r} starts on "
                                               f"{row.event_date:%Y-%m-%d}")
        if len(found) > 1:
            days = ", ".join(sorted(f"{day:%Y-%m-%d}" for _, day in found))
            raise RowFailure("event_date" if row.event_date else "event",
                             f"{len(found)} events are titled {row.event!r} (starting {days}): "
                             "give event_date, or event_id")
        return self.places[found[0][0]]


def _wants(row: RegistrationRow) -> tuple[str | None, bool | None]:
    """(registration wanted: active, cancelled or None for as it is; attended or None)."""
    wanted, attended = STATUSES[row.status] if row.status else (None, None)
    if attended is not None and row.attended is not None and attended != row.attended:
        raise RowFailure("attended", f"says {'yes' if row.attended else 'no'}, but the status "
                                     f"says {'attended' if attended else 'did not attend'}")
    if wanted == "cancelled" and row.attended:
        raise RowFailure("attended", "a cancelled registration was not attended")
    return wanted, attended if attended is not None else row.attended


def _participant(row: RegistrationRow, batch: Batch) -> Participant:
    for field, label in (("participant_name", "name"), ("role", "role")):
        if getattr(row, field) is None:
            raise RowFailure(field, f"the participant's {label} is required for a new registration")
    school_id = None
    if row.establishment_code is not None:
        school_id = batch.schools.get(row.establishment_code)
        if school_id is None:
            raise RowFailure("establishment_code", f"no establishment with code "
                                                   f"{row.establishment_code} that you can see")
    return Participant.model_validate({"name": row.participant_name, "email": row.participant_email,
                                       "establishment_id": school_id, "role": row.role})


def apply(ctx: ImportContext, row: RegistrationRow, batch: Batch) -> Outcome | Skipped:
    places = batch.event_of(row)
    wanted, attended = _wants(row)
    key = (places.event.id, row.participant_email)
    found = batch.registrations.get(key)
    registration = found[0] if found else None
    if found is not None and not found[1]:
        if registration is not None and registration.status in ACTIVE:
            raise RowFailure("participant_email", f"{row.participant_email} is already registered "
                                                  "for this event, by someone else")
        registration = None  # a cancelled booking the caller cannot see is none of its business
    confirmed = places.confirmed
    try:
        outcome = _write(ctx, row, batch, places, registration, wanted, attended)
    except Forbidden:
        _undo(ctx, batch, places, key, found, confirmed)
        # Allowed to book staff, but not to manage the event: so it named someone else's school.
        if (allowed(ctx.principal, "clpl_event.book_staff", places.event)
                and not allowed(ctx.principal, "clpl_event.manage", places.event)):
            raise RowFailure("establishment_code", "you book your own schools' staff only: name "
                                                   "one of your schools") from None
        raise RowFailure("event_id" if row.event_id else "event",
                         "not allowed to manage the bookings of this event") from None
    except Exception:
        _undo(ctx, batch, places, key, found, confirmed)
        raise
    if outcome == Outcome.created:  # counted once the row has held: confirmed or waitlisted
        ctx.created_as[batch.registrations[key][0].status] += 1
    return outcome


def _write(ctx: ImportContext, row: RegistrationRow, batch: Batch, places: Places,
           registration: Any, wanted: str | None, attended: bool | None) -> Outcome | Skipped:
    session, principal = ctx.session, ctx.principal
    outcome = Outcome.unchanged
    event_column = "event_id" if row.event_id else "event"
    if registration is not None and registration.status in ACTIVE:
        try:
            if wanted == "cancelled" and withdraw(session, principal, places, registration):
                outcome = Outcome.updated
        except Conflict as exc:  # attendance marked, or waiting when the event started
            raise RowFailure("status", exc.detail or exc.title) from None
    elif wanted == "cancelled":
        if registration is None:
            return Skipped(f"{row.participant_email} has no registration on "
                           f"{places.event.title!r} to cancel")
    elif registration is not None and registration.status == LATE_CANCELLED and wanted == "active":
        raise RowFailure("status", f"{row.participant_email} cancelled late (after the event "
                                   "started): that registration is the record, and the "
                                   "event takes no more bookings")
    elif registration is None or wanted == "active":
        try:
            registration = book(session, principal, places, _participant(row, batch))
        except Conflict as exc:  # the event is cancelled, or has started
            raise RowFailure(event_column, exc.detail or exc.title) from None
        batch.registrations[(places.event.id, row.participant_email)] = (registration, True)
        outcome = Outcome.created
    if attended is not None and registration is not None:
        try:
            if attend(session, principal, places, registration, attended):
                outcome = Outcome.updated if outcome == Outcome.unchanged else outcome
        except Forbidden:
            raise RowFailure("attended", "only the event's managers mark attendance") from None
        except Conflict as exc:  # not started, cancelled, not a confirmed place, evaluated
            raise RowFailure("attended", exc.detail or exc.title) from None
    return outcome


def _undo(ctx: ImportContext, batch: Batch, places: Places, key: tuple[uuid.UUID, str],
          found: Any, confirmed: int) -> None:
    """A failing row in a savepoint (partial) leaves nothing behind: nor may its counts. In
    all or nothing its writes stay until the whole import is rolled back, and so do they."""
    if ctx.session.in_nested_transaction():
        places.confirmed = confirmed
        if found is None:
            batch.registrations.pop(key, None)
        else:
            batch.registrations[key] = found


COLUMNS = {
    **dict.fromkeys(("eventid", "clpleventid"), "event_id"),
    **dict.fromkeys(("event", "eventtitle", "eventname", "title", "course", "coursetitle",
                     "coursename"), "event"),
    **dict.fromkeys(("eventdate", "date", "startdate", "coursedate", "startsat"), "event_date"),
    **dict.fromkeys(("email", "emailaddress", "participantemail"), "participant_email"),
    **dict.fromkeys(("name", "participant", "participantname", "fullname"), "participant_name"),
    **dict.fromkeys(("role", "jobtitle", "post", "participantrole"), "role"),
    **dict.fromkeys(("establishmentcode", "seedcode", "seed", "schoolcode"), "establishment_code"),
    **dict.fromkeys(("status", "registrationstatus", "bookingstatus"), "status"),
    **dict.fromkeys(("attended", "attendance"), "attended"),
}

SPEC = register(ImportKindSpec(
    name="clpl-registrations", row=RegistrationRow, columns=COLUMNS,
    required=("participant_email",), key="email", lookup=Batch, apply=apply,
    fields_of={"establishment_id": "establishment_code", "name": "participant_name",
               "email": "participant_email", "role": "role"},
))
