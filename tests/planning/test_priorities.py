"""Priorities are checked against the NIF, the school's framework and its session."""

from tests.planning.conftest import PRIORITY

PLANS = "/api/v1/improvement-plans"


def _priority(api, make, planning, **changes):
    """A priority in a fresh school's 2025-26 plan, posted by its headteacher."""
    establishment = make.establishment()
    head = make.headers(make.user("headteacher", establishments=[establishment]))
    plan = planning.plan(establishment, priorities=0)
    return api.post(f"{PLANS}/{plan.id}/priorities", json={**PRIORITY, **changes}, headers=head)


def test_indicators_must_belong_to_the_schools_framework(api, school, planning, make):
    assert _priority(api, make, planning, indicator_codes=["9.9"]).status_code == 422
    nursery = make.establishment(sector="elc")
    head = make.headers(make.user("headteacher", establishments=[nursery]))
    plan = planning.plan(nursery, priorities=0)
    # HGIOELC has no 3.4 either, but both frameworks share 1.3; ELC validates against HGIOELC.
    ok = api.post(f"{PLANS}/{plan.id}/priorities", json={**PRIORITY, "indicator_codes": ["1.3"]},
                  headers=head)
    assert ok.status_code == 201, ok.text


def test_nif_priorities_and_drivers_must_be_the_published_ones(api, make, planning):
    answer = _priority(api, make, planning, nif_drivers=["Vibes"])
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == ["body", "nif_drivers"]
    assert _priority(api, make, planning, nif_priorities=["World peace"]).status_code == 422


def test_action_due_dates_fall_inside_the_session(api, make, planning):
    late = [{**PRIORITY["actions"][0], "due": "2026-08-01"}]
    answer = _priority(api, make, planning, actions=late)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "actions", 0, "due"]
    edge = [{**PRIORITY["actions"][0], "due": "2026-07-31"}]
    assert _priority(api, make, planning, actions=edge).status_code == 201


def test_pef_allocation_is_money(api, make, planning):
    assert _priority(api, make, planning, pef_allocation="-1.00").status_code == 422
    assert _priority(api, make, planning, pef_allocation="10.001").status_code == 422
    assert _priority(api, make, planning, pef_allocation=250).json()["pef_allocation"] == "250.00"


def test_priority_edits_need_if_match_and_keep_version_when_unchanged(api, school, planning):
    plan = planning.plan(school.establishment, priorities=0)
    created = api.post(f"{PLANS}/{plan.id}/priorities", json=PRIORITY, headers=school.head).json()
    url = f"{PLANS}/{created['plan_id']}/priorities/{created['id']}"
    assert api.patch(url, json={"title": "x"}, headers=school.head).status_code == 428
    etag = api.get(url, headers=school.head).headers["ETag"]
    same = api.patch(url, json={"title": PRIORITY["title"]}, headers={**school.head, "If-Match": etag})
    assert same.status_code == 200 and same.json()["version"] == created["version"]
    changed = api.patch(url, json={"title": "Literacy"}, headers={**school.head, "If-Match": etag})
    assert changed.json()["version"] == created["version"] + 1
    stale = api.patch(url, json={"title": "Again"}, headers={**school.head, "If-Match": etag})
    assert stale.status_code == 412


def test_a_plan_holds_at_most_ten_priorities(api, school, planning):
    plan = planning.plan(school.establishment, priorities=10)
    answer = api.post(f"{PLANS}/{plan.id}/priorities", json=PRIORITY, headers=school.head)
    assert answer.status_code == 409


def test_a_headteacher_cannot_move_a_priority_into_another_schools_plan(api, school, planning,
                                                                         make):
    mine = planning.plan(school.establishment, priorities=1)
    theirs = planning.plan(make.establishment(), priorities=0)
    priority = api.get(f"{PLANS}/{mine.id}/priorities", headers=school.head).json()["items"][0]
    answer = api.get(f"{PLANS}/{theirs.id}/priorities/{priority['id']}", headers=school.head)
    assert answer.status_code == 404
    extra = api.patch(f"{PLANS}/{mine.id}/priorities/{priority['id']}",
                      json={"plan_id": str(theirs.id)}, headers={**school.head, "If-Match": '"1"'})
    assert extra.status_code == 422  # unknown field: rejected, not ignored


def test_a_plans_etag_follows_its_priorities(api, make, planning):
    """Adding or deleting a priority changes priority_count, so the plan's ETag and
    updated_at change too: a client polling with If-None-Match sees it."""
    establishment = make.establishment()
    head = make.headers(make.user("headteacher", establishments=[establishment]))
    plan = planning.plan(establishment, priorities=0)
    first = api.get(f"{PLANS}/{plan.id}", headers=head)
    tag = first.headers["ETag"]
    added = api.post(f"{PLANS}/{plan.id}/priorities", json=PRIORITY, headers=head)
    assert added.status_code == 201
    assert api.get(f"{PLANS}/{plan.id}", headers={**head, "If-None-Match": tag}).status_code == 200
    after_add = api.get(f"{PLANS}/{plan.id}", headers=head)
    assert after_add.json()["priority_count"] == 1
    assert after_add.headers["ETag"] != tag
    assert after_add.json()["updated_at"] > first.json()["updated_at"]
    gone = api.delete(f"{PLANS}/{plan.id}/priorities/{added.json()['id']}",
                      headers={**head, "If-Match": added.headers["ETag"]})
    assert gone.status_code == 204
    after_delete = api.get(f"{PLANS}/{plan.id}", headers={**head, "If-None-Match": after_add.headers["ETag"]})
    assert after_delete.status_code == 200 and after_delete.json()["priority_count"] == 0
