"""What a trio must keep: every rule a 422 that names the rule and the members breaking it;
officers may set aside "same area" and "different clusters" with a recorded reason, never
size or one trio per session."""

from sqlmodel import select

from app.audit.models import AuditEvent
from tests.core.problems import assert_problem
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    rules_of,
    world_fixture,
)


def _ids(world, *picks):
    return {str(world.schools[i].id) for i in picks}


def test_an_officer_forms_a_trio_that_keeps_every_rule(api, world, db):
    trio = create_trio(api, world)
    assert trio["kind"] == "trio" and trio["area"] == "Airdrie" and trio["session"] == "2025-26"
    assert trio["authority_id"] == str(world.authority.id)
    assert [m["establishment_id"] for m in trio["members"]] == [
        str(world.schools[i].id) for i in (0, 1, 2)]
    # Each school's only headteacher is filled in.
    assert [m["headteacher_id"] for m in trio["members"]] == [
        str(world.heads[i].id) for i in (0, 1, 2)]
    assert trio["overrides"] == [] and trio["version"] == 1
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "trio.create")).one()
    assert event.authority_id == world.authority.id and len(event.after["members"]) == 3


def test_size_is_three_for_a_trio_and_four_for_a_quad(api, world):
    four = world.body((0, 1, 2, 6), kind="trio")
    answer = api.post(TRIOS, json=four, headers=world.headers(world.officer))
    assert_problem(answer, 422, loc=["body", "members"])
    assert set(rules_of(answer)) == {"size"}
    assert "size" in answer.json()["detail"]
    assert any(e["type"] == "rule.size" for e in answer.json()["errors"])
    three = world.body((0, 1, 2), kind="quad")
    assert set(rules_of(api.post(TRIOS, json=three, headers=world.headers(world.officer)))) == {
        "size"}
    quad = api.post(TRIOS, json=world.body((0, 1, 2, 6)), headers=world.headers(world.officer))
    assert quad.status_code == 201 and quad.json()["kind"] == "quad"


def test_members_from_different_clusters_only(api, world):
    answer = api.post(TRIOS, json=world.body((0, 1, 4)), headers=world.headers(world.officer))
    assert_problem(answer, 422, loc=["body", "members", 2, "establishment_id"])
    assert rules_of(answer) == {"different_clusters": _ids(world, 0, 4)}
    detail = answer.json()["detail"]
    assert "different_clusters" in detail
    assert world.schools[0].name in detail and world.schools[4].name in detail


def test_members_from_the_same_area(api, world):
    answer = api.post(TRIOS, json=world.body((0, 1, 5)), headers=world.headers(world.officer))
    assert_problem(answer, 422, loc=["body", "members", 2, "establishment_id"])
    assert rules_of(answer) == {"same_area": _ids(world, 5)}
    assert world.schools[5].name in answer.json()["detail"]
    named = api.post(TRIOS, json=world.body((0, 1, 2), area="Coatbridge"),
                     headers=world.headers(world.officer))
    assert rules_of(named) == {"same_area": _ids(world, 0, 1, 2)}


def test_members_from_one_authority(api, world):
    body = world.body((0, 1))
    body["members"].append({"establishment_id": str(world.elsewhere.id)})
    as_admin = api.post(TRIOS, json=body, headers=world.headers(world.admin))
    assert_problem(as_admin, 422, loc=["body", "members", 2, "establishment_id"])
    assert rules_of(as_admin) == {"one_authority": {str(world.elsewhere.id)}}
    # An officer cannot see another authority's school: it is unknown to them, not named.
    as_officer = api.post(TRIOS, json=body, headers=world.headers(world.officer))
    assert rules_of(as_officer) == {"known_establishment": {str(world.elsewhere.id)}}
    assert world.elsewhere.name not in as_officer.text


def test_a_school_is_in_one_trio_per_session_across_trios(api, world):
    first = create_trio(api, world, (0, 1, 2))
    answer = api.post(TRIOS, json=world.body((2, 3, 6)), headers=world.headers(world.officer))
    assert_problem(answer, 422, loc=["body", "members", 0, "establishment_id"])
    assert rules_of(answer) == {"one_trio_per_session": _ids(world, 2)}
    assert first["id"] in answer.json()["detail"]
    # No override sets it aside ...
    overridden = api.post(TRIOS, json=world.body((2, 3, 6), overrides=[
        {"rule": "one_trio_per_session", "reason": "She asked to join both"}]),
        headers=world.headers(world.officer))
    assert_problem(overridden, 422, loc=["body", "overrides", 0, "rule"])
    # ... but another session is another cohort.
    create_trio(api, world, (2, 3, 6), session="2026-27")


def test_the_headteacher_named_must_lead_that_school(api, world):
    body = world.body()
    body["members"][1]["headteacher_id"] = str(world.heads[3].id)
    answer = api.post(TRIOS, json=body, headers=world.headers(world.officer))
    assert_problem(answer, 422, loc=["body", "members", 1, "headteacher_id"])
    assert rules_of(answer) == {"headteacher_of_member": _ids(world, 1)}
    body["members"][1]["headteacher_id"] = str(world.heads[1].id)
    assert api.post(TRIOS, json=body, headers=world.headers(world.officer)).status_code == 201


def test_focus_indicators_belong_to_the_framework(api, world):
    answer = api.post(TRIOS, json=world.body(indicator_codes=["9.9"]),
                      headers=world.headers(world.officer))
    assert_problem(answer, 422, loc=["body", "indicator_codes"])
    assert set(rules_of(answer)) == {"focus_indicators"}
    for bad in ([], ["1.3", "2.3", "3.2"], ["1.3", "1.3"]):
        assert api.post(TRIOS, json=world.body(indicator_codes=bad),
                        headers=world.headers(world.officer)).status_code == 422


def test_every_broken_rule_is_named_at_once(api, world):
    answer = api.post(TRIOS, json=world.body((0, 4, 5, 1), kind="trio"),
                      headers=world.headers(world.officer))
    assert rules_of(answer) == {"size": set(), "different_clusters": _ids(world, 0, 4),
                                "same_area": _ids(world, 5)}


def test_an_officer_overrides_area_and_cluster_with_a_recorded_reason(api, world, db):
    overrides = [{"rule": "same_area", "reason": "Coatbridge has only one school opted in"},
                 {"rule": "different_clusters", "reason": "Both asked to work together"}]
    trio = create_trio(api, world, (0, 4, 5), overrides=overrides)
    assert [(o["rule"], o["reason"]) for o in trio["overrides"]] == [
        (o["rule"], o["reason"]) for o in overrides]
    assert {o["by"] for o in trio["overrides"]} == {str(world.officer.id)}
    assert all(o["by_label"] == world.officer.email and o["at"] for o in trio["overrides"])
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "trio.create")).one()
    assert [o["reason"] for o in event.after["overrides"]] == [o["reason"] for o in overrides]


def test_one_override_does_not_set_aside_another_rule(api, world):
    answer = api.post(TRIOS, json=world.body((0, 4, 5), overrides=[
        {"rule": "same_area", "reason": "Small area"}]), headers=world.headers(world.officer))
    assert rules_of(answer) == {"different_clusters": _ids(world, 0, 4)}


def test_overrides_need_a_reason_and_only_two_rules_can_be_overridden(api, world):
    for override, loc in (({"rule": "same_area"}, ["body", "overrides", 0, "reason"]),
                          ({"rule": "same_area", "reason": "   "}, ["body", "overrides", 0, "reason"]),
                          ({"rule": "size", "reason": "Big group"}, ["body", "overrides", 0, "rule"]),
                          ({"rule": "made_up", "reason": "Why not"}, ["body", "overrides", 0, "rule"])):
        answer = api.post(TRIOS, json=world.body((0, 1, 5), overrides=[override]),
                          headers=world.headers(world.officer))
        assert_problem(answer, 422, loc=loc)
    size = api.post(TRIOS, json=world.body((0, 1, 2, 6), kind="trio", overrides=[
        {"rule": "size", "reason": "Four heads asked"}]), headers=world.headers(world.officer))
    assert "cannot be overridden" in size.json()["detail"]


def test_only_officers_of_the_authority_form_trios_or_override(api, world):
    body = world.body((0, 1, 5), overrides=[{"rule": "same_area", "reason": "Asked to"}])
    for who in (world.heads[0], world.lead):
        assert_problem(api.post(TRIOS, json=body, headers=world.headers(who)), 403)
    assert api.post(TRIOS, json=world.body(), headers=world.headers(world.heads[0])
                    ).status_code == 403
    # Another authority's officer cannot see these schools at all.
    assert rules_of(api.post(TRIOS, json=body, headers=world.headers(world.other_officer))) == {
        "known_establishment": _ids(world, 0, 1, 5)}
    assert api.post(TRIOS, json=body, headers=world.headers(world.authority_admin)
                    ).status_code == 201


def test_changing_members_checks_every_rule_again(api, world):
    trio = create_trio(api, world)
    path = f"{TRIOS}/{trio['id']}"
    officer = world.headers(world.officer)
    swap = {"members": [{"establishment_id": str(world.schools[i].id)} for i in (0, 1, 4)]}
    assert_problem(api.patch(path, json=swap, headers=officer), 428)
    answer = api.patch(path, json=swap, headers={**officer, "If-Match": '"1"'})
    assert rules_of(answer) == {"different_clusters": _ids(world, 0, 4)}
    other = create_trio(api, world, (3, 6, 5), overrides=[{"rule": "same_area", "reason": "ok"}])
    taken = {"members": [{"establishment_id": str(world.schools[i].id)} for i in (0, 1, 3)]}
    assert rules_of(api.patch(path, json=taken, headers={**officer, "If-Match": '"1"'})) == {
        "one_trio_per_session": _ids(world, 3)}
    to_quad = {"kind": "quad"}
    assert rules_of(api.patch(path, json=to_quad, headers={**officer, "If-Match": '"1"'})) == {
        "size": set()}
    api.delete(f"{TRIOS}/{other['id']}", headers={**officer, "If-Match": '"1"'})
    ok = api.patch(path, json={**taken, "name": "Airdrie trio"},
                   headers={**officer, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2 and ok.headers["ETag"] == '"2"'
    assert {m["establishment_id"] for m in ok.json()["members"]} == _ids(world, 0, 1, 3)
    stale = api.patch(path, json={"name": "Again"}, headers={**officer, "If-Match": '"1"'})
    assert_problem(stale, 412)


def test_disbanding_a_trio_frees_its_schools(api, world):
    trio = create_trio(api, world)
    officer = world.headers(world.officer)
    assert api.delete(f"{TRIOS}/{trio['id']}", headers=world.headers(world.heads[0], **{
        "If-Match": '"1"'})).status_code == 403
    assert api.delete(f"{TRIOS}/{trio['id']}",
                      headers={**officer, "If-Match": '"1"'}).status_code == 204
    assert api.get(f"{TRIOS}/{trio['id']}", headers=officer).status_code == 404
    create_trio(api, world, (0, 1, 2))
