"""Who sees which trio: headteachers their own, officers their authority's, regional leads
none; lists are filtered and paginated; every write is audited and in the change feed."""

from sqlmodel import select

from app.audit.models import AuditEvent, ChangeRecord
from tests.core.problems import assert_problem
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)


def _listed(api, headers, **params):
    answer = api.get(TRIOS, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [t["id"] for t in answer.json()["items"]]


def test_a_headteacher_sees_their_trio_and_no_other(api, world):
    mine = create_trio(api, world, (0, 1, 2))
    other = create_trio(api, world, (3, 6, 5), overrides=[{"rule": "same_area", "reason": "ok"}])
    head = world.headers(world.heads[0])
    assert api.get(f"{TRIOS}/{mine['id']}", headers=head).status_code == 200
    assert_problem(api.get(f"{TRIOS}/{other['id']}", headers=head), 404)
    assert _listed(api, head) == [mine["id"]]
    assert _listed(api, world.headers(world.heads[5])) == [other["id"]]
    # The school not in a trio, the other authority's officer, the regional lead: nothing.
    for who in (world.heads[4], world.other_officer, world.lead, world.outsider_head):
        assert _listed(api, world.headers(who)) == []
        assert_problem(api.get(f"{TRIOS}/{mine['id']}", headers=world.headers(who)), 404)
    for who in (world.officer, world.authority_admin, world.admin):
        assert sorted(_listed(api, world.headers(who))) == sorted([mine["id"], other["id"]])


def test_a_trio_is_served_with_its_etag(api, world):
    trio = create_trio(api, world)
    answer = api.get(f"{TRIOS}/{trio['id']}", headers=world.headers(world.officer))
    assert answer.headers["ETag"] == '"1"'
    again = api.get(f"{TRIOS}/{trio['id']}",
                    headers=world.headers(world.officer, **{"If-None-Match": '"1"'}))
    assert again.status_code == 304


def test_lists_filter_and_paginate(api, world):
    first = create_trio(api, world, (0, 1, 2))
    second = create_trio(api, world, (0, 1, 2), session="2026-27")
    third = create_trio(api, world, (3, 6, 5), overrides=[{"rule": "same_area", "reason": "ok"}])
    officer = world.headers(world.officer)
    assert sorted(_listed(api, officer, session="2025-26")) == sorted([first["id"], third["id"]])
    assert _listed(api, officer, establishment_id=str(world.schools[0].id), session="2026-27") == [
        second["id"]]
    assert sorted(_listed(api, officer, area="Airdrie")) == sorted(
        [first["id"], second["id"], third["id"]])
    assert _listed(api, officer, authority_id=str(world.elsewhere.authority_id)) == []
    assert _listed(api, officer, kind="quad") == []
    seen, cursor = [], None
    while True:
        page = api.get(TRIOS, params={"limit": 1, **({"cursor": cursor} if cursor else {})},
                       headers=officer).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([first["id"], second["id"], third["id"]])
    assert len(seen) == 3


def test_every_trio_write_is_audited_with_its_authority_and_in_the_feed(api, world, db):
    trio = create_trio(api, world, overrides=[{"rule": "same_area", "reason": "Audit me"}])
    officer = world.headers(world.officer)
    api.patch(f"{TRIOS}/{trio['id']}", json={"name": "Renamed"},
              headers={**officer, "If-Match": '"1"'})
    api.post(f"{TRIOS}/{trio['id']}/meetings/plan", headers=officer)
    current = api.get(f"{TRIOS}/{trio['id']}", headers=officer).headers["ETag"]
    api.delete(f"{TRIOS}/{trio['id']}", headers={**officer, "If-Match": current})
    events = list(db.exec(select(AuditEvent).where(AuditEvent.resource_type.in_(
        ["trio", "trio_meeting"]))))
    assert {e.action for e in events} == {"trio.create", "trio.update", "trio.delete",
                                         "trio_meeting.create", "trio_meeting.delete"}
    meeting_feed = list(db.exec(select(ChangeRecord).where(
        ChangeRecord.resource_type == "trio_meeting")))
    assert sorted(c.operation for c in meeting_feed) == ["created"] * 6 + ["deleted"] * 6
    assert {e.authority_id for e in events} == {world.authority.id}
    assert all(e.actor_id == world.officer.id for e in events)
    feed = list(db.exec(select(ChangeRecord).where(ChangeRecord.resource_type == "trio")))
    assert [c.operation for c in sorted(feed, key=lambda c: c.seq)] == [
        "created", "updated", "deleted"]
    follow = api.get("/api/v1/changes", params={"kinds": "trio"}, headers=officer)
    assert follow.status_code == 200 and len(follow.json()["items"]) == 3
