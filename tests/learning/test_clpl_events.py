"""CLPL events: who creates, reads, changes and deletes them, and the rules an event keeps."""

from sqlmodel import select

from app.audit.models import AuditEvent
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.learning.clpl_world import (
    EVENTS,
    at,
    book,
    booked,
    cancel,
    create_event,
    event_body,
    patch_event,
    world,  # noqa: F401 - the fixture
)


def _ids(api, headers, **params):
    answer = api.get(EVENTS, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return {e["id"] for e in answer.json()["items"]}


def test_an_authority_event_from_creation_to_deletion(api, world, db):  # noqa: F811
    event = create_event(api, world)
    assert event["status"] == "scheduled" and event["version"] == 1
    assert (event["confirmed"], event["waitlisted"], event["places_left"]) == (0, 0, 20)
    assert event["audience"] == ["middle_leaders", "teachers"] and event["can_manage"] is True

    # Every officer of the authority reads it, and so do its headteachers and the region's lead.
    for reader in (world.officer, world.head, world.lead, world.admin):
        answer = api.get(f"{EVENTS}/{event['id']}", headers=reader)
        assert answer.status_code == 200 and answer.headers["ETag"] == '"1"'
    assert api.get(f"{EVENTS}/{event['id']}", headers=world.officer).json()["can_manage"] is False
    for outsider in (world.other_lead, world.far_head):
        assert api.get(f"{EVENTS}/{event['id']}", headers=outsider).status_code == 404
    cached = api.get(f"{EVENTS}/{event['id']}", headers={**world.head, "If-None-Match": '"1"'})
    assert cached.status_code == 304

    # Only its managers change it, with If-Match.
    url = f"{EVENTS}/{event['id']}"
    assert api.patch(url, json={"capacity": 25}, headers=world.authority_admin).status_code == 428
    assert api.patch(url, json={"capacity": 25},
                     headers={**world.authority_admin, "If-Match": '"9"'}).status_code == 412
    for refused in (world.officer, world.head, world.lead):
        assert patch_event(api, event, {"capacity": 25}, refused).status_code == 403
    changed = patch_event(api, event, {"capacity": 25, "audience": ["headteachers"],
                                       "online_url": "https://meet.example.scot/clpl"},
                          world.authority_admin)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["capacity"], body["audience"], body["version"]) == (25, ["headteachers"], 2)
    assert changed.headers["ETag"] == '"2"'
    unchanged = patch_event(api, event, {"capacity": 25}, world.authority_admin)
    assert unchanged.json()["version"] == 2

    # The officer who may not manage it, nor a headteacher, can delete it; its manager can.
    if_match = {"If-Match": changed.headers["ETag"]}
    assert api.delete(url, headers={**world.officer, **if_match}).status_code == 403
    assert api.delete(url, headers={**world.head, **if_match}).status_code == 403
    assert api.delete(url, headers={**world.authority_admin, **if_match}).status_code == 204
    assert api.get(url, headers=world.authority_admin).status_code == 404

    actions = list(db.exec(select(AuditEvent.action).where(AuditEvent.resource_id == event["id"])
                           .order_by(AuditEvent.id)))
    assert actions == ["clpl_event.create", "clpl_event.update", "clpl_event.delete"]
    update = db.exec(select(AuditEvent).where(AuditEvent.action == "clpl_event.update")).one()
    assert update.authority_id == world.authority.id
    assert update.before["capacity"] == 20 and update.after["audience"] == ["headteachers"]


def test_who_may_create_an_event(api, world):  # noqa: F811
    authority_owned = {"authority_id": str(world.authority.id)}
    region_owned = {"region_id": str(world.region.id)}
    for refused in (world.officer, world.head, world.lead):
        assert api.post(EVENTS, json=event_body(authority_owned), headers=refused).status_code == 403
    for refused in (world.officer, world.head, world.authority_admin):
        assert api.post(EVENTS, json=event_body(region_owned), headers=refused).status_code == 403
    assert api.post(EVENTS, json=event_body(region_owned), headers=world.lead).status_code == 201
    assert api.post(EVENTS, json=event_body(authority_owned), headers=world.admin).status_code == 201


def test_a_regional_lead_manages_their_regions_events_only(api, world):  # noqa: F811
    own = create_event(api, world, regional=True, title="West Partnership: leading change")
    assert own["region_id"] == str(world.region.id) and own["authority_id"] is None
    assert patch_event(api, own, {"title": "Leading change, cohort 2"}, world.lead).status_code == 200
    # An event of one of the region's authorities: read, not managed.
    council = create_event(api, world)
    assert patch_event(api, council, {"capacity": 30}, world.lead).status_code == 403
    assert api.delete(f"{EVENTS}/{council['id']}",
                      headers={**world.lead, "If-Match": '"1"'}).status_code == 403
    # Another region's: its lead is refused, and cannot create one for a region not theirs.
    other_owned = {"region_id": str(world.other_region.id)}
    assert api.post(EVENTS, json=event_body(other_owned), headers=world.lead).status_code == 403
    assert api.patch(f"{EVENTS}/{own['id']}", json={"capacity": 30},
                     headers={**world.other_lead, "If-Match": "*"}).status_code == 404
    assert api.post(EVENTS, json=event_body(other_owned), headers=world.other_lead).status_code == 201
    # The region's officers and headteachers read the regional event; its authority admin
    # does not manage it.
    for reader in (world.officer, world.head):
        assert api.get(f"{EVENTS}/{own['id']}", headers=reader).status_code == 200
    assert patch_event(api, own, {"capacity": 30}, world.authority_admin).status_code == 403


def test_the_rules_of_an_event_are_422(api, world):  # noqa: F811
    owner = {"authority_id": str(world.authority.id)}
    cases = [
        ({"starts_at": at(30, 3), "ends_at": at(30, 1)}, ["body", "ends_at"]),
        ({"ends_at": at(30)}, ["body", "ends_at"]),
        ({"location": None}, ["body", "location"]),
        ({"region_id": str(world.region.id)}, ["body", "authority_id"]),
        ({"authority_id": None}, ["body", "authority_id"]),
        ({"indicator_codes": ["9.9"]}, ["body", "indicator_codes"]),
        ({"nif_drivers": ["Better everything"]}, ["body", "nif_drivers"]),
    ]
    for changes, loc in cases:
        answer = api.post(EVENTS, json=event_body(owner, **changes), headers=world.admin)
        assert answer.status_code == 422, changes
        assert answer.json()["errors"][0]["loc"] == loc, (changes, answer.json())
    for changes in ({"capacity": 0}, {"capacity": "20"}, {"level": "maximal"},
                    {"audience": []}, {"audience": ["pupils"]},
                    {"online_url": "http://meet.example.scot"}, {"starts_at": "tomorrow"},
                    {"starts_at": "2025-11-12T15:45:00"}, {"starts_at": "1999-11-12T15:45:00Z"},
                    {"title": ""}, {"colour": "blue"}):
        answer = api.post(EVENTS, json=event_body(owner, **changes), headers=world.admin)
        assert answer.status_code == 422, changes
    online_only = event_body(owner, location=None, online_url="https://meet.example.scot/x")
    assert api.post(EVENTS, json=online_only, headers=world.admin).status_code == 201
    elc = event_body(owner, indicator_codes=["1.3", "3.2"], audience=["elc_practitioners"])
    assert api.post(EVENTS, json=elc, headers=world.admin).status_code == 201

    event = create_event(api, world)
    for body, loc in (({"ends_at": at(29)}, "ends_at"), ({"location": None}, "location")):
        answer = patch_event(api, event, body, world.authority_admin)
        assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == ["body", loc]
    assert patch_event(api, event, {"authority_id": str(world.authority.id)},
                       world.authority_admin).status_code == 422  # the owner never changes
    assert patch_event(api, event, {"capacity": None}, world.authority_admin).status_code == 422


def test_capacity_cannot_fall_below_the_confirmed_registrations(api, world):  # noqa: F811
    event = create_event(api, world, capacity=3)
    for name in ("Ann Bell", "Cal Dunn", "Eve Ford"):
        booked(api, event, world.authority_admin, name)
    answer = patch_event(api, event, {"capacity": 2}, world.authority_admin)
    assert answer.status_code == 409 and "3 registrations are confirmed" in answer.json()["detail"]
    assert patch_event(api, event, {"capacity": 3, "title": "Renamed"},
                       world.authority_admin).status_code == 200


def test_an_event_with_active_registrations_is_cancelled_not_deleted(api, world):  # noqa: F811
    event = create_event(api, world)
    registration = booked(api, event, world.authority_admin, "Ann Bell")
    url = f"{EVENTS}/{event['id']}"
    etag = api.get(url, headers=world.authority_admin).headers["ETag"]
    assert api.delete(url, headers={**world.authority_admin, "If-Match": etag}).status_code == 409
    cancelled = patch_event(api, event, {"status": "cancelled"}, world.authority_admin)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert book(api, event, world.authority_admin, "Gus Hay").status_code == 409
    assert cancel(api, event, registration, world.authority_admin).status_code == 200
    assert api.delete(url, headers={**world.authority_admin, "If-Match": '"1"'}).status_code == 412
    current = api.get(url, headers=world.authority_admin).headers["ETag"]
    assert api.delete(url, headers={**world.authority_admin, "If-Match": current}).status_code == 204


def test_filters_and_pages(api, world):  # noqa: F811
    soon = create_event(api, world, title="Numeracy network", level="universal",
                        audience=["teachers"], starts_at=at(5), ends_at=at(5, 2))
    later = create_event(api, world, title="Leadership of change", level="intensive",
                         audience=["headteachers"], starts_at=at(60), ends_at=at(60, 3))
    regional = create_event(api, world, regional=True, title="Regional numeracy conference",
                            audience=["middle_leaders", "headteachers"],
                            starts_at=at(20), ends_at=at(21))
    patch_event(api, later, {"status": "cancelled"}, world.authority_admin)
    see = world.officer
    assert _ids(api, see) == {soon["id"], later["id"], regional["id"]}
    assert _ids(api, see, authority_id=str(world.authority.id)) == {soon["id"], later["id"]}
    assert _ids(api, see, region_id=str(world.region.id)) == {regional["id"]}
    assert _ids(api, see, level="intensive") == {later["id"]}
    assert _ids(api, see, audience="headteachers") == {later["id"], regional["id"]}
    assert _ids(api, see, status="cancelled") == {later["id"]}
    assert _ids(api, see, q="NUMERACY") == {soon["id"], regional["id"]}
    assert _ids(api, see, q="%") == set()
    assert _ids(api, see, **{"from": at(10)}) == {later["id"], regional["id"]}
    assert _ids(api, see, **{"from": at(10), "to": at(30)}) == {regional["id"]}
    assert _ids(api, world.other_lead) == set()
    assert _ids(api, world.far_head) == set()
    assert _ids(api, world.head) == {soon["id"], later["id"], regional["id"]}

    page = api.get(EVENTS, params={"limit": 2}, headers=see).json()
    assert [e["id"] for e in page["items"]] == [soon["id"], regional["id"]]  # by start
    rest = api.get(EVENTS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=see).json()
    assert [e["id"] for e in rest["items"]] == [later["id"]] and rest["next_cursor"] is None
    for params in ({"from": at(30), "to": at(10)}, {"from": "yesterday"}, {"level": "huge"},
                   {"audience": "pupils"}, {"status": "done"}, {"q": "a\x00b"}):
        assert api.get(EVENTS, params=params, headers=see).status_code == 422, params
    assert api.get(EVENTS, params={"cursor": "forged.cursor"}, headers=see).status_code == 422
