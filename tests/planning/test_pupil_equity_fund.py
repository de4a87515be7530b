"""The Pupil Equity Fund (issue #17, point 5): allocated per plan (its priorities'
allocations), spent and its impact told in the standards and quality report, and the totals in
the authority's and the region's summaries."""

from decimal import Decimal

from sqlmodel import select

from app.planning.models import PlanPriority
from tests.planning.conftest import PRIORITY

PLANS = "/api/v1/improvement-plans"
REPORTS = "/api/v1/quality-reports"


def test_a_plan_tells_its_pef_allocation_total(api, school):
    plan = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                 "session": "2025-26"}, headers=school.head).json()
    assert plan["pef_allocation_total"] == "0.00"
    url = f"{PLANS}/{plan['id']}"
    first = api.post(f"{url}/priorities", json=PRIORITY, headers=school.head).json()
    api.post(f"{url}/priorities", json={**PRIORITY, "pef_allocation": "3000"}, headers=school.head)
    read = api.get(url, headers=school.head)
    assert read.json()["pef_allocation_total"] == "15500.50"
    # A priority's allocation changed: the plan's total, and so its ETag, change with it.
    changed = api.patch(f"{url}/priorities/{first['id']}", json={"pef_allocation": "1000"},
                        headers={**school.head, "If-Match": "*"})
    assert changed.status_code == 200, changed.text
    again = api.get(url, headers=school.head)
    assert again.json()["pef_allocation_total"] == "4000.00"
    assert again.headers["etag"] != read.headers["etag"]


def test_a_report_takes_the_pef_spend_and_its_impact(api, school):
    created = api.post(REPORTS, json={"establishment_id": str(school.establishment.id),
                                      "session": "2025-26", "pef_spend": "11840.5",
                                      "pef_impact": "P4 numeracy up from 64% to 73%."},
                       headers=school.head)
    assert created.status_code == 201, created.text
    assert (created.json()["pef_spend"], created.json()["pef_impact"]) == (
        "11840.50", "P4 numeracy up from 64% to 73%.")
    url = f"{REPORTS}/{created.json()['id']}"
    refused = api.patch(url, json={"pef_spend": "-5"}, headers={**school.head, "If-Match": "*"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "pef_spend"]
    assert api.get(url, headers=school.head).json()["pef_spend"] == "11840.50"
    cleared = api.patch(url, json={"pef_spend": None}, headers={**school.head, "If-Match": "*"})
    assert (cleared.json()["pef_spend"], cleared.json()["pef_impact"]) == (
        None, "P4 numeracy up from 64% to 73%.")
    refused = api.patch(url, json={"pef_impact": "Later"}, headers={**school.other_head,
                                                                     "If-Match": "*"})
    assert refused.status_code == 404


def _summary_pef(api, make, path):
    answer = api.get(f"/api/v1/summaries/{path}?session=2025-26",
                     headers=make.headers(make.admin()))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_summaries_add_up_the_pef_of_plans_sent_and_reports_given(api, db, make, school,
                                                                  planning):
    authority = school.establishment.authority_id
    agreed = planning.plan(school.establishment, status="agreed", priorities=2)
    for priority in db.exec(select(PlanPriority).where(PlanPriority.plan_id == agreed.id)):
        priority.pef_allocation = Decimal("5000.25")
        db.add(priority)
    draft = planning.plan(make.establishment(), priorities=1)  # not sent: not counted
    db.exec(select(PlanPriority).where(PlanPriority.plan_id == draft.id)).one().pef_allocation = (
        Decimal("999"))
    report = planning.report(school.establishment, status="submitted")
    report.pef_spend = Decimal("7500.10")
    db.add(report)
    planning.report(make.establishment(), status="agreed")  # no spend given
    db.commit()
    pef = _summary_pef(api, make, f"authorities/{authority}")["pef"]
    assert pef == {"allocated": "10000.50", "spent": "7500.10", "plans": 1, "reports": 1}
    region = _summary_pef(api, make, f"regions/{make.region().id}")
    assert region["totals"]["pef"] == pef
    [mine] = [a for a in region["authorities"] if a["authority_id"] == str(authority)]
    assert mine["pef"] == pef
    csv = api.get(f"/api/v1/summaries/authorities/{authority}?session=2025-26",
                  headers={**make.headers(make.admin()), "Accept": "text/csv"})
    assert "pef.allocated" in csv.text and "10000.50" in csv.text
