"""A trio's session: six meetings (three central, three in the members' schools in turn) that
can be moved, with attendance and notes; peer reviews against the visited school."""

from datetime import date

from tests.core.problems import assert_problem
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)


def _plan(api, world, trio):
    answer = api.post(f"{TRIOS}/{trio['id']}/meetings/plan", headers=world.headers(world.officer))
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_planning_makes_six_meetings_three_central_three_hosted_in_turn(api, world):
    trio = create_trio(api, world)
    meetings = _plan(api, world, trio)
    assert len(meetings) == 6
    assert [m["kind"] for m in meetings] == ["central", "trio"] * 3
    assert all(m["host_establishment_id"] is None for m in meetings if m["kind"] == "central")
    hosts = [m["host_establishment_id"] for m in meetings if m["kind"] == "trio"]
    assert hosts == [m["establishment_id"] for m in trio["members"]]  # each member in turn
    days = [date.fromisoformat(m["date"]) for m in meetings]
    assert days == sorted(days) and len(set(days)) == 6
    assert days[0] >= date(2025, 9, 1) and days[-1] <= date(2026, 6, 30)
    assert all(d.weekday() == 2 for d in days)  # Wednesdays
    assert [m["sequence"] for m in meetings] == [1, 2, 3, 4, 5, 6]
    listed = api.get(f"{TRIOS}/{trio['id']}/meetings", headers=world.headers(world.heads[1]))
    assert [m["id"] for m in listed.json()["items"]] == [m["id"] for m in meetings]
    central = api.get(f"{TRIOS}/{trio['id']}/meetings", params={"kind": "central"},
                      headers=world.headers(world.officer)).json()["items"]
    assert len(central) == 3
    again = api.post(f"{TRIOS}/{trio['id']}/meetings/plan", headers=world.headers(world.officer))
    assert_problem(again, 409)


def test_a_quad_hosts_its_three_trio_meetings_in_three_of_its_schools(api, world):
    quad = create_trio(api, world, (0, 1, 2, 6))
    hosts = [m["host_establishment_id"] for m in _plan(api, world, quad) if m["kind"] == "trio"]
    assert hosts == [m["establishment_id"] for m in quad["members"][:3]]


def test_only_officers_plan_meetings(api, world):
    trio = create_trio(api, world)
    path = f"{TRIOS}/{trio['id']}/meetings/plan"
    assert_problem(api.post(path, headers=world.headers(world.heads[0])), 403)
    assert_problem(api.post(path, headers=world.headers(world.lead)), 404)
    assert_problem(api.post(path, headers=world.headers(world.other_officer)), 404)


def test_moving_a_meeting_needs_the_current_etag(api, world):
    trio = create_trio(api, world)
    meeting = _plan(api, world, trio)[1]
    path = f"{TRIOS}/{trio['id']}/meetings/{meeting['id']}"
    officer = world.headers(world.officer)
    assert_problem(api.patch(path, json={"date": "2025-11-19"}, headers=officer), 428)
    etag = api.get(path, headers=officer).headers["ETag"]
    moved = api.patch(path, json={"date": "2025-11-19"}, headers={**officer, "If-Match": etag})
    assert moved.status_code == 200 and moved.json()["date"] == "2025-11-19"
    assert moved.headers["ETag"] != etag
    stale = api.patch(path, json={"date": "2025-11-26"}, headers={**officer, "If-Match": etag})
    assert_problem(stale, 412)
    outside = api.patch(path, json={"date": "2026-08-05"},
                        headers={**officer, "If-Match": moved.headers["ETag"]})
    assert_problem(outside, 422, loc=["body", "date"])


def test_attendance_per_member_school_and_notes(api, world):
    trio = create_trio(api, world)
    meeting = _plan(api, world, trio)[0]
    path = f"{TRIOS}/{trio['id']}/meetings/{meeting['id']}"
    officer = world.headers(world.officer, **{"If-Match": '"1"'})
    ids = [m["establishment_id"] for m in trio["members"]]
    attendance = [{"establishment_id": ids[2], "status": "apologies"},
                  {"establishment_id": ids[0], "status": "present"},
                  {"establishment_id": ids[1], "status": "absent"}]
    answer = api.patch(path, json={"attendance": attendance, "notes": "Shared data on P7 writing."},
                       headers=officer)
    assert answer.status_code == 200, answer.text
    assert answer.json()["attendance"] == [attendance[1], attendance[2], attendance[0]]
    assert answer.json()["notes"] == "Shared data on P7 writing."
    current = world.headers(world.officer, **{"If-Match": answer.headers["ETag"]})
    outsider = [{"establishment_id": str(world.schools[3].id), "status": "present"}]
    assert_problem(api.patch(path, json={"attendance": outsider}, headers=current), 422,
                   loc=["body", "attendance", 0, "establishment_id"])
    twice = [attendance[0], attendance[0]]
    assert_problem(api.patch(path, json={"attendance": twice}, headers=current), 422)
    assert_problem(api.patch(path, json={"attendance": [{"establishment_id": ids[0],
                                                         "status": "late"}]}, headers=current), 422)


def test_headteachers_keep_the_trio_meetings_in_their_schools(api, world):
    trio = create_trio(api, world)
    central, hosted = _plan(api, world, trio)[:2]
    head = world.headers(world.heads[0], **{"If-Match": '"1"'})  # its host school's
    notes = api.patch(f"{TRIOS}/{trio['id']}/meetings/{hosted['id']}",
                      json={"notes": "Learning walk P5-P7"}, headers=head)
    assert notes.status_code == 200
    assert_problem(api.patch(f"{TRIOS}/{trio['id']}/meetings/{central['id']}",
                             json={"notes": "Ours"}, headers=head), 403)
    outsider = world.headers(world.heads[3], **{"If-Match": '"1"'})
    assert_problem(api.patch(f"{TRIOS}/{trio['id']}/meetings/{central['id']}",
                             json={"notes": "Not mine"}, headers=outsider), 404)


def test_an_extra_meeting_beside_the_plan(api, world):
    trio = create_trio(api, world)
    path = f"{TRIOS}/{trio['id']}/meetings"
    officer = world.headers(world.officer)
    host = trio["members"][2]["establishment_id"]
    made = api.post(path, json={"kind": "trio", "date": "2026-02-11",
                                "host_establishment_id": host}, headers=officer)
    assert made.status_code == 201 and made.json()["sequence"] == 1
    assert_problem(api.post(path, json={"kind": "central", "date": "2026-02-11",
                                        "host_establishment_id": host}, headers=officer), 422,
                   loc=["body", "host_establishment_id"])
    assert_problem(api.post(path, json={"kind": "trio", "date": "2026-02-11"}, headers=officer),
                   422, loc=["body", "host_establishment_id"])
    assert_problem(api.post(f"{path}/plan", headers=officer), 409)


def test_peer_reviews_are_recorded_against_the_visited_school(api, world):
    trio = create_trio(api, world)
    path = f"{TRIOS}/{trio['id']}/peer-reviews"
    visited = trio["members"][1]["establishment_id"]
    review = {"visited_establishment_id": visited, "date": "2026-03-04", "indicator_code": "2.3",
              "strengths": "Learners talk about their next steps.",
              "next_steps": "Use plenaries to check understanding."}
    made = api.post(path, json=review, headers=world.headers(world.heads[0]))
    assert made.status_code == 201, made.text
    assert made.json()["visited_establishment_id"] == visited
    assert made.json()["recorded_by"] == str(world.heads[0].id)
    for who in (world.heads[1], world.heads[2], world.officer, world.authority_admin):
        listed = api.get(path, headers=world.headers(who))
        assert [r["id"] for r in listed.json()["items"]] == [made.json()["id"]]
    for who in (world.heads[3], world.lead, world.other_officer):
        assert_problem(api.get(path, headers=world.headers(who)), 404)
        assert_problem(api.post(path, json=review, headers=world.headers(who)), 404)
    not_member = {**review, "visited_establishment_id": str(world.schools[3].id)}
    assert_problem(api.post(path, json=not_member, headers=world.headers(world.officer)), 422,
                   loc=["body", "visited_establishment_id"])
    assert_problem(api.post(path, json={**review, "date": "2024-03-04"},
                            headers=world.headers(world.officer)), 422, loc=["body", "date"])
    assert_problem(api.post(path, json={**review, "indicator_code": "9.9"},
                            headers=world.headers(world.officer)), 422,
                   loc=["body", "indicator_code"])
    by_school = api.get(path, params={"visited_establishment_id": trio["members"][0][
        "establishment_id"]}, headers=world.headers(world.officer))
    assert by_school.json()["items"] == []
