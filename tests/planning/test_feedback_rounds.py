"""Officer feedback as dated entries, one round per submission: the feedback of a return is
current only while the document is returned; once it is resubmitted it is history, and the
old `feedback` field no longer shows it (issue #20, point 12)."""

from sqlmodel import select

from app.core.conditional import IfMatch
from app.identity.deps import principal_for_user
from app.planning import plans, reports
from app.planning.models import (
    ImprovementPlan,
    PlanPriority,
    QualityReport,
    ReportEvaluation,
    WorkflowTransition,
)
from tests.planning.conftest import PRIORITY

PLANS = "/api/v1/improvement-plans"
REPORTS = "/api/v1/quality-reports"
CORE = [{"indicator_code": code, "grade": 4, "evaluative_text": "Good"}
        for code in ("1.3", "2.3", "3.1", "3.2")]
ANY = IfMatch("*")


def _move(api, url, action, headers, feedback=None):
    answer = api.post(f"{url}/{action}", json={"feedback": feedback} if feedback else None,
                      headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _plan(api, school):
    plan = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                 "session": "2025-26"}, headers=school.head).json()
    assert api.post(f"{PLANS}/{plan['id']}/priorities", json=PRIORITY,
                    headers=school.head).status_code == 201
    return f"{PLANS}/{plan['id']}"


def _texts(document):
    return [(e["round"], e["to_status"], e["text"], e["current"])
            for e in document["feedback_entries"]]


def test_a_return_is_current_only_until_the_plan_is_resubmitted(api, school):
    url = _plan(api, school)
    _move(api, url, "submit", school.head)
    returned = _move(api, url, "return", school.link_officer, "Measure for priority 1?")
    assert returned["feedback"] == "Measure for priority 1?"
    [entry] = returned["feedback_entries"]
    assert entry["round"] == 1 and entry["to_status"] == "returned" and entry["current"] is True
    assert entry["actor_label"].startswith("officer") and entry["actor_role"] == "officer"
    assert entry["actor_id"] and entry["given_at"]

    resubmitted = _move(api, url, "submit", school.head)
    assert resubmitted["feedback"] is None  # not the stale return any more
    assert _texts(resubmitted) == [(1, "returned", "Measure for priority 1?", False)]
    assert _texts(api.get(url, headers=school.head).json()) == _texts(resubmitted)

    again = _move(api, url, "return", school.link_officer, "Now the PEF spend.")
    assert again["feedback"] == "Now the PEF spend."
    assert _texts(again) == [(1, "returned", "Measure for priority 1?", False),
                             (2, "returned", "Now the PEF spend.", True)]

    _move(api, url, "submit", school.head)
    agreed = _move(api, url, "agree", school.authority_admin, "Well evidenced.")
    assert agreed["feedback"] == "Well evidenced."
    assert _texts(agreed) == [(1, "returned", "Measure for priority 1?", False),
                              (2, "returned", "Now the PEF spend.", False),
                              (3, "agreed", "Well evidenced.", True)]
    given = [e["given_at"] for e in agreed["feedback_entries"]]
    assert given == sorted(given)  # newest last

    closed = _move(api, url, "close", school.link_officer)
    assert closed["feedback"] == "Well evidenced."  # the agreement stands for the round
    assert [e["current"] for e in closed["feedback_entries"]] == [False, False, True]


def test_agreeing_without_feedback_after_a_return_shows_no_old_feedback(api, school):
    url = _plan(api, school)
    _move(api, url, "submit", school.head)
    _move(api, url, "return", school.link_officer, "Add a baseline.")
    _move(api, url, "submit", school.head)
    agreed = _move(api, url, "agree", school.link_officer)
    assert agreed["feedback"] is None
    assert _texts(agreed) == [(1, "returned", "Add a baseline.", False)]


def test_a_note_sent_with_a_submission_is_history_not_officer_feedback(api, school):
    url = _plan(api, school)
    submitted = _move(api, url, "submit", school.head, "Ready for review.")
    assert submitted["feedback"] is None and submitted["feedback_entries"] == []
    history = api.get(f"{url}/history", headers=school.head).json()
    history = history["items"] if isinstance(history, dict) else history  # a page or a list
    assert history[0]["feedback"] == "Ready for review."


def test_the_list_of_plans_tells_old_feedback_from_new(api, school):
    url = _plan(api, school)
    _move(api, url, "submit", school.head)
    _move(api, url, "return", school.link_officer, "Sharpen the measures.")
    _move(api, url, "submit", school.head)
    [item] = api.get(PLANS, params={"establishment_id": str(school.establishment.id)},
                     headers=school.link_officer).json()["items"]
    assert item["feedback"] is None
    assert _texts(item) == [(1, "returned", "Sharpen the measures.", False)]


def test_a_report_keeps_its_feedback_rounds_the_same_way(api, db, school, planning):
    plan = planning.plan(school.establishment, status="agreed", priorities=1)
    priority = db.exec(select(PlanPriority).where(PlanPriority.plan_id == plan.id)).one()
    report = api.post(REPORTS, json={
        "establishment_id": str(school.establishment.id), "session": "2025-26",
        "evaluations": CORE, "priority_progress": [{"priority_id": str(priority.id), "rag": "green"}],
    }, headers=school.head).json()
    url = f"{REPORTS}/{report['id']}"
    _move(api, url, "submit", school.head)
    returned = _move(api, url, "return", school.link_officer, "Evaluate 2.3 with evidence.")
    assert returned["feedback"] == "Evaluate 2.3 with evidence."
    assert _texts(returned) == [(1, "returned", "Evaluate 2.3 with evidence.", True)]
    resubmitted = _move(api, url, "submit", school.head)
    assert resubmitted["feedback"] is None
    assert _texts(resubmitted) == [(1, "returned", "Evaluate 2.3 with evidence.", False)]
    agreed = _move(api, url, "agree", school.link_officer, "Accurate.")
    assert agreed["feedback"] == "Accurate."
    assert _texts(agreed) == [(1, "returned", "Evaluate 2.3 with evidence.", False),
                              (2, "agreed", "Accurate.", True)]
    listed = api.get(REPORTS, headers=school.head).json()["items"]
    assert _texts(listed[0]) == _texts(agreed)


# Service level --------------------------------------------------------------------------


def test_service_resubmission_clears_the_current_feedback(db, make, school, planning):
    head = principal_for_user(db, make.user("headteacher", establishments=[school.establishment]))
    officer = principal_for_user(db, make.user("officer", authority_admin=True))
    plan = planning.plan(school.establishment)
    plans.transition_plan(db, head, plan.id, "submit", None, ANY)
    returned = plans.transition_plan(db, officer, plan.id, "return", "Add a target.", ANY)
    assert returned.feedback == "Add a target."
    assert [(e.round, e.current) for e in returned.feedback_entries] == [(1, True)]
    resubmitted = plans.transition_plan(db, head, plan.id, "submit", None, ANY)
    db.commit()
    assert resubmitted.feedback is None
    assert [(e.round, e.to_status, e.text, e.current) for e in resubmitted.feedback_entries] == [
        (1, "returned", "Add a target.", False)]
    stored = db.get(ImprovementPlan, plan.id)
    db.refresh(stored)
    assert stored.feedback is None  # the stored value (audit snapshots) follows the same rule


def test_service_report_rounds(db, make, school, planning):
    head = principal_for_user(db, make.user("headteacher", establishments=[school.establishment]))
    officer = principal_for_user(db, make.user("officer", authority_admin=True))
    report = planning.report(school.establishment, status="submitted")
    returned = reports.transition_report(db, officer, report.id, "return", "Grade 3.2.", ANY)
    assert returned.feedback == "Grade 3.2."
    # Put in as submitted, with no submission recorded: its review still opens round 1.
    assert [(e.round, e.current) for e in returned.feedback_entries] == [(1, True)]
    db.commit()
    for code in ("1.3", "2.3", "3.1", "3.2"):
        db.add(ReportEvaluation(report_id=report.id, indicator_code=code, grade=4))
    db.commit()
    resubmitted = reports.transition_report(db, head, report.id, "submit", None, ANY)
    assert resubmitted.feedback is None
    assert [(e.text, e.current) for e in resubmitted.feedback_entries] == [("Grade 3.2.", False)]
    db.commit()
    assert db.get(QualityReport, report.id).feedback is None
    agreed = reports.transition_report(db, officer, report.id, "agree", "Accurate.", ANY)
    assert [(e.round, e.text, e.current) for e in agreed.feedback_entries] == [
        (1, "Grade 3.2.", False), (2, "Accurate.", True)]


def test_stale_feedback_stored_before_the_change_is_not_shown(db, make, school, planning):
    """Plans returned and resubmitted before feedback rounds still hold the return's text in
    their row: the read goes by the transitions, so it is not shown as current."""
    from datetime import timedelta

    from app.core.types import utcnow

    officer = make.user("officer")
    plan = planning.plan(school.establishment, status="submitted")
    plan.feedback = "Old return feedback"
    db.add(plan)
    start = utcnow() - timedelta(days=3)
    for days, (source, target, text) in enumerate((("draft", "submitted", None),
                                                   ("submitted", "returned", "Old return feedback"),
                                                   ("returned", "submitted", None))):
        db.add(WorkflowTransition(document_type="improvement_plan", document_id=plan.id,
                                  from_status=source, to_status=target, actor_id=officer.id,
                                  actor_label=officer.email, feedback=text,
                                  occurred_at=start + timedelta(days=days)))
    db.commit()
    reader = principal_for_user(db, officer)
    read = plans.read(db, reader, db.exec(select(ImprovementPlan).where(
        ImprovementPlan.id == plan.id)).one())
    assert read.feedback is None
    assert [(e.round, e.text, e.current) for e in read.feedback_entries] == [
        (1, "Old return feedback", False)]
