"""POST /imports/clpl-registrations, issue #21:
- point 12: the report says how many of the created registrations were confirmed and how many
  waitlisted (`created_as`), not only "15 created" when 13 of them wait;
- point 5: a file keeps the rules a single request keeps once an event has started (no
  booking; a cancellation of a confirmed place is a late one, promoting no one; a registration
  whose attendance is marked cannot be cancelled)."""

from typing import Any

from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.integration.import_support import csv_rows, school, send
from tests.learning.clpl_started import attend, started_event, statuses, summary
from tests.learning.clpl_world import (
    World,
    create_event,
    world,  # noqa: F401 - the fixture
)

KIND = "clpl-registrations"
HEADER = "event_id,email,name,role,status,attended"


def _file(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _row(event: dict[str, Any], name: str, status: str = "", attended: str = "") -> str:
    first, last = name.split()
    return (f"{event['id']},{first.lower()}.{last.lower()}@school.example.scot,{name},"
            f"Class teacher,{status},{attended}")


def _report(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


NAMES = [f"Person {chr(ord('A') + n)}ee" for n in range(15)]


def test_the_report_says_how_many_were_confirmed_and_how_many_wait(api, world: World):  # noqa: F811
    event = create_event(api, world, capacity=2)
    body = _file(*(_row(event, name) for name in NAMES))
    dry = _report(send(api, world.authority_admin, body, kind=KIND, dry_run=True))
    assert (dry["created"], dry["created_as"]) == (15, {"confirmed": 2, "waitlisted": 13})
    report = _report(send(api, world.authority_admin, body, kind=KIND))
    assert (report["created"], report["created_as"]) == (15, {"confirmed": 2, "waitlisted": 13})
    assert list(statuses(api, event, world.authority_admin).values()).count("waitlisted") == 13
    # Nothing created, nothing to break down; a row failing in a partial import counts nowhere.
    again = _report(send(api, world.authority_admin, body, kind=KIND))
    assert (again["unchanged"], again["created_as"]) == (15, {})
    other = create_event(api, world, capacity=1, title="Another course")
    partial = _report(send(api, world.authority_admin, _file(
        _row(other, "Ann Bell"), _row(other, "Cal Dunn", attended="yes"),
        _row(other, "Eve Ford")), kind=KIND, partial=True))
    assert (partial["created"], partial["failed"]) == (2, 1)
    assert partial["created_as"] == {"confirmed": 1, "waitlisted": 1}


def test_other_kinds_report_an_empty_breakdown(api, make):
    report = _report(send(api, make.headers(make.admin()), csv_rows(school(71))))
    assert (report["created"], report["created_as"]) == (1, {})


def test_a_file_keeps_the_rules_of_a_started_event(api, world: World):  # noqa: F811
    event, (ann, _cal, _eve, _gus) = started_event(
        api, world, ["Ann Bell", "Cal Dunn", "Eve Ford", "Gus Hay"], capacity=3)
    manager = world.authority_admin
    attend(api, event, [ann], manager, attended=False)
    body = _file(_row(event, "Ann Bell", status="cancelled"),  # marked absent: stays
                 _row(event, "Cal Dunn", status="withdrawn"),  # a late cancellation
                 _row(event, "Gus Hay", status="cancelled"),  # waiting when it started: stays
                 _row(event, "Ian Jack"))  # a booking after the start
    rejected = send(api, manager, body, kind=KIND)
    assert rejected.status_code == 422, rejected.text
    report = _report(send(api, manager, body, kind=KIND, partial=True))
    assert (report["updated"], report["created"], report["failed"]) == (1, 0, 3), report
    errors = {e["line"]: (e["column"], e["reason"]) for e in report["errors"]}
    assert errors[2][0] == "status" and "marked absent" in errors[2][1]
    assert errors[4][0] == "status" and "waiting list" in errors[4][1]
    assert errors[5][0] == "event_id" and "bookings closed" in errors[5][1]
    assert statuses(api, event, manager) == {"Ann Bell": "confirmed", "Cal Dunn": "late_cancelled",
                                             "Eve Ford": "confirmed", "Gus Hay": "waitlisted"}
    figures = summary(api, event, manager)
    assert (figures["late_cancelled"], figures["cancelled"], figures["attendance_marked"]) == (
        1, 0, 1)
    # Sent again: the late cancellation is already recorded; asking for the place back fails.
    again = _report(send(api, manager, _file(_row(event, "Cal Dunn", status="cancelled")),
                         kind=KIND))
    assert again["unchanged"] == 1
    back = send(api, manager, _file(_row(event, "Cal Dunn", status="registered")), kind=KIND)
    assert back.status_code == 422 and back.json()["failed"] == 1, back.text
    assert "cancelled late" in back.json()["errors"][0]["reason"]
