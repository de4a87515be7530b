"""Issue #21, point 6: a peer review is of another member school, dated in the session and
not after today, on one of the trio's focus indicators (or 2.3, learning, teaching and
assessment, which is what trio peer reviews look at); it names its indicator (no default),
and can be corrected (PATCH) or withdrawn (DELETE), each with If-Match."""

from tests.core.problems import assert_problem
from tests.learning.trio_days import if_match, in_session, next_session, past_session
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)


def _review(world, session, visited=1, **changes):
    return {"visited_establishment_id": str(world.schools[visited].id),
            "date": in_session(session, 3, 4), "indicator_code": "1.3",
            "strengths": "Learners talk about their next steps.", **changes}


def test_a_headteacher_reviews_another_member_school_not_their_own(api, world):
    session = past_session()
    trio = create_trio(api, world, session=session)
    path = f"{TRIOS}/{trio['id']}/peer-reviews"
    own = api.post(path, json=_review(world, session, visited=0),
                   headers=world.headers(world.heads[0]))
    body = assert_problem(own, 422, loc=["body", "visited_establishment_id"])
    assert body["errors"][0]["type"] == "rule.other_school"
    assert api.post(path, json=_review(world, session, visited=1),
                    headers=world.headers(world.heads[0])).status_code == 201


def test_a_review_is_dated_in_the_session_and_not_after_today(api, world):
    session = next_session()  # all of it ahead
    trio = create_trio(api, world, session=session)
    path = f"{TRIOS}/{trio['id']}/peer-reviews"
    for who in (world.heads[0], world.officer):
        ahead = assert_problem(api.post(path, json=_review(world, session),
                                        headers=world.headers(who)), 422, loc=["body", "date"])
        assert ahead["errors"][0]["type"] == "rule.in_past"
    assert api.get(path, headers=world.headers(world.officer)).json()["items"] == []


def test_a_review_names_a_focus_indicator_of_the_trio(api, world):
    session = past_session()
    trio = create_trio(api, world, session=session)  # focus 1.3 and 3.2
    path = f"{TRIOS}/{trio['id']}/peer-reviews"
    head = world.headers(world.heads[0])
    no_code = {k: v for k, v in _review(world, session).items() if k != "indicator_code"}
    assert_problem(api.post(path, json=no_code, headers=head), 422,
                   loc=["body", "indicator_code"])
    outside = assert_problem(api.post(path, json=_review(world, session, indicator_code="1.1"),
                                      headers=head), 422, loc=["body", "indicator_code"])
    assert "1.3 or 3.2 or 2.3" in outside["detail"]
    for code in ("3.2", "2.3"):
        made = api.post(path, json=_review(world, session, indicator_code=code), headers=head)
        assert made.status_code == 201, made.text
        assert made.json()["indicator_code"] == code


def test_a_review_is_corrected_and_withdrawn_with_if_match(api, world):
    session = past_session()
    trio = create_trio(api, world, session=session)
    made = api.post(f"{TRIOS}/{trio['id']}/peer-reviews", json=_review(world, session),
                    headers=world.headers(world.heads[0]))
    assert made.status_code == 201, made.text
    path = f"{TRIOS}/{trio['id']}/peer-reviews/{made.json()['id']}"
    read = api.get(path, headers=world.headers(world.heads[2]))
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert api.get(path, headers=world.headers(world.heads[3])).status_code == 404

    fix = {"next_steps": "Use plenaries to check understanding.",
           "date": in_session(session, 3, 11)}
    assert_problem(api.patch(path, json=fix, headers=world.headers(world.heads[0])), 428)
    # Another member headteacher did not record it.
    assert_problem(api.patch(path, json=fix, headers=if_match(world, world.heads[1])), 403)
    fixed = api.patch(path, json=fix, headers=if_match(world, world.heads[0]))
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["date"], fixed.json()["version"]) == (fix["date"], 2)
    assert fixed.headers["ETag"] == '"2"'
    assert_problem(api.patch(path, json=fix, headers=if_match(world, world.heads[0])), 412)
    # A correction keeps the rules.
    assert_problem(api.patch(path, json={"indicator_code": "1.1"},
                             headers=if_match(world, world.officer, 2)), 422,
                   loc=["body", "indicator_code"])
    assert_problem(api.patch(path, json={"visited_establishment_id": str(world.schools[0].id)},
                             headers=if_match(world, world.heads[0], 2)), 422,
                   loc=["body", "visited_establishment_id"])
    assert_problem(api.patch(path, json={"date": in_session(next_session(), 3, 4)},
                             headers=if_match(world, world.officer, 2)), 422,
                   loc=["body", "date"])

    assert_problem(api.delete(path, headers=world.headers(world.heads[0])), 428)
    assert_problem(api.delete(path, headers=if_match(world, world.heads[1], 2)), 403)
    assert_problem(api.delete(path, headers=if_match(world, world.heads[0], 1)), 412)
    assert api.delete(path, headers=if_match(world, world.heads[0], 2)).status_code == 204
    assert_problem(api.get(path, headers=world.headers(world.officer)), 404)
    listed = api.get(f"{TRIOS}/{trio['id']}/peer-reviews", headers=world.headers(world.officer))
    assert listed.json()["items"] == []


def test_officers_correct_and_withdraw_any_review_of_their_authority(api, world):
    session = past_session()
    trio = create_trio(api, world, session=session)
    made = api.post(f"{TRIOS}/{trio['id']}/peer-reviews", json=_review(world, session),
                    headers=world.headers(world.heads[0])).json()
    path = f"{TRIOS}/{trio['id']}/peer-reviews/{made['id']}"
    assert_problem(api.patch(path, json={"strengths": "x"},
                             headers=if_match(world, world.other_officer)), 404)
    assert api.patch(path, json={"strengths": "Shared with the cluster."},
                     headers=if_match(world, world.officer)).status_code == 200
    assert api.delete(path, headers=if_match(world, world.authority_admin, 2)).status_code == 204
