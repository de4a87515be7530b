"""After the event: attendance, evaluations, the summary, and erasure of a participant's data."""

import uuid

import pytest
from sqlmodel import col, select

from app.audit.models import AuditEvent, ChangeRecord
from app.core.idempotency import IdempotencyRecord
from app.learning.clpl.models import ClplEvaluation, ClplRegistration
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.learning.clpl_world import (
    EVENTS,
    at,
    booked,
    cancel,
    create_event,
    patch_event,
    person,
    world,  # noqa: F401 - the fixture
)

RATINGS = {"before": {"knowledge": 2, "understanding": 2, "confidence": 3},
           "after": {"knowledge": 4, "understanding": 3, "confidence": 4}}


def _attend(api, event, registrations, headers, attended=True):
    return api.post(f"{EVENTS}/{event['id']}/attendance",
                    json={"registration_ids": [r["id"] for r in registrations], "attended": attended},
                    headers=headers)


def _evaluate(api, event, registration, headers, **changes):
    body = {"registration_id": registration["id"], **RATINGS, "comment": "Useful", **changes}
    return api.post(f"{EVENTS}/{event['id']}/evaluations", json=body, headers=headers)


def _summary(api, event, headers):
    answer = api.get(f"{EVENTS}/{event['id']}/summary", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _start(api, event, headers):
    """The event's start passes: it is moved to have started yesterday."""
    answer = patch_event(api, event, {"starts_at": at(-1), "ends_at": at(-1, 3)}, headers)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def past(api, world):  # noqa: F811
    """An event that started yesterday: capacity 4, six booked before it did (two of them
    waiting), and the sixth cancelled before it did."""
    event = create_event(api, world, capacity=4)
    people = [booked(api, event, world.authority_admin, name, world.school if i % 2 else None)
              for i, name in enumerate(("Ann Bell", "Cal Dunn", "Eve Ford", "Gus Hay",
                                        "Ian Jack", "Kim Lee"))]
    cancel(api, event, people[5], world.authority_admin)  # a waiting one: no promotion
    _start(api, event, world.authority_admin)
    return event, people


def test_attendance_is_marked_once_the_event_has_started(api, world):  # noqa: F811
    future = create_event(api, world)
    registration = booked(api, future, world.authority_admin, "Ann Bell")
    answer = _attend(api, future, [registration], world.authority_admin)
    assert answer.status_code == 409 and "started" in answer.json()["detail"]


def test_attendance_for_confirmed_registrations_by_managers(api, world, past):  # noqa: F811
    event, people = past
    assert _attend(api, event, people[:1], world.officer).status_code == 403
    assert _attend(api, event, people[:1], world.head).status_code == 403
    assert _attend(api, event, people[4:5], world.authority_admin).status_code == 409  # waiting
    stranger = {"id": "00000000-0000-4000-8000-000000000000"}
    unknown = _attend(api, event, [people[0], stranger], world.authority_admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "registration_ids", 1]
    marked = _attend(api, event, people[:3], world.authority_admin)
    assert marked.status_code == 200, marked.text
    assert [r["attended"] for r in marked.json()] == [True, True, True]
    absent = _attend(api, event, people[3:4], world.authority_admin, attended=False)
    assert absent.json()[0]["attended"] is False
    assert _attend(api, event, people[:3], world.authority_admin).status_code == 200  # again: same


def test_evaluations_come_once_from_attended_registrations(api, world, past):  # noqa: F811
    event, people = past
    _attend(api, event, people[:2], world.authority_admin)
    _attend(api, event, people[2:3], world.authority_admin, attended=False)
    assert _evaluate(api, event, people[3], world.authority_admin).status_code == 409  # not marked
    assert _evaluate(api, event, people[2], world.authority_admin).status_code == 409  # absent
    assert _evaluate(api, event, people[4], world.authority_admin).status_code == 409  # waiting
    for bad in ({"before": {**RATINGS["before"], "knowledge": 0}},
                {"after": {**RATINGS["after"], "confidence": 6}},
                {"after": {**RATINGS["after"], "understanding": "4"}},
                {"after": {**RATINGS["after"], "understanding": 4.5}},
                {"after": {"knowledge": 4, "understanding": 3}},
                {"comment": None}):
        assert _evaluate(api, event, people[0], world.authority_admin, **bad).status_code == 422, bad
    created = _evaluate(api, event, people[0], world.authority_admin)
    assert created.status_code == 201, created.text
    assert created.json()["after"] == RATINGS["after"]
    assert _evaluate(api, event, people[0], world.authority_admin).status_code == 409  # one each
    # An attended registration cannot be cancelled, nor marked absent once evaluated.
    assert cancel(api, event, people[0], world.authority_admin).status_code == 409
    assert _attend(api, event, people[:1], world.authority_admin, attended=False).status_code == 409
    # The registration must be the event's.
    other = create_event(api, world)
    stranger = booked(api, other, world.authority_admin, "Max Neil")
    _start(api, other, world.authority_admin)
    _attend(api, other, [stranger], world.authority_admin)
    wrong = _evaluate(api, event, stranger, world.authority_admin)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "registration_id"]
    # Who may submit: the headteacher of the participant's school (people[1] is theirs), not
    # another's, nor an officer who does not manage the event.
    assert _evaluate(api, event, people[1], world.other_head).status_code == 422
    assert _evaluate(api, event, people[1], world.officer).status_code == 403
    assert _evaluate(api, event, people[1], world.head).status_code == 201
    listed = api.get(f"{EVENTS}/{event['id']}/evaluations", headers=world.head).json()["items"]
    assert [e["registration_id"] for e in listed] == [people[1]["id"]]
    assert len(api.get(f"{EVENTS}/{event['id']}/evaluations",
                       headers=world.authority_admin).json()["items"]) == 2


def test_the_summary_of_a_small_known_set(api, world, past):  # noqa: F811
    event, people = past
    manager = world.authority_admin
    empty = _summary(api, event, manager)
    assert (empty["registrations"], empty["waitlisted"], empty["attended"]) == (4, 1, 0)
    assert empty["attendance_rate"] is None and empty["evaluations"] == 0
    assert empty["mean_change"] == {"knowledge": None, "understanding": None, "confidence": None}

    _attend(api, event, people[:3], manager)
    _attend(api, event, people[3:4], manager, attended=False)
    ratings = [((2, 2, 3), (4, 3, 4)), ((1, 3, 2), (3, 3, 4)), ((3, 2, 4), (4, 4, 4))]
    for registration, (before, after) in zip(people[:3], ratings, strict=True):
        keys = ("knowledge", "understanding", "confidence")
        assert _evaluate(api, event, registration, manager, before=dict(zip(keys, before, strict=True)),
                         after=dict(zip(keys, after, strict=True))).status_code == 201
    summary = _summary(api, event, manager)
    assert summary == {
        "event_id": event["id"], "capacity": 4, "registrations": 4, "waitlisted": 1,
        "cancelled": 1, "late_cancelled": 0, "attended": 3, "attendance_marked": 4,
        "attendance_unmarked": 0, "attendance_rate": 75.0, "evaluations": 3,
        "mean_change": {"knowledge": 1.67, "understanding": 1.0, "confidence": 1.0}}
    # Aggregates only: every reader of the event may see them, outsiders may not.
    for reader in (world.officer, world.head, world.lead):
        assert _summary(api, event, reader) == summary
    assert api.get(f"{EVENTS}/{event['id']}/summary", headers=world.other_lead).status_code == 404


def test_erasure_removes_name_and_email_and_keeps_the_counts(api, world, past, db):  # noqa: F811
    event, people = past
    manager = world.authority_admin
    _attend(api, event, people[:2], manager)
    _evaluate(api, event, people[0], manager, comment="Ann says: brilliant")
    _evaluate(api, event, people[1], manager)
    before = _summary(api, event, manager)
    ann = people[0]
    url = f"{EVENTS}/{event['id']}/registrations/{ann['id']}/participant"
    assert api.delete(url, headers=world.officer).status_code == 404  # not theirs to see
    assert api.delete(url, headers=world.other_head).status_code == 404
    assert api.delete(url, headers=manager).status_code == 204
    assert api.delete(url, headers=manager).status_code == 204  # erased already: nothing to do

    assert _summary(api, event, manager) == before
    read = api.get(f"{EVENTS}/{event['id']}/registrations/{ann['id']}", headers=manager).json()
    assert read["participant"] == {"name": "Erased participant", "email": None,
                                   "establishment_id": None, "role": "Class teacher"}
    assert read["erased"] is True and read["status"] == "confirmed" and read["attended"] is True
    row = db.get(ClplRegistration, uuid.UUID(ann["id"]))
    assert (row.participant_name, row.participant_email) == ("Erased participant", None)
    evaluation = db.exec(select(ClplEvaluation).where(
        ClplEvaluation.registration_id == row.id)).one()
    assert evaluation.comment == "" and evaluation.knowledge_after == 4
    # No copy anywhere: not in the audit log, not in the change feed.
    logged = str([(a.before, a.after) for a in db.exec(select(AuditEvent))])
    logged += str([c.data for c in db.exec(select(ChangeRecord))])
    assert "ann.bell" not in logged and "Ann Bell" not in logged and "brilliant" not in logged
    erased = db.exec(select(AuditEvent).where(AuditEvent.action == "clpl_registration.erase")).one()
    assert erased.resource_id == ann["id"] and erased.after["erased_at"] is not None
    # An answer kept for an Idempotency-Key replay goes too (on an event still to come).
    coming = create_event(api, world, capacity=1, title="Still to come")
    booked(api, coming, manager, "Pat Quinn")
    keyed = {**manager, "Idempotency-Key": "book-olga"}
    olga = api.post(f"{EVENTS}/{coming['id']}/registrations", json=person("Olga Park"), headers=keyed)
    assert olga.status_code == 201
    assert api.delete(f"{EVENTS}/{coming['id']}/registrations/{olga.json()['id']}/participant",
                      headers=manager).status_code == 204
    assert not [r for r in db.exec(select(IdempotencyRecord)) if b"olga.park" in (r.body or b"")]
    retry = api.post(f"{EVENTS}/{coming['id']}/registrations", json=person("Olga Park"), headers=keyed)
    assert "Idempotent-Replayed" not in retry.headers
    # The person may book again (as someone new); the erased row no longer knows them.
    pat = booked(api, coming, manager, "Pat Quinn", email="pat.again@school.example.scot")
    assert api.delete(f"{EVENTS}/{coming['id']}/registrations/{pat['id']}/participant",
                      headers=manager).status_code == 204
    assert booked(api, coming, manager, "Pat Quinn",
                  email="pat.again@school.example.scot")["status"] == "waitlisted"
    assert db.exec(select(ClplRegistration).where(
        col(ClplRegistration.participant_email) == "pat.again@school.example.scot")).one()
