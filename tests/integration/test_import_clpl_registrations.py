"""POST /imports/clpl-registrations: bookings by event and email, through the waiting list,
with cancellations and attendance, under the CLPL booking policy."""

import json
from typing import Any

from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.learning.clpl.models import ClplRegistration
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import JSON_LINES, count, send
from tests.learning.clpl_world import (
    World,
    at,
    create_event,
    event_body,
    patch_event,
    registrations,
    world,  # noqa: F401 - the fixture
)

KIND = "clpl-registrations"
HEADER = "event_id,email,name,role,establishment_code,status,attended"


def _file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def _row(event: dict[str, Any], who: str, **fields: str) -> str:
    values = {"event_id": event["id"], "email": f"{who.lower()}@school.example.scot",
              "name": f"{who} Teacher", "role": "Class teacher", "establishment_code": "",
              "status": "", "attended": "", **fields}
    return ",".join(values[c] for c in HEADER.split(","))


def _places(api: Any, event: dict[str, Any], headers: dict[str, str]) -> dict[str, tuple[str, Any]]:
    return {r["participant"]["email"].split("@")[0]: (r["status"], r["attended"])
            for r in registrations(api, event, headers)}


def _versions(db: Session) -> dict[str, int]:
    db.expire_all()
    return {f"{r.participant_email}/{r.sequence}": r.version for r in db.scalars(select(ClplRegistration))}


def _import(api: Any, headers: dict[str, str], body: bytes, **params: Any) -> dict[str, Any]:
    answer = send(api, headers, body, kind=KIND, **params)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def test_a_file_books_places_then_the_waiting_list_and_a_reimport_changes_nothing(
        api, db: Session, world: World):  # noqa: F811
    event = create_event(api, world, capacity=2)
    other = create_event(api, world, title="Another course")
    body = _file(_row(event, "Ann"), _row(event, "Cal", status="registered"),
                 _row(event, "Eve", status="Booked"), _row(other, "Ann"))
    report = _import(api, world.authority_admin, body)
    assert (report["created"], report["updated"], report["unchanged"], report["failed"]) == (4, 0, 0, 0)
    assert _places(api, event, world.authority_admin) == {
        "ann": ("confirmed", None), "cal": ("confirmed", None), "eve": ("waitlisted", None)}
    assert _places(api, other, world.authority_admin) == {"ann": ("confirmed", None)}
    audited, versions = count(db, AuditEvent), _versions(db)
    assert audited == 2 + 4  # the two events, then each booking

    again = _import(api, world.authority_admin, body)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert _versions(db) == versions and count(db, AuditEvent) == audited


def test_cancelling_promotes_the_first_waiting_and_attendance_is_marked(api, world: World):  # noqa: F811
    event = create_event(api, world, capacity=1)
    _import(api, world.authority_admin, _file(_row(event, "Ann"), _row(event, "Cal")))
    assert _places(api, event, world.authority_admin) == {
        "ann": ("confirmed", None), "cal": ("waitlisted", None)}
    # Ann withdraws, so Cal gets her place; Eve's cancellation finds nothing to cancel.
    body = _file(_row(event, "Ann", status="Withdrawn"), _row(event, "Eve", status="cancelled"))
    report = _import(api, world.authority_admin, body)
    assert (report["updated"], report["skipped"], report["failed"]) == (1, 1, 0)
    assert report["warnings"][0]["line"] == 3 and "no registration" in report["warnings"][0]["reason"]
    # After the event, Cal came.
    answer = patch_event(api, event, {"starts_at": at(-1), "ends_at": at(-1, 2)},
                         world.authority_admin)
    assert answer.status_code == 200, answer.text
    report = _import(api, world.authority_admin, _file(_row(event, "Cal", attended="yes")))
    assert report["updated"] == 1
    assert _places(api, event, world.authority_admin) == {
        "ann": ("cancelled", None), "cal": ("confirmed", True)}
    # "did not attend" marks it back; an attended registration cannot be cancelled.
    report = _import(api, world.authority_admin, _file(_row(event, "Cal", status="did not attend")))
    assert report["updated"] == 1 and _places(api, event, world.authority_admin)["cal"] == (
        "confirmed", False)


def test_a_bad_row_in_the_middle_writes_nothing_and_partial_writes_the_rest(
        api, db: Session, world: World):  # noqa: F811
    event = create_event(api, world, capacity=2, starts_at=at(10), ends_at=at(10, 2))
    body = _file(_row(event, "Ann"), _row(event, "Cal", email="not-an-email"),
                 _row(event, "Eve", attended="yes"), _row(event, "Gus"))
    problem = assert_problem(send(api, world.authority_admin, body, kind=KIND), 422)
    assert problem["applied"] is False and problem["failed"] == 2
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(3, "email"), (4, "attended")]
    assert "once the event has started" in problem["errors"][1]["reason"]
    assert count(db, ClplRegistration) == 0

    partial = send(api, world.authority_admin, body, kind=KIND, partial=True)
    assert partial.status_code == 200, partial.text
    assert (partial.json()["created"], partial.json()["failed"]) == (2, 2)
    # The failed row's booking left nothing behind, not even a place counted: Gus has the
    # second place.
    assert _places(api, event, world.authority_admin) == {
        "ann": ("confirmed", None), "gus": ("confirmed", None)}
    read = api.get(f"/api/v1/clpl-events/{event['id']}", headers=world.authority_admin).json()
    assert read["confirmed"] == 2


def test_one_person_twice_on_one_event_is_a_duplicate(api, db: Session, world: World):  # noqa: F811
    event = create_event(api, world)
    body = _file(_row(event, "Ann"), _row(event, "Cal"), _row(event, "Ann", name="Ann Again"))
    problem = assert_problem(send(api, world.authority_admin, body, kind=KIND), 422)
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(4, "email")]
    assert "already on line 2" in problem["errors"][0]["reason"]
    assert count(db, ClplRegistration) == 0


def test_unknown_and_unseen_events_fail_their_rows(api, make: Factory, world: World):  # noqa: F811
    mine = create_event(api, world)
    south_east = api.post("/api/v1/clpl-events", headers=world.other_lead, json={
        **event_body({"region_id": str(world.other_region.id)})})
    assert south_east.status_code == 201, south_east.text
    create_event(api, world, title="Twice a year", starts_at=at(20), ends_at=at(20, 1))
    create_event(api, world, title="Twice a year", starts_at=at(40), ends_at=at(40, 1))
    header = "event_id,event,event_date,email,name,role"
    body = _file(f"{mine['id']},,,ann@school.example.scot,Ann,Teacher",
                 f"{make.id()},,,cal@school.example.scot,Cal,Teacher",
                 f"{south_east.json()['id']},,,eve@school.example.scot,Eve,Teacher",
                 ",No such course,,gus@school.example.scot,Gus,Teacher",
                 ",twice A YEAR,,ian@school.example.scot,Ian,Teacher",
                 ",,,kim@school.example.scot,Kim,Teacher",
                 ",Twice a year,01/01/2099,lou@school.example.scot,Lou,Teacher", header=header)
    report = send(api, world.authority_admin, body, kind=KIND, partial=True).json()
    assert report["created"] == 1
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (3, "event_id"), (4, "event_id"), (5, "event"), (6, "event"), (7, "event"),
        (8, "event_date")]
    assert "that you can see" in report["errors"][1]["reason"]
    assert "2 events are titled" in report["errors"][3]["reason"]


def test_who_may_import_follows_the_booking_policy(api, make: Factory, db: Session,
                                                   world: World):  # noqa: F811
    event = create_event(api, world, regional=True)
    local = create_event(api, world, title="A council course")
    body = _file(_row(event, "Ann"))
    # A plain officer books nobody, and an integration client sees no CLPL at all.
    assert_problem(send(api, world.officer, body, kind=KIND), 403)
    client = make.client(["imports:write"])
    assert_problem(send(api, make.headers(client), body, kind=KIND), 403)
    # A headteacher books their own school's staff, naming the school; no other's.
    mine, theirs = world.school.code, world.other_school.code
    rows = _file(_row(event, "Ann", establishment_code=mine), _row(event, "Cal"),
                 _row(event, "Eve", establishment_code=theirs),
                 _row(event, "Gus", establishment_code=mine, attended="yes"))
    report = send(api, world.head, rows, kind=KIND, partial=True).json()
    assert report["created"] == 1, report
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (3, "establishment_code"), (4, "establishment_code"), (5, "attended")]
    # The region's lead manages its events, not the council's.
    report = send(api, world.lead, _file(_row(event, "Ivy"), _row(local, "Ivy")), kind=KIND,
                  partial=True).json()
    assert report["created"] == 1 and report["errors"][0]["line"] == 3
    assert report["errors"][0]["column"] == "event_id"
    assert "not allowed to manage" in report["errors"][0]["reason"]
    db.expire_all()
    assert {r.participant_email for r in db.scalars(select(ClplRegistration))} == {
        "ann@school.example.scot", "ivy@school.example.scot"}


def test_a_dry_run_reports_and_writes_nothing(api, db: Session, world: World):  # noqa: F811
    event = create_event(api, world)
    audited = count(db, AuditEvent)
    report = _import(api, world.authority_admin, _file(_row(event, "Ann"), _row(event, "Cal")),
                     dry_run=True)
    assert (report["created"], report["applied"], report["dry_run"]) == (2, False, True)
    assert count(db, ClplRegistration) == 0 and count(db, AuditEvent) == audited


def test_json_lines_and_a_semicolon_csv_with_bom_by_title_and_uk_date(api, world: World):  # noqa: F811
    # Midday, so that the day is the same in UTC and in Scotland's time.
    event = create_event(api, world, title="Leading learning", starts_at="2030-11-12T12:00:00Z",
                         ends_at="2030-11-12T14:00:00Z")
    create_event(api, world, title="Leading learning", starts_at="2030-12-12T12:00:00Z",
                 ends_at="2030-12-12T14:00:00Z")
    lines = [{"event_id": event["id"], "email": "ann@school.example.scot", "name": "Ann Bell",
              "role": "Principal teacher"},
             {"event_id": event["id"], "email": "cal@school.example.scot", "name": "Cal Dunn",
              "role": "Class teacher", "status": "registered"}]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    report = _import(api, world.authority_admin, body, media=JSON_LINES)
    assert report["created"] == 2

    text = ("Course title;Date;Email Address;Full name;Job title;Status\r\n"
            "LEADING LEARNING;12/11/2030;Eve@School.example.scot;Eve Ford;Depute;Registered\r\n"
            "Leading learning;2030-11-12;ann@school.example.scot;Ann Bell;Principal teacher;\r\n")
    report = _import(api, world.authority_admin, b"\xef\xbb\xbf" + text.encode())
    assert (report["created"], report["unchanged"], report["warnings"]) == (1, 1, [])
    assert set(_places(api, event, world.authority_admin)) == {"ann", "cal", "eve"}


def test_events_are_held_across_batches(api, world: World, monkeypatch):  # noqa: F811
    from app.integration.imports import service as import_service

    monkeypatch.setattr(import_service, "BATCH_SIZE", 2)
    event = create_event(api, world, capacity=2)
    body = _file(_row(event, "Ann"), _row(event, "Bob", status="nonsense"),
                 _row(event, "Cal"), _row(event, "Dee"), _row(event, "Eve"))
    report = send(api, world.authority_admin, body, kind=KIND, partial=True).json()
    assert (report["created"], report["failed"]) == (4, 1), report
    # Failures in the first batches; Ann's place, freed in the last one, goes to Dee.
    body = _file(_row(event, "Gus", attended="maybe"), _row(event, "Ivy"),
                 _row(event, "Kim", attended="yes"), _row(event, "Lou", status="cancelled"),
                 _row(event, "Ann", status="cancelled"))
    report = send(api, world.authority_admin, body, kind=KIND, partial=True).json()
    assert (report["created"], report["updated"], report["skipped"], report["failed"]) == (
        1, 1, 1, 2), report
    assert _places(api, event, world.authority_admin) == {
        "ann": ("cancelled", None), "cal": ("confirmed", None), "dee": ("confirmed", None),
        "eve": ("waitlisted", None), "ivy": ("waitlisted", None)}
