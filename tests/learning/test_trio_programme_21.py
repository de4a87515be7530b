"""Issue #21, point 8: an authority's trio programme for a session (South Lanarkshire's: focus
QIs 1.3 and 3.2; three central and three trio meetings) is a setting its authority admins
keep and its people read; trios and meetings are checked against it; a meeting planned in
error (not yet held, nothing recorded) can be deleted. An authority that sets nothing keeps
the old behaviour."""

from sqlmodel import select

from app.audit.models import ChangeRecord
from tests.core.problems import assert_problem
from tests.learning.trio_days import if_match, in_session, next_session, past_session, plan
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    rules_of,
    world_fixture,
)

SLC = {"indicator_codes": ["1.3", "3.2"], "central_meetings": 3, "trio_meetings": 3}


def _programme(world, session):
    return f"/api/v1/authorities/{world.authority.id}/trio-programme/{session}"


def _set(api, world, session, body=SLC):
    answer = api.put(_programme(world, session), json=body,
                     headers=world.headers(world.authority_admin))
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_authority_admins_set_the_programme_and_its_people_read_it(api, world, db):
    session = next_session()
    path = _programme(world, session)
    assert_problem(api.get(path, headers=world.headers(world.officer)), 404)
    assert_problem(api.put(path, json=SLC, headers=world.headers(world.officer)), 403)
    assert_problem(api.put(path, json=SLC, headers=world.headers(world.heads[0])), 403)
    assert_problem(api.put(path, json={**SLC, "indicator_codes": ["9.9"]},
                           headers=world.headers(world.authority_admin)), 422,
                   loc=["body", "indicator_codes"])
    made = _set(api, world, session)
    assert {k: made[k] for k in SLC} == SLC and made["session"] == session
    for who in (world.officer, world.heads[0], world.admin):
        read = api.get(path, headers=world.headers(who))
        assert read.status_code == 200 and read.headers["ETag"] == '"1"', read.text
    for who in (world.other_officer, world.outsider_head):
        assert_problem(api.get(path, headers=world.headers(who)), 403)
    client = world.make.client(["summaries:read"], authority=world.authority)
    assert_problem(api.get(path, headers=world.headers(client)), 403)
    assert_problem(api.put(path, json=SLC, headers=world.headers(world.authority_admin)), 428)
    changed = api.put(path, json={**SLC, "central_meetings": 2},
                      headers=if_match(world, world.authority_admin))
    assert changed.status_code == 200 and changed.json()["version"] == 2
    feed = db.exec(select(ChangeRecord).where(ChangeRecord.resource_type == "trio_programme")).all()
    assert [c.operation for c in feed] == ["created", "updated"]


def test_the_programme_fixes_the_focus_of_every_trio_of_the_session(api, world):
    session = past_session()
    _set(api, world, session)
    officer = world.headers(world.officer)
    assert rules_of(api.post(TRIOS, json=world.body(session=session, indicator_codes=["2.3"]),
                             headers=officer)) == {"programme_focus": set()}
    unnamed = {k: v for k, v in world.body(session=session).items() if k != "indicator_codes"}
    made = api.post(TRIOS, json=unnamed, headers=officer)
    assert made.status_code == 201, made.text
    assert made.json()["indicator_codes"] == ["1.3", "3.2"]  # the programme's
    changed = api.patch(f"{TRIOS}/{made.json()['id']}", json={"indicator_codes": ["2.3"]},
                        headers=if_match(world, world.officer))
    assert rules_of(changed) == {"programme_focus": set()}
    # Elsewhere (another session, no programme) a trio still names its own focus, and must.
    other = {k: v for k, v in world.body(session=next_session()).items()
             if k != "indicator_codes"}
    assert rules_of(api.post(TRIOS, json=other, headers=officer)) == {"focus_indicators": set()}
    assert api.post(TRIOS, json=world.body(session=next_session(), indicator_codes=["2.3"]),
                    headers=officer).status_code == 201


def test_the_programme_caps_the_meetings_and_one_planned_in_error_is_deleted(api, world):
    session = next_session()
    _set(api, world, session)
    trio = create_trio(api, world, session=session)
    meetings = plan(api, world, trio)
    path = f"{TRIOS}/{trio['id']}/meetings"
    officer = world.headers(world.officer)
    fourth = {"kind": "central", "date": in_session(session, 2, 10)}
    body = assert_problem(api.post(path, json=fourth, headers=officer), 422, loc=["body", "kind"])
    assert body["errors"][0]["type"] == "rule.programme_meetings"

    central = meetings[2]
    one = f"{path}/{central['id']}"
    assert_problem(api.delete(one, headers=officer), 428)
    assert_problem(api.delete(one, headers=if_match(world, world.heads[0])), 403)
    assert api.delete(one, headers=if_match(world, world.officer)).status_code == 204
    assert_problem(api.get(one, headers=officer), 404)
    assert api.post(path, json=fourth, headers=officer).status_code == 201  # back to three

    noted = meetings[1]
    assert api.patch(f"{path}/{noted['id']}", json={"notes": "Agenda agreed"},
                     headers=if_match(world, world.officer)).status_code == 200
    assert_problem(api.delete(f"{path}/{noted['id']}", headers=if_match(world, world.officer, 2)),
                   409)


def test_a_meeting_already_held_is_not_deleted(api, world):
    trio = create_trio(api, world, session=past_session())
    held = plan(api, world, trio)[0]
    answer = api.delete(f"{TRIOS}/{trio['id']}/meetings/{held['id']}",
                        headers=if_match(world, world.officer))
    assert "has been held" in assert_problem(answer, 409)["detail"]


def test_the_plan_follows_the_programmes_numbers_of_meetings(api, world):
    session = next_session()
    _set(api, world, session, {"indicator_codes": None, "central_meetings": 2,
                               "trio_meetings": 4})
    trio = create_trio(api, world, session=session)
    meetings = plan(api, world, trio)
    assert [m["kind"] for m in meetings].count("central") == 2
    assert [m["kind"] for m in meetings].count("trio") == 4
    assert meetings[0]["kind"] == "central"
    days = [m["date"] for m in meetings]
    assert days == sorted(days) and len(set(days)) == 6
    hosts = [m["host_establishment_id"] for m in meetings if m["kind"] == "trio"]
    ids = [m["establishment_id"] for m in trio["members"]]
    assert hosts == [*ids, ids[0]]


def test_an_authority_without_a_programme_keeps_todays_rules(api, world):
    trio = create_trio(api, world, session=next_session(), indicator_codes=["2.3"])
    plan(api, world, trio)
    extra = api.post(f"{TRIOS}/{trio['id']}/meetings", headers=world.headers(world.officer),
                     json={"kind": "central", "date": in_session(next_session(), 2, 10)})
    assert extra.status_code == 201, extra.text
