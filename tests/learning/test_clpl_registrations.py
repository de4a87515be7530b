"""Registrations: places while they last, then the waiting list in booking order; headteachers
book their own staff; one active registration per person and event."""

from sqlmodel import select

from app.audit.models import AuditEvent
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.learning.clpl_world import (
    EVENTS,
    book,
    booked,
    cancel,
    create_event,
    patch_event,
    registrations,
    world,  # noqa: F401 - the fixture
)


def _states(api, event, headers):
    return [(r["participant"]["name"], r["status"], r["waitlist_position"])
            for r in registrations(api, event, headers)]


def test_beyond_capacity_the_waiting_list_fills_and_empties_in_booking_order(api, world):  # noqa: F811
    event = create_event(api, world, capacity=2)
    manager = world.authority_admin
    people = {name: booked(api, event, manager, name)
              for name in ("Ann Bell", "Cal Dunn", "Eve Ford", "Gus Hay", "Ian Jack")}
    assert _states(api, event, manager) == [
        ("Ann Bell", "confirmed", None), ("Cal Dunn", "confirmed", None),
        ("Eve Ford", "waitlisted", 1), ("Gus Hay", "waitlisted", 2), ("Ian Jack", "waitlisted", 3)]
    read = api.get(f"{EVENTS}/{event['id']}", headers=manager).json()
    assert (read["confirmed"], read["waitlisted"], read["places_left"]) == (2, 3, 0)

    # A waiting registration cancelled promotes nobody; a confirmed one promotes the first waiting.
    assert cancel(api, event, people["Gus Hay"], manager).json()["status"] == "cancelled"
    answer = cancel(api, event, people["Ann Bell"], manager)
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert _states(api, event, manager) == [
        ("Ann Bell", "cancelled", None), ("Cal Dunn", "confirmed", None),
        ("Eve Ford", "confirmed", None), ("Gus Hay", "cancelled", None),
        ("Ian Jack", "waitlisted", 1)]
    # Cancelling again changes nothing.
    again = cancel(api, event, people["Ann Bell"], manager)
    assert again.status_code == 200 and again.json()["version"] == answer.json()["version"]
    # More places go to the waiting list too.
    assert patch_event(api, event, {"capacity": 4}, manager).status_code == 200
    assert _states(api, event, manager)[-1] == ("Ian Jack", "confirmed", None)
    # A new booking now has a place.
    assert booked(api, event, manager, "Kim Lee")["status"] == "confirmed"
    assert [r["participant"]["name"] for r in registrations(api, event, manager, status="confirmed")
            ] == ["Cal Dunn", "Eve Ford", "Ian Jack", "Kim Lee"]


def test_the_same_person_twice_on_one_event_is_409(api, world):  # noqa: F811
    event = create_event(api, world)
    first = booked(api, event, world.authority_admin, "Ann Bell", email="Ann.Bell@School.example.scot")
    assert first["participant"]["email"] == "ann.bell@school.example.scot"
    again = book(api, event, world.authority_admin, "Ann Bell", email="ANN.BELL@school.example.scot")
    assert again.status_code == 409
    # A headteacher is not told of a booking outside their schools (issue #19): theirs is made,
    # and is one for them too; the managers see both.
    theirs = book(api, event, world.head, "A. Bell", world.school, email="ann.bell@school.example.scot")
    assert theirs.status_code == 201, theirs.text
    assert book(api, event, world.head, "A. Bell", world.school,
                email="ann.bell@school.example.scot").status_code == 409
    # Once cancelled, the person may book again; on another event they always may.
    cancel(api, event, theirs.json(), world.head)
    cancel(api, event, first, world.authority_admin)
    assert book(api, event, world.authority_admin, "Ann Bell").status_code == 201
    other = create_event(api, world, title="Another event")
    assert book(api, other, world.authority_admin, "Ann Bell").status_code == 201


def test_headteachers_book_and_see_their_own_staff_only(api, world):  # noqa: F811
    event = create_event(api, world, regional=True)
    mine = booked(api, event, world.head, "Ann Bell", world.school, role="Principal teacher")
    assert mine["participant"] == {"name": "Ann Bell", "email": "ann.bell@school.example.scot",
                                   "establishment_id": str(world.school.id),
                                   "role": "Principal teacher"}
    theirs = booked(api, event, world.other_head, "Cal Dunn", world.other_school)
    # Another school's staff, or nobody's school: refused.
    assert book(api, event, world.head, "Eve Ford", world.other_school).status_code == 403
    missing = book(api, event, world.head, "Eve Ford")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "participant", "establishment_id"]
    # Officers who do not manage the event, and outsiders, do not book.
    assert book(api, event, world.officer, "Gus Hay", world.school).status_code == 403
    assert book(api, event, world.authority_admin, "Gus Hay", world.school).status_code == 403
    assert book(api, event, world.far_head, "Gus Hay").status_code == 404
    # The event's manager books anyone, from any school or none, and sees every registration.
    assert book(api, event, world.lead, "Ian Jack").status_code == 201
    kim = booked(api, event, world.lead, "Kim Lee", world.other_school)
    assert len(registrations(api, event, world.lead)) == 4
    assert [r["id"] for r in registrations(api, event, world.head)] == [mine["id"]]
    assert [r["id"] for r in registrations(api, event, world.other_head)] == [theirs["id"], kim["id"]]
    assert registrations(api, event, world.officer) == []
    assert len(registrations(api, event, world.lead, establishment_id=str(world.other_school.id))) == 2
    # A headteacher reads and cancels their own staff's registrations, not others'.
    url = f"{EVENTS}/{event['id']}/registrations"
    assert api.get(f"{url}/{mine['id']}", headers=world.head).status_code == 200
    assert api.get(f"{url}/{theirs['id']}", headers=world.head).status_code == 404
    assert cancel(api, event, theirs, world.head).status_code == 404
    assert cancel(api, event, mine, world.head).status_code == 200


def test_bookings_are_checked_and_audited_without_personal_data(api, world, db):  # noqa: F811
    event = create_event(api, world)
    url = f"{EVENTS}/{event['id']}/registrations"
    for participant in ({"name": "Ann", "email": "not-an-email", "role": "Teacher"},
                        {"name": "", "email": "a@b.scot", "role": "Teacher"},
                        {"name": "Ann", "email": "a@b.scot"},
                        {"name": "Ann", "email": "a@b.scot", "role": "Teacher", "age": 40}):
        answer = api.post(url, json={"participant": participant}, headers=world.authority_admin)
        assert answer.status_code == 422, participant
    unknown_school = {"name": "Ann", "email": "a@b.scot", "role": "Teacher",
                      "establishment_id": "00000000-0000-4000-8000-000000000000"}
    answer = api.post(url, json={"participant": unknown_school}, headers=world.authority_admin)
    assert answer.status_code == 422
    registration = booked(api, event, world.authority_admin, "Ann Bell", world.school)
    cancel(api, event, registration, world.authority_admin)
    audits = list(db.exec(select(AuditEvent).where(AuditEvent.resource_id == registration["id"])
                          .order_by(AuditEvent.id)))
    assert [a.action for a in audits] == ["clpl_registration.create", "clpl_registration.cancel"]
    assert all(a.authority_id == world.authority.id for a in audits)
    logged = str([a.before for a in audits] + [a.after for a in audits])
    assert "ann.bell" not in logged and "Ann Bell" not in logged
    assert audits[1].after["status"] == "cancelled"


def test_an_events_etag_follows_its_places(api, world):  # noqa: F811
    """A booking or a cancellation changes confirmed, waitlisted and places_left: the event's
    ETag changes with them."""
    event = create_event(api, world, capacity=1)
    manager = world.authority_admin
    url = f"{EVENTS}/{event['id']}"
    tags = [api.get(url, headers=manager).headers["ETag"]]
    first = booked(api, event, manager, "Ann Bell")
    tags.append(api.get(url, headers=manager).headers["ETag"])
    booked(api, event, manager, "Cal Dunn")  # waitlisted
    tags.append(api.get(url, headers=manager).headers["ETag"])
    cancel(api, event, first, manager)  # Cal promoted
    read = api.get(url, headers={**manager, "If-None-Match": tags[-1]})
    assert read.status_code == 200
    assert (read.json()["confirmed"], read.json()["waitlisted"]) == (1, 0)
    tags.append(read.headers["ETag"])
    assert len(set(tags)) == 4
