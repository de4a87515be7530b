"""Improvement plans through their whole year, as the people involved would drive them."""

import threading

from tests.planning.conftest import PRIORITY

PLANS = "/api/v1/improvement-plans"


def _create(api, school, session="2025-26"):
    answer = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                   "session": session, "title": "SIP"}, headers=school.head)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _move(api, plan_id, action, headers, feedback=None):
    body = {"feedback": feedback} if feedback is not None else None
    return api.post(f"{PLANS}/{plan_id}/{action}", json=body, headers=headers)


def test_a_plan_goes_from_draft_to_closed_with_every_step_kept(api, school):
    plan = _create(api, school)
    assert plan["status"] == "draft" and plan["allowed_transitions"] == ["submit"]
    priority = api.post(f"{PLANS}/{plan['id']}/priorities", json=PRIORITY, headers=school.head)
    assert priority.status_code == 201, priority.text
    assert priority.json()["pef_allocation"] == "12500.50"

    assert _move(api, plan["id"], "submit", school.head).json()["status"] == "submitted"
    returned = _move(api, plan["id"], "return", school.link_officer, "Measure for priority 1?")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert returned.json()["feedback"] == "Measure for priority 1?"
    assert _move(api, plan["id"], "submit", school.head).json()["status"] == "submitted"
    agreed = _move(api, plan["id"], "agree", school.authority_admin, "Well evidenced.")
    assert agreed.json()["status"] == "agreed" and agreed.json()["agreed_at"]
    assert _move(api, plan["id"], "close", school.link_officer).json()["status"] == "closed"

    history = api.get(f"{PLANS}/{plan['id']}/history", headers=school.head).json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("draft", "submitted"), ("submitted", "returned"), ("returned", "submitted"),
        ("submitted", "agreed"), ("agreed", "closed")]
    assert history[1]["feedback"] == "Measure for priority 1?"
    assert history[0]["actor_label"].startswith("headteacher")
    assert all(h["occurred_at"] for h in history)


def test_every_illegal_transition_is_409_naming_current_status_and_allowed_moves(
        api, school, planning):
    legal = {"draft": {"submit"}, "submitted": {"return", "agree"}, "returned": {"submit"},
             "agreed": {"close"}, "closed": set()}
    who = {"submit": school.head, "return": school.link_officer, "agree": school.link_officer,
           "close": school.link_officer}
    for year, (status, allowed) in enumerate(legal.items(), start=2020):
        plan = planning.plan(school.establishment, status=status,
                             session=f"{year}-{(year + 1) % 100:02d}")
        for action in {"submit", "return", "agree", "close"} - allowed:
            answer = _move(api, plan.id, action, who[action], "feedback")
            assert answer.status_code == 409, (status, action, answer.text)
            detail = answer.json()["detail"]
            assert f"is {status}" in detail
            for name in allowed:
                assert name in detail


def test_only_the_right_role_moves_a_plan(api, school, planning):
    plan = planning.plan(school.establishment)
    assert _move(api, plan.id, "submit", school.link_officer).status_code == 403
    assert _move(api, plan.id, "submit", school.other_head).status_code == 404
    assert _move(api, plan.id, "submit", school.head).status_code == 200
    assert _move(api, plan.id, "agree", school.head).status_code == 403
    assert _move(api, plan.id, "agree", school.other_officer).status_code == 403
    assert _move(api, plan.id, "agree", school.lead).status_code == 404
    assert _move(api, plan.id, "return", school.link_officer).status_code == 422  # no feedback
    assert _move(api, plan.id, "agree", school.link_officer).status_code == 200


def test_submitting_needs_one_to_ten_priorities(api, school, planning):
    empty = planning.plan(school.establishment, priorities=0)
    answer = _move(api, empty.id, "submit", school.head)
    assert answer.status_code == 422
    assert "1 to 10 priorities" in answer.json()["detail"]
    too_many = planning.plan(school.establishment, session="2026-27", priorities=11)
    assert _move(api, too_many.id, "submit", school.head).status_code == 422
    assert api.get(f"{PLANS}/{empty.id}", headers=school.head).json()["status"] == "draft"


def test_one_plan_per_establishment_and_session(api, school):
    _create(api, school)
    again = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                  "session": "2025-26"}, headers=school.head)
    assert again.status_code == 409
    assert _create(api, school, "2026-27")["session"] == "2026-27"


def test_session_must_be_consecutive_years(api, school):
    for bad in ("2025-27", "2025/26", "25-26", "2025-2026", "2099-01"):
        answer = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                       "session": bad}, headers=school.head)
        assert answer.status_code == 422, bad
        assert answer.json()["errors"][0]["loc"] == ["body", "session"]
    assert api.get(PLANS, params={"session": "2025-27"}, headers=school.head).status_code == 422


def test_headteachers_edit_only_in_draft_or_returned(api, school, planning):
    agreed = planning.plan(school.establishment, status="agreed")
    etag = api.get(f"{PLANS}/{agreed.id}", headers=school.head).headers["ETag"]
    edit = api.patch(f"{PLANS}/{agreed.id}", json={"title": "New"},
                     headers={**school.head, "If-Match": etag})
    assert edit.status_code == 409 and "agreed" in edit.json()["detail"]
    assert api.post(f"{PLANS}/{agreed.id}/priorities", json=PRIORITY,
                    headers=school.head).status_code == 409
    returned = planning.plan(school.establishment, status="returned", session="2026-27")
    etag = api.get(f"{PLANS}/{returned.id}", headers=school.head).headers["ETag"]
    assert api.patch(f"{PLANS}/{returned.id}", json={"title": "Fixed"},
                     headers={**school.head, "If-Match": etag}).status_code == 200


def test_agreed_plans_still_take_progress_and_drafts_do_not(api, school, planning):
    agreed = planning.plan(school.establishment, status="agreed")
    priority = api.get(f"{PLANS}/{agreed.id}/priorities", headers=school.head).json()["items"][0]
    url = f"{PLANS}/{agreed.id}/priorities/{priority['id']}/progress"
    first = api.post(url, json={"rag": "amber", "commentary": "Started"}, headers=school.head)
    assert first.status_code == 201, first.text
    api.post(url, json={"rag": "green", "commentary": "On track"}, headers=school.link_officer)
    history = api.get(url, headers=school.head).json()["items"]
    assert [h["rag"] for h in history] == ["amber", "green"]
    latest = api.get(f"{PLANS}/{agreed.id}/priorities/{priority['id']}", headers=school.head)
    assert latest.json()["latest_rag"] == "green"
    assert api.post(url, json={"rag": "purple"}, headers=school.head).status_code == 422

    draft = planning.plan(school.establishment, session="2026-27")
    draft_priority = api.get(f"{PLANS}/{draft.id}/priorities",
                             headers=school.head).json()["items"][0]
    answer = api.post(f"{PLANS}/{draft.id}/priorities/{draft_priority['id']}/progress",
                      json={"rag": "red"}, headers=school.head)
    assert answer.status_code == 409


def test_a_headteacher_of_another_school_sees_nothing(api, school, planning):
    plan = planning.plan(school.establishment)
    assert api.get(f"{PLANS}/{plan.id}", headers=school.other_head).status_code == 404
    assert api.get(PLANS, headers=school.other_head).json()["items"] == []
    assert api.get(f"{PLANS}/{plan.id}/history", headers=school.other_head).status_code == 404
    assert api.get(f"{PLANS}/{plan.id}", headers=school.lead).status_code == 404
    assert api.get(f"{PLANS}/{plan.id}", headers=school.other_officer).status_code == 200
    created = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                    "session": "2026-27"}, headers=school.other_head)
    assert created.status_code == 422  # not an establishment they can see


def test_concurrent_edits_with_the_same_etag_one_wins_one_412(api, school, planning):
    plan = planning.plan(school.establishment)
    etag = api.get(f"{PLANS}/{plan.id}", headers=school.head).headers["ETag"]
    results: list[int] = []

    def edit(title: str) -> None:
        answer = api.patch(f"{PLANS}/{plan.id}", json={"title": title},
                           headers={**school.head, "If-Match": etag})
        results.append(answer.status_code)

    threads = [threading.Thread(target=edit, args=(f"Title {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 412]
    assert api.get(f"{PLANS}/{plan.id}", headers=school.head).json()["version"] == 2


def test_transitions_and_edits_are_audited(api, school, db):
    from sqlmodel import select

    from app.audit.models import AuditEvent

    plan = _create(api, school)
    api.post(f"{PLANS}/{plan['id']}/priorities", json=PRIORITY, headers=school.head)
    _move(api, plan["id"], "submit", school.head)
    actions = list(db.exec(select(AuditEvent.action).where(
        AuditEvent.resource_id == plan["id"]).order_by(AuditEvent.id)))
    assert actions == ["improvement_plan.create", "improvement_plan.submit"]
    submitted = db.exec(select(AuditEvent).where(
        AuditEvent.action == "improvement_plan.submit")).one()
    assert submitted.before["status"] == "draft" and submitted.after["status"] == "submitted"


def test_a_second_plan_for_a_session_points_to_the_first(api, school):
    """The 409 names the existing plan (Location and existing_id), so a client can open it."""
    first = _create(api, school)
    again = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                  "session": "2025-26"}, headers=school.head)
    assert again.status_code == 409
    assert again.headers["Location"] == f"{PLANS}/{first['id']}"
    assert again.json()["existing_id"] == first["id"]
    assert api.get(again.headers["Location"], headers=school.head).status_code == 200


def test_me_says_what_the_current_session_is(api, school):
    from app.core.schemas import session_of
    from app.core.types import utcnow

    assert api.get("/api/v1/me", headers=school.head).json()["current_session"] == session_of(utcnow().date())
