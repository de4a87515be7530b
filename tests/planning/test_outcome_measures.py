"""Measures through the year (issue #17, point 5): once a plan is agreed its outcomes take
dated measures, the latest-dated of which is the outcome's actual, and the plan stays agreed."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.errors import Conflict, RuleViolation
from app.identity.deps import principal_for_user
from app.planning import measures
from app.planning.followup_schemas import MeasureCreate
from app.planning.models import ImprovementPlan, OutcomeMeasure, PlanPriority

PLANS = "/api/v1/improvement-plans"
PERCENT = {"description": "P4 on track in numeracy", "measure": "% of P4 at first level",
           "unit": "percent", "baseline": "64", "target": "75", "actual": None}
WORDS = {"description": "Pupils talk about their learning", "measure": "Focus groups",
         "unit": "text", "baseline": "Few can say", "target": "Most can say", "actual": None}


def _agreed(planning, school, db, status="agreed", session="2025-26"):
    plan = planning.plan(school.establishment, status=status, session=session,
                         outcomes=[PERCENT, WORDS])
    priority = db.exec(select(PlanPriority).where(PlanPriority.plan_id == plan.id)).one()
    return plan, priority, f"{PLANS}/{plan.id}/priorities/{priority.id}"


def _measure(api, url, headers, index=0, **body):
    return api.post(f"{url}/outcomes/{index}/measures",
                    json={"measured_on": "2025-11-14", "value": 68, **body}, headers=headers)


def test_a_measure_on_an_agreed_plan_sets_the_actual_and_leaves_the_plan_agreed(
        api, db, school, planning):
    plan, _priority, url = _agreed(planning, school, db)
    plan_etag = api.get(f"{PLANS}/{plan.id}", headers=school.head).headers["etag"]
    answer = _measure(api, url, school.head, commentary="November tracking")
    assert answer.status_code == 201, answer.text
    measure = answer.json()
    assert (measure["value"], measure["value_number"], measure["unit"], measure["outcome_index"],
            measure["measured_on"]) == ("68", 68.0, "percent", 0, "2025-11-14")
    [outcome, words] = api.get(url, headers=school.link_officer).json()["outcomes"]
    assert (outcome["actual"], outcome["actual_value"]) == ("68", 68.0)
    assert words["actual"] is None
    read = api.get(f"{PLANS}/{plan.id}", headers=school.head)
    assert read.json()["status"] == "agreed"
    assert read.headers["etag"] == plan_etag  # the plan itself did not change
    audited = set(db.exec(select(AuditEvent.action)).all())
    assert {"outcome_measure.create", "plan_priority.measure"} <= audited


def test_the_latest_dated_measure_is_the_actual_whatever_order_they_come_in(
        api, db, school, planning):
    _plan, _priority, url = _agreed(planning, school, db)
    assert _measure(api, url, school.head, measured_on="2026-01-16", value="71.5").status_code == 201
    # Sent later, measured earlier (a back-dated figure): the actual stays January's.
    assert _measure(api, url, school.link_officer, measured_on="2025-10-03",
                    value=66).status_code == 201
    assert api.get(url, headers=school.head).json()["outcomes"][0]["actual"] == "71.5"
    listed = api.get(f"{url}/outcomes/0/measures?limit=1", headers=school.head).json()
    assert [m["measured_on"] for m in listed["items"]] == ["2025-10-03"]
    rest = api.get(f"{url}/outcomes/0/measures?cursor={listed['next_cursor']}",
                   headers=school.head).json()
    assert [m["value"] for m in rest["items"]] == ["71.5"] and rest["next_cursor"] is None


def test_a_text_outcome_takes_words(api, db, school, planning):
    _plan, _priority, url = _agreed(planning, school, db)
    answer = _measure(api, url, school.head, index=1, value="About half can say")
    assert answer.status_code == 201, answer.text
    assert answer.json()["value_number"] is None
    assert api.get(url, headers=school.head).json()["outcomes"][1]["actual"] == "About half can say"


@pytest.mark.parametrize(("body", "loc", "words"), [
    ({"value": "about two thirds"}, "value", "a percent outcome's value is a number"),
    ({"value": 104}, "value", "a number from 0 to 100"),
    ({"value": True}, "value", "not true or false"),
    ({"measured_on": "2025-07-31"}, "measured_on", "before session 2025-26"),
    # Days ahead, not one: the list is made before the test runs (perhaps across midnight).
    ({"measured_on": (date.today() + timedelta(days=3)).isoformat()}, "measured_on",
     "in the future"),
])
def test_a_bad_measure_is_a_422_that_changes_nothing(api, db, school, planning, body, loc, words):
    _plan, _priority, url = _agreed(planning, school, db)
    answer = _measure(api, url, school.head, **body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    [error] = answer.json()["errors"]
    assert error["loc"][-1] == loc and words in error["msg"]
    assert db.exec(select(OutcomeMeasure)).all() == []
    assert api.get(url, headers=school.head).json()["outcomes"][0]["actual"] is None


@pytest.mark.parametrize("status", ["draft", "returned", "submitted", "closed"])
def test_only_an_agreed_plan_takes_measures(api, db, school, planning, status):
    _plan, _priority, url = _agreed(planning, school, db, status=status)
    answer = _measure(api, url, school.head)
    assert answer.status_code == 409, answer.text
    assert status in answer.json()["detail"]
    assert db.exec(select(OutcomeMeasure)).all() == []


def test_who_records_and_reads_measures(api, db, school, planning):
    _plan, _priority, url = _agreed(planning, school, db)
    assert _measure(api, url, school.other_head).status_code == 404  # another school's plan
    assert _measure(api, url, school.lead).status_code == 404
    assert _measure(api, url, school.other_officer).status_code == 403  # not the link officer
    assert _measure(api, url, school.authority_admin).status_code == 201
    assert api.get(f"{url}/outcomes/0/measures", headers=school.other_officer).status_code == 200
    assert api.get(f"{url}/outcomes/0/measures", headers=school.other_head).status_code == 404
    assert api.get(f"{url}/outcomes/0/measures", headers=school.lead).status_code == 404


def test_an_outcome_the_priority_does_not_have_is_a_404(api, db, school, planning):
    _plan, _priority, url = _agreed(planning, school, db)
    assert _measure(api, url, school.head, index=2).status_code == 404
    assert api.get(f"{url}/outcomes/5/measures", headers=school.head).status_code == 404


# Service level --------------------------------------------------------------------------


def test_service_a_measure_moves_the_priority_not_the_plan(db, make, school, planning):
    head = principal_for_user(db, make.user("headteacher", establishments=[school.establishment]))
    plan, priority, _url = _agreed(planning, school, db)
    plan_version, priority_version = plan.version, priority.version
    read = measures.record_measure(db, head, plan.id, priority.id, 0, MeasureCreate(
        measured_on=date(2026, 2, 2), value="70"))
    db.commit()
    assert read.value_number == 70.0
    stored_plan, stored_priority = db.get(ImprovementPlan, plan.id), db.get(PlanPriority, priority.id)
    db.refresh(stored_plan)
    db.refresh(stored_priority)
    assert (stored_plan.status, stored_plan.version) == ("agreed", plan_version)
    assert stored_priority.version > priority_version
    assert stored_priority.outcomes[0]["actual"] == "70"


def test_service_refusals_change_nothing(db, make, school, planning):
    head = principal_for_user(db, make.user("headteacher", establishments=[school.establishment]))
    plan, priority, _url = _agreed(planning, school, db, status="draft")
    with pytest.raises(Conflict):
        measures.record_measure(db, head, plan.id, priority.id, 0,
                                MeasureCreate(measured_on=date(2026, 2, 2), value="70"))
    agreed, agreed_priority, _url = _agreed(planning, school, db, session="2024-25")
    with pytest.raises(RuleViolation):
        measures.record_measure(db, head, agreed.id, agreed_priority.id, 0,
                                MeasureCreate(measured_on=date(2026, 2, 2), value="seventy"))
    db.rollback()
    assert db.exec(select(OutcomeMeasure)).all() == []


def test_the_authoritys_officers_follow_measures_in_the_change_feed(api, db, school, planning):
    _plan, priority, url = _agreed(planning, school, db)
    measure = _measure(api, url, school.head).json()
    feed = api.get("/api/v1/changes", params={"kinds": "outcome_measure,plan_priority"},
                   headers=school.other_officer)
    assert feed.status_code == 200, feed.text
    told = {(c["kind"], c["id"]): c["data"] for c in feed.json()["items"]}
    assert told["outcome_measure", measure["id"]]["value"] == "68"
    assert told["plan_priority", str(priority.id)]["outcomes"][0]["actual"] == "68"
