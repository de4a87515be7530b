"""VSE cycles through their whole life, as the people involved would drive them."""

import threading
import uuid

from sqlmodel import select

from app.assurance.vse.models import VseEvaluation, VseTeamMember, VseTheme
from app.audit.models import AuditEvent
from tests.assurance.conftest import (
    GRADES,
    VSE_CYCLES,
    create_vse,
    move_vse,
    patch_vse,
    stored_vse,
)

LEGAL = {"proposed": {"schedule", "cancel"}, "scheduled": {"start", "cancel"},
         "in_progress": {"report", "cancel"}, "reported": {"close"}, "closed": set(),
         "cancelled": set()}
ACTIONS = {"schedule", "start", "report", "close", "cancel"}


def test_a_school_asks_and_the_authority_validates_reports_and_closes(api, school, db):
    asked = api.post(VSE_CYCLES, json={
        "establishment_id": str(school.establishment.id), "session": "2025-26",
        "trigger": "school_requested", "indicator_codes": ["1.3", "2.3"],
        "request_reason": "We would like our view of 1.3 and 2.3 validated."}, headers=school.head)
    assert asked.status_code == 201, asked.text
    cycle = asked.json()
    assert cycle["status"] == "proposed" and cycle["framework_code"] == "HGIOS4"
    # The headteacher asks (and may withdraw the request); the authority runs it.
    assert cycle["allowed_transitions"] == ["cancel"]
    url = f"{VSE_CYCLES}/{cycle['id']}"
    assert api.get(url, headers=school.head).json()["allowed_transitions"] == ["cancel"]

    officer_view = api.get(url, headers=school.link_officer).json()
    assert officer_view["allowed_transitions"] == ["schedule", "cancel"]
    planned = patch_vse(api, cycle["id"], {
        "team": [{"user_id": str(school.link_officer_id), "role": "officer"},
                 {"name": "Ann Peer", "role": "peer_headteacher"}],
        "planning_date": "2025-10-20", "visit_start": "2025-11-03", "visit_end": "2025-11-05",
    }, school.link_officer)
    assert planned.status_code == 200, planned.text
    assert planned.json()["team"][0]["name"].startswith("Officer")
    assert planned.json()["version"] == cycle["version"] + 1

    assert move_vse(api, cycle["id"], "schedule", school.link_officer).json()["status"] == \
        "scheduled"
    assert move_vse(api, cycle["id"], "start", school.authority_admin).json()["status"] == \
        "in_progress"
    graded = patch_vse(api, cycle["id"], {"evaluations": GRADES,
                                          "themes": ["Curriculum design", "Tracking"]},
                       school.link_officer)
    assert graded.status_code == 200, graded.text
    reported = move_vse(api, cycle["id"], "report", school.link_officer)
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "reported" and reported.json()["reported_at"]

    seen = api.get(url, headers=school.head)
    assert seen.status_code == 200 and seen.json()["evaluations"] == GRADES
    assert seen.json()["themes"] == ["curriculum design", "tracking"]
    assert seen.json()["allowed_transitions"] == []
    closed = move_vse(api, cycle["id"], "close", school.link_officer)
    assert closed.json()["status"] == "closed" and closed.json()["allowed_transitions"] == []
    assert api.get(url, headers=school.head).status_code == 200

    db.commit()
    actions = list(db.exec(select(AuditEvent.action).where(
        AuditEvent.resource_id == cycle["id"]).order_by(AuditEvent.id)))
    assert actions == ["vse_cycle.create", "vse_cycle.update", "vse_cycle.schedule",
                       "vse_cycle.start", "vse_cycle.update", "vse_cycle.report",
                       "vse_cycle.close"]
    events = list(db.exec(select(AuditEvent).where(AuditEvent.resource_id == cycle["id"])))
    assert {e.authority_id for e in events} == {school.establishment.authority_id}
    report = next(e for e in events if e.action == "vse_cycle.report")
    assert report.before["status"] == "in_progress" and report.after["status"] == "reported"
    assert report.before["evaluations"][0]["grade"] == 4
    grading = [e for e in events if e.action == "vse_cycle.update"][-1]
    assert grading.before["evaluations"] == [] and grading.actor_label.startswith("officer")


def test_every_illegal_transition_is_409_naming_current_status_and_allowed_moves(
        api, school, make):
    for status, legal in LEGAL.items():
        cycle = stored_vse(make, school, status)
        for action in ACTIONS - legal:
            answer = move_vse(api, cycle.id, action, school.link_officer)
            assert answer.status_code == 409, (status, action, answer.text)
            detail = answer.json()["detail"]
            assert f"is {status}" in detail
            for name in legal:
                assert name in detail
        assert api.get(f"{VSE_CYCLES}/{cycle.id}",
                       headers=school.link_officer).json()["status"] == status


def test_every_legal_transition_is_offered_and_taken(api, school, make, db):
    for status, legal in LEGAL.items():
        for action in legal:
            cycle = stored_vse(make, school, status)
            db.add(VseEvaluation(vse_id=cycle.id, indicator_code="1.3", grade=3))
            db.commit()
            offered = api.get(f"{VSE_CYCLES}/{cycle.id}", headers=school.link_officer).json()
            assert set(offered["allowed_transitions"]) == legal
            answer = move_vse(api, cycle.id, action, school.authority_admin)
            assert answer.status_code == 200, (status, action, answer.text)


def test_reporting_needs_a_grade_for_every_indicator(api, school):
    cycle = create_vse(api, school)
    move_vse(api, cycle["id"], "schedule", school.link_officer)
    move_vse(api, cycle["id"], "start", school.link_officer)
    bare = move_vse(api, cycle["id"], "report", school.link_officer)
    assert bare.status_code == 422
    assert "1.3" in bare.json()["detail"] and "2.3" in bare.json()["detail"]
    assert bare.json()["errors"][0]["loc"] == ["body", "evaluations"]

    patch_vse(api, cycle["id"], {"evaluations": GRADES[:1]}, school.link_officer)
    half = move_vse(api, cycle["id"], "report", school.link_officer)
    assert half.status_code == 422 and "2.3" in half.json()["detail"]
    assert "1.3" not in half.json()["detail"].split("missing:")[1]

    patch_vse(api, cycle["id"], {"evaluations": GRADES}, school.link_officer)
    assert move_vse(api, cycle["id"], "report", school.link_officer).status_code == 200
    # A reported VSE may be corrected, but not left without a grade.
    dropped = patch_vse(api, cycle["id"], {"evaluations": GRADES[:1]}, school.link_officer)
    assert dropped.status_code == 422 and "2.3" in dropped.json()["detail"]


def test_grades_off_the_scale_are_422(api, school):
    cycle = create_vse(api, school)
    for grade in (0, 7, 10):
        answer = patch_vse(api, cycle["id"], {"evaluations": [{**GRADES[0], "grade": grade}]},
                           school.link_officer)
        assert answer.status_code == 422, grade
        assert answer.json()["errors"][0]["loc"] == ["body", "evaluations", 0, "grade"]
        assert "HGIOS4" in answer.json()["detail"]
    created = api.post(VSE_CYCLES, json={
        "establishment_id": str(school.establishment.id), "session": "2025-26",
        "trigger": "authority_directed", "indicator_codes": ["1.3"],
        "evaluations": [{"indicator_code": "1.3", "grade": 9}]}, headers=school.link_officer)
    assert created.status_code == 422


def test_scheduling_needs_visit_dates(api, school):
    cycle = create_vse(api, school, visit_start=None, visit_end=None)
    answer = move_vse(api, cycle["id"], "schedule", school.link_officer)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "visit_start"]
    patch_vse(api, cycle["id"], {"visit_start": "2025-11-03", "visit_end": "2025-11-04"},
              school.link_officer)
    assert move_vse(api, cycle["id"], "schedule", school.link_officer).status_code == 200
    cleared = patch_vse(api, cycle["id"], {"visit_end": None}, school.link_officer)
    assert cleared.status_code == 422  # a scheduled VSE keeps its dates


def test_only_the_link_officer_or_an_authority_admin_runs_a_vse(api, school, make):
    cycle = create_vse(api, school)
    assert move_vse(api, cycle["id"], "schedule", school.other_officer).status_code == 403
    assert move_vse(api, cycle["id"], "schedule", school.head).status_code == 404
    assert move_vse(api, cycle["id"], "schedule", school.other_head).status_code == 404
    assert move_vse(api, cycle["id"], "schedule", school.lead).status_code == 404
    elsewhere = make.headers(make.user("officer", authority=make.authority("S12000049"),
                                       authority_admin=True))
    assert move_vse(api, cycle["id"], "schedule", elsewhere).status_code == 404
    assert patch_vse(api, cycle["id"], {"summary": "x"}, school.other_officer).status_code == 403
    assert move_vse(api, cycle["id"], "schedule", school.authority_admin).status_code == 200


def test_who_may_ask_for_and_who_may_direct_a_vse(api, school):
    base = {"establishment_id": str(school.establishment.id), "session": "2025-26",
            "indicator_codes": ["1.3"]}
    directed = {**base, "trigger": "authority_directed"}
    requested = {**base, "trigger": "school_requested"}

    def opens(body, headers):  # and cancels it: a school has one open VSE at a time
        answer = api.post(VSE_CYCLES, json=body, headers=headers)
        if answer.status_code == 201:
            move_vse(api, answer.json()["id"], "cancel", school.link_officer)
        return answer.status_code

    assert api.post(VSE_CYCLES, json=directed, headers=school.head).status_code == 403
    assert opens(requested, school.head) == 201
    assert api.post(VSE_CYCLES, json=requested, headers=school.other_head).status_code == 422
    assert api.post(VSE_CYCLES, json=directed, headers=school.other_officer).status_code == 403
    assert api.post(VSE_CYCLES, json=requested, headers=school.other_officer).status_code == 403
    assert opens(requested, school.link_officer) == 201
    assert opens(directed, school.authority_admin) == 201
    assert api.post(VSE_CYCLES, json=directed, headers=school.lead).status_code == 403
    # Validated grades are the team's, never the school's own.
    graded = {**requested, "evaluations": [{"indicator_code": "1.3", "grade": 6}]}
    assert api.post(VSE_CYCLES, json=graded, headers=school.head).status_code == 403


def test_headteachers_see_the_authoritys_vse_once_scheduled_and_findings_once_reported(
        api, school, make, db):
    """(An authority's proposal, and one cancelled before it was scheduled, stay with the
    authority; what the school asked for: tests/assurance/test_vse_school_requests.py.)"""
    states = {s: stored_vse(make, school, s) for s in LEGAL}
    for cycle in states.values():
        db.add(VseEvaluation(vse_id=cycle.id, indicator_code="1.3", grade=3))
    db.commit()
    told = ("scheduled", "in_progress", "reported", "closed")
    for status, cycle in states.items():
        answer = api.get(f"{VSE_CYCLES}/{cycle.id}", headers=school.head)
        assert answer.status_code == (200 if status in told else 404), status
        if status in told:
            findings = [{**GRADES[0], "grade": 3, "strengths": "", "next_steps": ""}]
            assert answer.json()["evaluations"] == (
                findings if status in ("reported", "closed") else []), status
            assert answer.json()["allowed_transitions"] == []
        assert api.get(f"{VSE_CYCLES}/{cycle.id}", headers=school.other_head).status_code == 404
        assert api.get(f"{VSE_CYCLES}/{cycle.id}", headers=school.lead).status_code == 404
        assert api.get(f"{VSE_CYCLES}/{cycle.id}",
                       headers=school.other_officer).status_code == 200
    listed = api.get(VSE_CYCLES, headers=school.head).json()["items"]
    assert {c["status"] for c in listed} == set(told)
    assert api.get(VSE_CYCLES, headers=school.other_head).json()["items"] == []
    assert api.get(VSE_CYCLES, headers=school.lead).json()["items"] == []
    reported = states["reported"]
    edit = api.patch(f"{VSE_CYCLES}/{reported.id}", json={"summary": "Mine now"},
                     headers={**school.head, "If-Match": '"1"'})
    assert edit.status_code == 403


def test_closed_and_cancelled_cycles_are_not_edited(api, school, make):
    for status in ("closed", "cancelled"):
        cycle = stored_vse(make, school, status)
        answer = patch_vse(api, cycle.id, {"summary": "Late"}, school.link_officer)
        assert answer.status_code == 409 and status in answer.json()["detail"]


def test_patch_needs_if_match_and_transitions_check_it_when_sent(api, school):
    cycle = create_vse(api, school)
    url = f"{VSE_CYCLES}/{cycle['id']}"
    assert api.patch(url, json={"summary": "x"}, headers=school.link_officer).status_code == 428
    stale = api.patch(url, json={"summary": "x"}, headers={**school.link_officer, "If-Match": '"9"'})
    assert stale.status_code == 412
    assert api.post(f"{url}/schedule", headers={**school.link_officer, "If-Match": '"9"'}
                    ).status_code == 412
    fresh = api.post(f"{url}/schedule", headers={**school.link_officer, "If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"2"'
    unchanged = patch_vse(api, cycle["id"], {"summary": fresh.json()["summary"]},
                          school.link_officer)
    assert unchanged.json()["version"] == 2
    assert api.get(url, headers={**school.link_officer, "If-None-Match": '"2"'}).status_code == 304


def test_concurrent_edits_with_the_same_etag_one_wins_one_412(api, school):
    cycle = create_vse(api, school)
    url = f"{VSE_CYCLES}/{cycle['id']}"
    etag = api.get(url, headers=school.link_officer).headers["ETag"]
    results: list[int] = []

    def edit(i: int) -> None:
        answer = api.patch(url, json={"summary": f"Summary {i}", "themes": [f"theme {i}"],
                                      "evaluations": [{**GRADES[0], "grade": 3 + i}]},
                           headers={**school.link_officer, "If-Match": etag})
        results.append(answer.status_code)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 412]
    final = api.get(url, headers=school.link_officer).json()
    assert final["version"] == 2
    i = int(final["summary"][-1])
    assert final["themes"] == [f"theme {i}"] and final["evaluations"][0]["grade"] == 3 + i


def test_team_users_are_rows_and_cascade_with_the_cycle(api, school, db):
    cycle = create_vse(api, school)
    db.commit()
    members = list(db.exec(select(VseTeamMember.user_id).where(
        VseTeamMember.vse_id == uuid.UUID(cycle["id"]))))
    assert members == [school.link_officer_id]
    patch_vse(api, cycle["id"], {"team": [{"user_id": str(school.other_officer_id),
                                           "role": "officer"}]}, school.link_officer)
    db.commit()
    members = list(db.exec(select(VseTeamMember.user_id).where(
        VseTeamMember.vse_id == uuid.UUID(cycle["id"]))))
    assert members == [school.other_officer_id]
    assert list(db.exec(select(VseTheme).where(VseTheme.vse_id == uuid.UUID(cycle["id"])))) == []
