"""Validated grades and the accuracy of self-evaluation count schools, not VSE cycles (issue
#21, point 2): each school once per quality indicator, with its latest validated grade (the
VSE reported last), compared with the grade in its own report."""

from typing import Any

from sqlmodel import Session

from app.planning.models import ReportEvaluation
from tests.factories import Factory, PlanningFactory

SESSION = "2025-26"
VSE_CYCLES = "/api/v1/vse-cycles"


def _report(make: Factory, db: Session, school: Any, grade: int) -> None:
    """The school's standards and quality report, agreed, with its own grade for QI 1.3."""
    report = PlanningFactory(make).report(school, session=SESSION, status="agreed")
    db.add(ReportEvaluation(report_id=report.id, position=0, indicator_code="1.3", grade=grade,
                            evaluative_text="Our view of leadership of change."))
    db.commit()


def _move(api: Any, vse_id: str, action: str, headers: dict[str, str]) -> None:
    answer = api.post(f"{VSE_CYCLES}/{vse_id}/{action}", headers=headers)
    assert answer.status_code == 200, answer.text


def _validated(api: Any, school: Any, grade: int, headers: dict[str, str]) -> str:
    """A VSE of QI 1.3 taken through to its report, through the API."""
    created = api.post(VSE_CYCLES, json={
        "establishment_id": str(school.id), "session": SESSION, "trigger": "authority_directed",
        "indicator_codes": ["1.3"], "visit_start": "2025-11-03", "visit_end": "2025-11-05",
    }, headers=headers)
    assert created.status_code == 201, created.text
    vse_id: str = created.json()["id"]
    _move(api, vse_id, "schedule", headers)
    _move(api, vse_id, "start", headers)
    url = f"{VSE_CYCLES}/{vse_id}"
    graded = api.patch(url, json={"evaluations": [{"indicator_code": "1.3", "grade": grade}]},
                       headers={**headers, "If-Match": api.get(url, headers=headers).headers["ETag"]})
    assert graded.status_code == 200, graded.text
    _move(api, vse_id, "report", headers)
    return vse_id


def _qi(figures: dict[str, Any], code: str = "1.3") -> dict[str, Any]:
    (found,) = [i for i in figures["indicators"]
                if (i["framework_code"], i["indicator_code"]) == ("HGIOS4", code)]
    return found


def test_a_school_with_two_vses_counts_once_with_its_latest_grade(api, make: Factory,
                                                                  db: Session) -> None:
    authority = make.authority()
    admin = make.headers(make.user("officer", authority=authority, authority_admin=True))
    twice, once = make.establishment(authority), make.establishment(authority)
    _report(make, db, twice, 5)
    _report(make, db, once, 4)
    # `twice`: 3 in its first VSE (reported, later closed), 2 in its second (reported after).
    first = _validated(api, twice, 3, admin)
    _validated(api, twice, 2, admin)
    _move(api, first, "close", admin)  # closed last, but reported first: not the latest
    _validated(api, once, 4, admin)

    summary = api.get(f"/api/v1/summaries/authorities/{authority.id}?session={SESSION}",
                      headers=admin)
    assert summary.status_code == 200, summary.text
    qi = _qi(summary.json())
    # Two schools: `twice` validated 2 (weak), `once` 4 (good).
    assert qi["validated"] == {"evaluations": 2, "good_or_better": 1, "percent_good_or_better": 50.0}
    # 5 - 2 = +3 and 4 - 4 = 0 (not 5 - (3 + 2) / 2 = 2.5).
    assert qi["accuracy"] == {"schools": 2, "mean_difference": 1.5,
                              "mean_absolute_difference": 1.5, "higher": 1, "same": 1, "lower": 0}
    assert qi["self_evaluated"]["evaluations"] == 2
    assert summary.json()["vse"]["by_status"]["closed"] == 1
    assert summary.json()["vse"]["by_status"]["reported"] == 2

    # The region's summary: the same per authority and in its totals (one statement each).
    lead = make.headers(make.user("regional_lead", region=make.region()))
    region = api.get(f"/api/v1/summaries/regions/{authority.region_id}?session={SESSION}",
                     headers=lead)
    assert region.status_code == 200, region.text
    (mine,) = [a for a in region.json()["authorities"] if a["authority_id"] == str(authority.id)]
    for figures in (region.json()["totals"], mine):
        assert _qi(figures)["validated"] == qi["validated"]
        assert _qi(figures)["accuracy"] == qi["accuracy"]

    # And the critical indicator computed from validated grades.
    indicator = api.post("/api/v1/critical-indicators", json={
        "name": "Leadership of change good or better (validated)", "unit": "%",
        "direction": "higher", "authority_id": str(authority.id),
        "source": "qi_good_or_better_validated:1.3"}, headers=admin)
    assert indicator.status_code == 201, indicator.text
    value = api.put(f"/api/v1/critical-indicators/{indicator.json()['id']}/values/{SESSION}",
                    json={}, headers=admin)
    assert value.status_code == 201, value.text
    assert value.json()["value"] == 50.0


def test_the_latest_vse_is_the_one_reported_last_for_each_indicator(api, make: Factory,
                                                                    db: Session) -> None:
    """A later VSE that does not grade an indicator leaves the earlier grade of it standing."""
    authority = make.authority()
    admin = make.headers(make.user("officer", authority=authority, authority_admin=True))
    school = make.establishment(authority)
    report = PlanningFactory(make).report(school, session=SESSION, status="submitted")
    for position, (code, grade) in enumerate((("1.3", 4), ("2.3", 4))):
        db.add(ReportEvaluation(report_id=report.id, position=position, indicator_code=code,
                                grade=grade))
    db.commit()
    both = api.post(VSE_CYCLES, json={
        "establishment_id": str(school.id), "session": SESSION, "trigger": "authority_directed",
        "indicator_codes": ["1.3", "2.3"], "visit_start": "2025-11-03",
        "visit_end": "2025-11-05"}, headers=admin).json()
    _move(api, both["id"], "schedule", admin)
    _move(api, both["id"], "start", admin)
    url = f"{VSE_CYCLES}/{both['id']}"
    api.patch(url, json={"evaluations": [{"indicator_code": "1.3", "grade": 5},
                                         {"indicator_code": "2.3", "grade": 3}]},
              headers={**admin, "If-Match": api.get(url, headers=admin).headers["ETag"]})
    _move(api, both["id"], "report", admin)
    _move(api, both["id"], "close", admin)
    _validated(api, school, 3, admin)  # 1.3 only, reported later

    figures = api.get(f"/api/v1/summaries/authorities/{authority.id}?session={SESSION}",
                      headers=admin).json()
    assert _qi(figures, "1.3")["validated"]["evaluations"] == 1
    assert _qi(figures, "1.3")["accuracy"]["mean_difference"] == 1.0  # 4 - 3 (the later VSE)
    assert _qi(figures, "2.3")["validated"]["evaluations"] == 1
    assert _qi(figures, "2.3")["accuracy"]["mean_difference"] == 1.0  # 4 - 3 (the first VSE)
