"""Accuracy compares the school's view before the VSE with the validated grade (issue #17,
point 4): where the school gave its own grade when the VSE was scheduled, that grade, not the
one in a quality report that may be written after the visit; the report's otherwise."""

from typing import Any

from sqlmodel import Session

from app.planning.models import ReportEvaluation
from tests.factories import Factory, PlanningFactory

SESSION = "2025-26"
VSE_CYCLES = "/api/v1/vse-cycles"


def _report(make: Factory, db: Session, school: Any, grade: int) -> None:
    report = PlanningFactory(make).report(school, session=SESSION, status="agreed")
    db.add(ReportEvaluation(report_id=report.id, position=0, indicator_code="1.3", grade=grade))
    db.commit()


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _validated(api: Any, school: Any, grade: int, headers: dict[str, str],
               before_visit: int | None = None) -> None:
    """A VSE of QI 1.3 to its report; the school's own grade given while it is scheduled."""
    cycle = _ok(api.post(VSE_CYCLES, json={
        "establishment_id": str(school.id), "session": SESSION, "trigger": "authority_directed",
        "indicator_codes": ["1.3"], "visit_start": "2025-11-03", "visit_end": "2025-11-05",
    }, headers=headers))
    url = f"{VSE_CYCLES}/{cycle['id']}"
    _ok(api.post(f"{url}/schedule", headers=headers))
    if before_visit is not None:
        etag = api.get(url, headers=headers).headers["ETag"]
        _ok(api.put(f"{url}/school-grades", json={"grades": [
            {"indicator_code": "1.3", "grade": before_visit}]}, headers={**headers, "If-Match": etag}))
    _ok(api.post(f"{url}/start", headers=headers))
    etag = api.get(url, headers=headers).headers["ETag"]
    _ok(api.patch(url, json={"evaluations": [{"indicator_code": "1.3", "grade": grade}]},
                  headers={**headers, "If-Match": etag}))
    _ok(api.post(f"{url}/report", headers=headers))


def test_school_grades_given_before_the_visit_are_what_accuracy_compares(api, make: Factory,
                                                                        db: Session) -> None:
    authority = make.authority()
    admin = make.headers(make.user("officer", authority=authority, authority_admin=True))
    before, reported_only, no_report = (make.establishment(authority) for _ in range(3))
    _report(make, db, before, 5)  # written after the visit, more generous than before it
    _validated(api, before, 4, admin, before_visit=3)
    _report(make, db, reported_only, 4)
    _validated(api, reported_only, 4, admin)
    _validated(api, no_report, 4, admin, before_visit=5)  # no report: its view before counts

    body = _ok(api.get(f"/api/v1/summaries/authorities/{authority.id}?session={SESSION}",
                       headers=admin))
    (qi,) = [i for i in body["indicators"] if i["indicator_code"] == "1.3"]
    # 3 - 4 = -1 (not 5 - 4), 4 - 4 = 0, 5 - 4 = +1.
    assert qi["accuracy"] == {"schools": 3, "mean_difference": 0.0,
                              "mean_absolute_difference": 0.67, "higher": 1, "same": 1,
                              "lower": 1}
    assert body["accuracy_basis"] == {"school_grades_before_visit": 2, "quality_report": 1}
    # The self-evaluated share is still the reports'.
    assert qi["self_evaluated"]["evaluations"] == 2

    region = _ok(api.get(f"/api/v1/summaries/regions/{authority.region_id}?session={SESSION}",
                         headers=make.headers(make.user("regional_lead", region=make.region()))))
    (mine,) = [a for a in region["authorities"] if a["authority_id"] == str(authority.id)]
    for figures in (region["totals"], mine):
        assert figures["accuracy_basis"] == body["accuracy_basis"]
        (same,) = [i for i in figures["indicators"] if i["indicator_code"] == "1.3"]
        assert same["accuracy"] == qi["accuracy"]
