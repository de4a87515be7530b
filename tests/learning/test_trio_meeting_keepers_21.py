"""Issue #21, point 3: "headteachers may change the trio meetings held in their schools" means
the headteacher the trio names for the host school; not a member headteacher of another
school, nor a co-headteacher of the host school the trio does not name. Officers of the
authority keep every meeting."""

from tests.core.problems import assert_problem
from tests.learning.trio_days import if_match, past_session, plan
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)


def test_only_the_host_schools_named_headteacher_and_officers_keep_a_trio_meeting(api, world):
    trio = create_trio(api, world, session=past_session())
    meetings = plan(api, world, trio)
    hosted = meetings[1]
    assert hosted["host_establishment_id"] == str(world.schools[0].id)
    assert trio["members"][0]["headteacher_id"] == str(world.heads[0].id)  # named for school 0
    co_head = world.make.user("headteacher", establishments=[world.schools[0]])  # not named
    path = f"{TRIOS}/{trio['id']}/meetings/{hosted['id']}"

    # A member headteacher of another school: refused, saying who keeps it.
    refused = assert_problem(api.patch(path, json={"notes": "Not my school"},
                                       headers=if_match(world, world.heads[1])), 403)
    assert "headteacher the trio names" in refused["detail"]
    # A headteacher of the host school whom the trio does not name: refused too.
    assert_problem(api.patch(path, json={"notes": "Not named"},
                             headers=if_match(world, co_head)), 403)
    assert api.get(path, headers=world.headers(world.officer)).json()["notes"] == ""

    named = api.patch(path, json={"notes": "Learning walk P5-P7"},
                      headers=if_match(world, world.heads[0]))
    assert named.status_code == 200, named.text
    officer = api.patch(path, json={"notes": "Agreed next steps"},
                        headers=if_match(world, world.officer, named.headers["ETag"]))
    assert officer.status_code == 200, officer.text
    # The host school's named headteacher does not keep the central meetings.
    assert_problem(api.patch(f"{TRIOS}/{trio['id']}/meetings/{meetings[0]['id']}",
                             json={"notes": "Ours"}, headers=if_match(world, world.heads[0])), 403)


def test_a_trio_that_names_the_co_headteacher_lets_them_keep_it_instead(api, world):
    co_head = world.make.user("headteacher", establishments=[world.schools[0]])
    body_members = [{"establishment_id": str(world.schools[0].id),
                     "headteacher_id": str(co_head.id)},
                    {"establishment_id": str(world.schools[1].id)},
                    {"establishment_id": str(world.schools[2].id)}]
    trio = create_trio(api, world, session=past_session(), members=body_members)
    hosted = plan(api, world, trio)[1]
    path = f"{TRIOS}/{trio['id']}/meetings/{hosted['id']}"
    assert_problem(api.patch(path, json={"notes": "Not named"},
                             headers=if_match(world, world.heads[0])), 403)
    assert api.patch(path, json={"notes": "Named"},
                     headers=if_match(world, co_head)).status_code == 200
