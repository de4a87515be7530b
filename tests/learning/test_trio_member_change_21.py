"""Issue #21, point 4: a change of members reconciles the trio's meetings. Meetings held
before today keep their host and attendance, and peer reviews stay, as history (the trio lists
the school that left in `former_members`); a meeting not yet held drops the leaver from its
attendance, and one the leaver was to host needs a new host named in the PATCH (409 lists
them otherwise): never a silent change of host."""

from sqlmodel import select

from app.audit.models import AuditEvent, ChangeRecord
from tests.core.problems import assert_problem
from tests.learning.trio_days import (
    everyone,
    if_match,
    in_session,
    next_session,
    past_session,
    plan,
    sessions,
    today,
)
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)


def _members(world, picks):
    return [{"establishment_id": str(world.schools[i].id)} for i in picks]


def test_a_leaver_hosting_a_meeting_not_yet_held_needs_a_new_host_named(api, world, db):
    trio = create_trio(api, world, session=next_session())
    meetings = plan(api, world, trio)
    leaving = str(world.schools[1].id)
    theirs = [m for m in meetings if m["host_establishment_id"] == leaving]
    assert len(theirs) == 1
    path = f"{TRIOS}/{trio['id']}"

    refused = assert_problem(api.patch(path, json={"members": _members(world, (0, 6, 2))},
                                       headers=if_match(world, world.officer)), 409)
    assert [m["id"] for m in refused["meetings"]] == [theirs[0]["id"]]
    assert theirs[0]["date"] in refused["detail"] and "meeting_hosts" in refused["detail"]
    # Nothing changed: the members and the host are as they were.
    assert api.get(path, headers=world.headers(world.officer)).json()["members"] == trio["members"]

    # A host that is not a member after the change is refused.
    wrong = {"members": _members(world, (0, 6, 2)), "meeting_hosts": [
        {"meeting_id": theirs[0]["id"], "host_establishment_id": leaving}]}
    assert_problem(api.patch(path, json=wrong, headers=if_match(world, world.officer)), 422,
                   loc=["body", "meeting_hosts", 0, "host_establishment_id"])

    joining = str(world.schools[6].id)
    swapped = api.patch(path, json={"members": _members(world, (0, 6, 2)), "meeting_hosts": [
        {"meeting_id": theirs[0]["id"], "host_establishment_id": joining}]},
        headers=if_match(world, world.officer))
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["former_members"] == [{
        "establishment_id": leaving, "establishment_name": world.schools[1].name,
        "headteacher_id": str(world.heads[1].id), "left_on": today().isoformat()}]
    meeting = api.get(f"{path}/meetings/{theirs[0]['id']}", headers=world.headers(world.officer))
    assert meeting.json()["host_establishment_id"] == joining
    assert meeting.json()["version"] == 2
    audited = db.exec(select(AuditEvent).where(AuditEvent.resource_id == theirs[0]["id"],
                                               AuditEvent.action == "trio_meeting.update")).all()
    assert len(audited) == 1
    # The change feed tells both as GET answers them.
    for record_id, read in ((trio["id"], api.get(path, headers=world.headers(world.officer))),
                            (theirs[0]["id"], meeting)):
        told = db.exec(select(ChangeRecord).where(ChangeRecord.resource_id == record_id)
                       .order_by(ChangeRecord.seq.desc())).first()
        assert told is not None and told.data == read.json()


def test_meetings_held_and_peer_reviews_stay_as_history_when_a_member_leaves(api, world):
    session = past_session()
    trio = create_trio(api, world, session=session)
    meetings = plan(api, world, trio)
    held = meetings[3]  # hosted by the school that leaves
    leaving = str(world.schools[1].id)
    assert held["host_establishment_id"] == leaving
    officer = world.headers(world.officer)
    path = f"{TRIOS}/{trio['id']}"
    attended = api.patch(f"{path}/meetings/{held['id']}", json={"attendance": everyone(trio)},
                         headers=if_match(world, world.officer))
    assert attended.status_code == 200, attended.text
    review = api.post(f"{path}/peer-reviews", headers=world.headers(world.heads[0]), json={
        "visited_establishment_id": leaving, "date": in_session(session, 3, 4),
        "indicator_code": "2.3", "strengths": "Clear learning intentions."})
    assert review.status_code == 201, review.text

    swapped = api.patch(path, json={"members": _members(world, (0, 6, 2))},
                        headers=if_match(world, world.officer))
    assert swapped.status_code == 200, swapped.text
    assert [f["establishment_id"] for f in swapped.json()["former_members"]] == [leaving]

    kept = api.get(f"{path}/meetings/{held['id']}", headers=officer).json()
    assert kept["host_establishment_id"] == leaving  # not silently the new school
    assert kept["attendance"] == attended.json()["attendance"]
    assert kept["version"] == attended.json()["version"]
    reviews = api.get(f"{path}/peer-reviews", headers=officer).json()["items"]
    assert [r["visited_establishment_id"] for r in reviews] == [leaving]

    # The record of that meeting can still be kept: its attendance names the schools it did.
    notes = api.patch(f"{path}/meetings/{held['id']}",
                      json={"attendance": everyone(trio, "absent"), "notes": "Moderation"},
                      headers=if_match(world, world.officer, kept["version"]))
    assert notes.status_code == 200, notes.text
    # A meeting with no attendance yet is recorded for the members now.
    later = meetings[4]
    now_members = [{"establishment_id": str(world.schools[i].id), "status": "present"}
                   for i in (0, 6, 2)]
    assert api.patch(f"{path}/meetings/{later['id']}", json={"attendance": now_members},
                     headers=if_match(world, world.officer)).status_code == 200


def test_the_leaver_is_dropped_from_the_attendance_of_a_meeting_not_yet_held(api, world):
    _past, session, _next = sessions()
    trio = create_trio(api, world, session=session)
    path = f"{TRIOS}/{trio['id']}"
    host = str(world.schools[0].id)
    made = api.post(f"{path}/meetings", headers=world.headers(world.officer), json={
        "kind": "trio", "date": today().isoformat(), "host_establishment_id": host})
    assert made.status_code == 201, made.text
    meeting = made.json()
    attended = api.patch(f"{path}/meetings/{meeting['id']}", json={"attendance": everyone(trio)},
                         headers=if_match(world, world.officer))
    assert attended.status_code == 200, attended.text

    swapped = api.patch(path, json={"members": _members(world, (0, 1, 6))},
                        headers=if_match(world, world.officer))
    assert swapped.status_code == 200, swapped.text
    now = api.get(f"{path}/meetings/{meeting['id']}", headers=world.headers(world.officer)).json()
    assert [a["establishment_id"] for a in now["attendance"]] == [
        str(world.schools[0].id), str(world.schools[1].id)]
    assert now["host_establishment_id"] == host
