"""Enumeration of people (issue #19, point 8, for CLPL bookings and VSE teams): a person
outside the caller's reach gets the same answer as one who does not exist.

- A headteacher booking someone onto a CLPL event sees only their own schools' bookings: a
  person already booked by another school or by the authority is, to them, not booked (the
  booking is made, as for anyone else; the event's managers see both).
- A VSE team member named by a user id outside the school's authority, removed, or unknown:
  the same 422, word for word but the id."""

import uuid

from app.core.types import utcnow
from app.identity.models import User
from app.organisations.models import Authority
from tests.assurance.conftest import (
    VSE_CYCLES,
    School,
    school,  # noqa: F401 - the fixture
    vse_body,
)
from tests.learning.clpl_world import (
    World,
    book,
    booked,
    cancel,
    create_event,
    registrations,
    world,  # noqa: F401 - the fixture
)


def test_a_headteacher_learns_nothing_of_bookings_outside_their_schools(api, world: World):  # noqa: F811
    event = create_event(api, world, regional=True)
    by_the_region = booked(api, event, world.lead, "Ann Bell")  # nobody's school
    by_another_school = booked(api, event, world.other_head, "Cal Dunn", world.other_school)
    unknown = book(api, event, world.head, "Eve Ford", world.school)
    assert unknown.status_code == 201, unknown.text
    for name in ("Ann Bell", "Cal Dunn"):
        answer = book(api, event, world.head, name, world.school)
        assert answer.status_code == unknown.status_code, (name, answer.text)
        body = answer.json()
        assert body["status"] == "confirmed" and body["participant"]["name"] == name
        assert body["participant"]["establishment_id"] == str(world.school.id)
    # The head sees their school's three bookings, nothing of the others'.
    assert sorted(r["participant"]["name"] for r in registrations(api, event, world.head)) == [
        "Ann Bell", "Cal Dunn", "Eve Ford"]
    # The event's managers see every booking, the double ones included, and cancel the one
    # made in error; the other school's booking is untouched.
    everyone = registrations(api, event, world.lead)
    assert len(everyone) == 5
    assert cancel(api, event, by_the_region, world.lead).status_code == 200
    assert api.get(f"/api/v1/clpl-events/{event['id']}/registrations/{by_another_school['id']}",
                   headers=world.other_head).json()["status"] == "confirmed"


def test_the_same_person_twice_where_the_caller_sees_both_is_still_409(api, world: World):  # noqa: F811
    event = create_event(api, world, regional=True)
    booked(api, event, world.head, "Ann Bell", world.school)
    again = book(api, event, world.head, "A. Bell", world.school, email="ann.bell@school.example.scot")
    assert again.status_code == 409
    # The managers see every booking: for them one person is booked once on an event.
    assert book(api, event, world.lead, "Ann Bell").status_code == 409
    assert book(api, event, world.lead, "Ann Bell", world.other_school).status_code == 409


def _refusal(api, target: School, user_id: uuid.UUID, headers) -> tuple[int, str, list]:
    body = vse_body(target, team=[{"user_id": str(user_id), "role": "officer"}])
    answer = api.post(VSE_CYCLES, json=body, headers=headers)
    problem = answer.json()
    detail = problem.get("detail", "").replace(str(user_id), "<id>")
    return answer.status_code, detail, [e["loc"] for e in problem.get("errors", [])]


def test_a_vse_team_member_outside_the_authority_is_answered_as_unknown(api, make, db,
                                                                       school: School):  # noqa: F811
    elsewhere = make.user("officer", authority=make.authority("S12000036"))  # Edinburgh
    removed = make.user("officer", authority=db.get(Authority, school.establishment.authority_id))
    record = db.get(User, removed.id)
    record.deleted_at = utcnow()
    db.add(record)
    db.commit()
    for headers in (school.link_officer, school.authority_admin):
        unknown = _refusal(api, school, uuid.uuid4(), headers)
        assert unknown[0] == 422, unknown
        assert _refusal(api, school, elsewhere.id, headers) == unknown
        assert _refusal(api, school, removed.id, headers) == unknown
