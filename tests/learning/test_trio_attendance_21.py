"""Issue #21, point 7: attendance is recorded once a meeting has been held (on or after its
date) and names every member school; `[]` clears it."""

from tests.core.problems import assert_problem
from tests.learning.trio_days import everyone, if_match, next_session, past_session, plan
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)


def test_attendance_waits_for_the_meeting_to_be_held(api, world):
    trio = create_trio(api, world, session=next_session())
    meeting = plan(api, world, trio)[0]
    path = f"{TRIOS}/{trio['id']}/meetings/{meeting['id']}"
    early = assert_problem(api.patch(path, json={"attendance": everyone(trio)},
                                     headers=if_match(world, world.officer)), 422,
                           loc=["body", "attendance"])
    assert early["errors"][0]["type"] == "rule.meeting_held"
    assert meeting["date"] in early["detail"]
    # Notes and a new date for a meeting ahead are fine.
    assert api.patch(path, json={"notes": "Agenda: tracking"},
                     headers=if_match(world, world.officer)).status_code == 200


def test_attendance_names_every_member_school(api, world):
    trio = create_trio(api, world, session=past_session())
    meeting = plan(api, world, trio)[0]
    path = f"{TRIOS}/{trio['id']}/meetings/{meeting['id']}"
    partial = everyone(trio)[:2]
    body = assert_problem(api.patch(path, json={"attendance": partial},
                                    headers=if_match(world, world.officer)), 422,
                          loc=["body", "attendance"])
    assert body["errors"][0]["type"] == "rule.attendance_complete"
    assert body["missing_establishment_ids"] == [trio["members"][2]["establishment_id"]]
    whole = api.patch(path, json={"attendance": everyone(trio, "apologies")},
                      headers=if_match(world, world.officer))
    assert whole.status_code == 200, whole.text
    assert len(whole.json()["attendance"]) == 3
    cleared = api.patch(path, json={"attendance": []}, headers=if_match(world, world.officer, 2))
    assert cleared.status_code == 200 and cleared.json()["attendance"] == []
