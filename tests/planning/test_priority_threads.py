"""A feedback thread per priority (issue #17, point 5): the link officer's short messages and
the headteacher's replies, oldest first, beside the once-per-round feedback of the workflow."""

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.errors import Conflict, Forbidden
from app.identity.deps import principal_for_user
from app.identity.models import User
from app.planning import threads
from app.planning.followup_schemas import FeedbackPost
from app.planning.models import PlanPriority, PriorityFeedback

PLANS = "/api/v1/improvement-plans"


def _thread_url(planning, school, db, status="agreed", session="2025-26"):
    plan = planning.plan(school.establishment, status=status, session=session)
    priority = db.exec(select(PlanPriority).where(PlanPriority.plan_id == plan.id)).one()
    return plan, priority, f"{PLANS}/{plan.id}/priorities/{priority.id}/feedback"


def _post(api, url, headers, text):
    return api.post(url, json={"text": text}, headers=headers)


def test_officer_feedback_and_the_heads_reply_read_oldest_first(api, db, school, planning):
    plan, _priority, url = _thread_url(planning, school, db)
    first = _post(api, url, school.link_officer, "  Which classes are still below 70%?  ")
    assert first.status_code == 201, first.text
    assert (first.json()["kind"], first.json()["author_role"], first.json()["text"]) == (
        "feedback", "officer", "Which classes are still below 70%?")
    assert _post(api, url, school.head, "P3 and P4b; support is in place.").status_code == 201
    assert _post(api, url, school.authority_admin, "Thanks: revisit in March.").status_code == 201
    page = api.get(f"{url}?limit=2", headers=school.head).json()
    rest = api.get(f"{url}?cursor={page['next_cursor']}", headers=school.head).json()
    messages = page["items"] + rest["items"]
    assert [(m["kind"], m["author_role"]) for m in messages] == [
        ("feedback", "officer"), ("reply", "headteacher"), ("feedback", "officer")]
    assert all(m["author_label"] and m["posted_at"] for m in messages)
    # The plan's once-per-round feedback is not touched.
    read = api.get(f"{PLANS}/{plan.id}", headers=school.head).json()
    assert (read["status"], read["feedback"], read["feedback_entries"]) == ("agreed", None, [])
    assert "priority_feedback.create" in set(db.exec(select(AuditEvent.action)).all())


def test_a_head_replies_only_once_there_is_feedback(api, db, school, planning):
    _plan, _priority, url = _thread_url(planning, school, db, status="draft")
    answer = _post(api, url, school.head, "Is our measure right?")
    assert answer.status_code == 409, answer.text
    assert db.exec(select(PriorityFeedback)).all() == []


def test_who_may_write_and_read_a_thread(api, db, school, planning):
    _plan, _priority, url = _thread_url(planning, school, db)
    assert _post(api, url, school.other_officer, "Not my school").status_code == 403
    assert _post(api, url, school.other_head, "Nor mine").status_code == 404
    assert _post(api, url, school.lead, "Regional view").status_code == 404
    assert _post(api, url, school.link_officer, "Good start").status_code == 201
    assert api.get(url, headers=school.other_officer).status_code == 200  # the authority reads
    assert api.get(url, headers=school.lead).status_code == 404  # aggregates only
    assert api.get(url, headers=school.other_head).status_code == 404


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "bell\u0007"])
def test_a_message_is_short_text(api, db, school, planning, text):
    _plan, _priority, url = _thread_url(planning, school, db)
    answer = _post(api, url, school.link_officer, text)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "text"]
    assert db.exec(select(PriorityFeedback)).all() == []


def test_a_closed_plans_threads_are_closed(api, db, school, planning):
    _plan, _priority, url = _thread_url(planning, school, db, status="closed")
    assert _post(api, url, school.link_officer, "Too late").status_code == 409
    assert api.get(url, headers=school.head).json()["items"] == []


# Service level --------------------------------------------------------------------------


def test_service_thread_roles(db, make, school, planning):
    head = principal_for_user(db, make.user("headteacher", establishments=[school.establishment]))
    link = principal_for_user(db, db.get(User, school.establishment.link_officer_id))
    plain = principal_for_user(db, make.user("officer"))
    plan, priority, _url = _thread_url(planning, school, db, status="submitted")
    with pytest.raises(Conflict):
        threads.post(db, head, plan.id, priority.id, FeedbackPost(text="First word?"))
    with pytest.raises(Forbidden):
        threads.post(db, plain, plan.id, priority.id, FeedbackPost(text="Drive-by"))
    given = threads.post(db, link, plan.id, priority.id, FeedbackPost(text="Sharpen the target"))
    reply = threads.post(db, head, plan.id, priority.id, FeedbackPost(text="Done"))
    db.commit()
    assert (given.kind, reply.kind) == ("feedback", "reply")
    assert reply.author_id == head.id
