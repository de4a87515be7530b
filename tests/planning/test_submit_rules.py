"""What a plan must hold to be submitted: 1 to 10 priorities, each with at least one measurable
outcome (a measure and a target) (issue #20, point 12)."""

import uuid

import pytest
from sqlmodel import select

from app.core.conditional import IfMatch
from app.core.errors import RuleViolation
from app.identity.deps import principal_for_user
from app.planning import plans
from app.planning.models import ImprovementPlan, WorkflowTransition
from tests.factories import MEASURABLE_OUTCOME
from tests.planning.conftest import PRIORITY

PLANS = "/api/v1/improvement-plans"


def _plan_with(api, school, *priorities):
    plan = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                 "session": "2025-26"}, headers=school.head).json()
    ids = []
    for priority in priorities:
        made = api.post(f"{PLANS}/{plan['id']}/priorities", json=priority, headers=school.head)
        assert made.status_code == 201, made.text  # a draft may be incomplete
        ids.append(made.json()["id"])
    return plan["id"], ids


def _submit(api, plan_id, school):
    return api.post(f"{PLANS}/{plan_id}/submit", headers=school.head)


def test_a_priority_without_an_outcome_stops_the_submission_and_is_named(api, school, db):
    without = {**PRIORITY, "title": "Wellbeing and inclusion", "outcomes": []}
    plan_id, ids = _plan_with(api, school, PRIORITY, without)
    answer = _submit(api, plan_id, school)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert "measurable outcome" in problem["detail"]
    assert 'priority 2 "Wellbeing and inclusion"' in problem["detail"]
    assert "Raise attainment" not in problem["detail"]
    assert problem["errors"] == [{
        "loc": ["body", "priorities", 1, "outcomes"], "type": "rule.measurable_outcome",
        "msg": 'Priority 2 "Wellbeing and inclusion" has no measurable outcome: give it at '
               "least one outcome with a measure and a target."}]
    assert problem["priorities_without_measurable_outcome"] == [
        {"id": ids[1], "number": 2, "title": "Wellbeing and inclusion"}]
    assert api.get(f"{PLANS}/{plan_id}", headers=school.head).json()["status"] == "draft"
    assert db.exec(select(WorkflowTransition).where(
        WorkflowTransition.document_id == uuid.UUID(plan_id))).all() == []


def test_every_priority_without_one_is_named(api, school):
    plan_id, ids = _plan_with(api, school, {**PRIORITY, "title": "First", "outcomes": []},
                              {**PRIORITY, "title": "Second", "outcomes": []})
    problem = _submit(api, plan_id, school).json()
    assert 'priority 1 "First"; priority 2 "Second"' in problem["detail"]
    assert [e["loc"] for e in problem["errors"]] == [["body", "priorities", 0, "outcomes"],
                                                     ["body", "priorities", 1, "outcomes"]]
    assert [p["id"] for p in problem["priorities_without_measurable_outcome"]] == ids


@pytest.mark.parametrize(("outcome", "submits"), [
    ({"description": "Better numeracy"}, False),  # nothing to measure
    ({"description": "Better numeracy", "measure": "% on track"}, False),  # no target
    ({"description": "Better numeracy", "target": "75"}, False),  # no measure
    ({"description": "Better numeracy", "measure": "  ", "target": "75"}, False),
    ({"description": "Better numeracy", "measure": "% on track", "target": "75"}, True),
    ({"description": "Better numeracy", "measure": "% on track", "baseline": "TBC",
      "target": "75"}, True),
])
def test_an_outcome_is_measurable_with_a_measure_and_a_target(api, school, outcome, submits):
    plan_id, _ids = _plan_with(api, school, {**PRIORITY, "outcomes": [outcome]})
    assert _submit(api, plan_id, school).status_code == (200 if submits else 422)


def test_adding_an_outcome_lets_the_plan_go(api, school):
    plan_id, [priority_id] = _plan_with(api, school, {**PRIORITY, "outcomes": []})
    assert _submit(api, plan_id, school).status_code == 422
    url = f"{PLANS}/{plan_id}/priorities/{priority_id}"
    etag = api.get(url, headers=school.head).headers["ETag"]
    assert api.patch(url, json={"outcomes": PRIORITY["outcomes"]},
                     headers={**school.head, "If-Match": etag}).status_code == 200
    answer = _submit(api, plan_id, school)
    assert answer.status_code == 200 and answer.json()["status"] == "submitted"


def test_a_returned_plan_whose_outcomes_were_removed_is_not_resubmitted(api, school):
    plan_id, [priority_id] = _plan_with(api, school, PRIORITY)
    assert _submit(api, plan_id, school).status_code == 200
    assert api.post(f"{PLANS}/{plan_id}/return", json={"feedback": "Rethink the outcome."},
                    headers=school.link_officer).status_code == 200
    url = f"{PLANS}/{plan_id}/priorities/{priority_id}"
    etag = api.get(url, headers=school.head).headers["ETag"]
    api.patch(url, json={"outcomes": []}, headers={**school.head, "If-Match": etag})
    assert _submit(api, plan_id, school).status_code == 422
    assert api.get(f"{PLANS}/{plan_id}", headers=school.head).json()["status"] == "returned"


def test_a_plan_without_priorities_is_still_refused_first(api, school):
    plan_id, _ids = _plan_with(api, school)
    problem = _submit(api, plan_id, school).json()
    assert problem["status"] == 422 and "1 to 10 priorities" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "priorities"]


# Service level --------------------------------------------------------------------------


def test_service_refuses_a_plan_with_an_outcome_less_priority(db, make, school, planning):
    head = principal_for_user(db, make.user("headteacher", establishments=[school.establishment]))
    plan = planning.plan(school.establishment, priorities=2, outcomes=[])
    with pytest.raises(RuleViolation) as refused:
        plans.transition_plan(db, head, plan.id, "submit", None, IfMatch("*"))
    db.rollback()
    assert refused.value.status == 422
    assert [p["number"] for p in refused.value.extensions[
        "priorities_without_measurable_outcome"]] == [1, 2]
    assert db.get(ImprovementPlan, plan.id).status == "draft"

    ready = planning.plan(school.establishment, session="2026-27", priorities=2)
    assert plans.transition_plan(db, head, ready.id, "submit", None, IfMatch("*")).status == "submitted"


def test_measurable_is_a_measure_and_a_target():
    assert plans.measurable(MEASURABLE_OUTCOME)
    assert plans.measurable({**MEASURABLE_OUTCOME, "baseline": None, "actual": None})
    assert not plans.measurable({**MEASURABLE_OUTCOME, "target": None})
    assert not plans.measurable({**MEASURABLE_OUTCOME, "measure": ""})
    assert not plans.measurable({"description": "Better numeracy"})
