"""The evidence in the summaries: ACEL beside Scotland's (a region's weighted by cohort, the
authorities left out counted), inspection outcomes per QI from each school's most recent
inspection, self-evaluation against inspection, small groups suppressed, and trends of
several sessions in one call (JSON and CSV)."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from app.performance.models import NATIONAL, AcelFigure, Inspection, InspectionGrade
from app.planning.models import QualityReport, ReportEvaluation
from tests.factories import Factory

NL, GC, ER = "S12000050", "S12000049", "S12000011"
SUMMARY = "/api/v1/summaries"


def _acel(db: Session, authority: Any | None, session: str, percent: float | None,
          cohort: int | None, stage: str = "p147", organiser: str = "literacy") -> None:
    db.add(AcelFigure(scope=str(authority.id) if authority else NATIONAL,
                      authority_id=authority.id if authority else None, school_session=session,
                      stage=stage, organiser=organiser, cohort=cohort,
                      percent=None if percent is None else Decimal(str(percent))))


def _inspection(db: Session, school: Any, on: date, grades: dict[str, int],
                framework: str = "HGIOS4") -> None:
    inspection = Inspection(establishment_id=school.id, authority_id=school.authority_id,
                            body="education_scotland", inspected_on=on, framework_code=framework)
    db.add(inspection)
    db.flush()
    for code, grade in grades.items():
        db.add(InspectionGrade(inspection_id=inspection.id, indicator_code=code, grade=grade))


def _report(db: Session, school: Any, grades: dict[str, int], session: str = "2024-25") -> None:
    report = QualityReport(establishment_id=school.id, authority_id=school.authority_id,
                           session=session, status="submitted", framework_code="HGIOS4")
    db.add(report)
    db.flush()
    for position, (code, grade) in enumerate(grades.items()):
        db.add(ReportEvaluation(report_id=report.id, position=position, indicator_code=code,
                                grade=grade, evaluative_text=""))


@pytest.fixture
def evidence(make: Factory, db: Session) -> dict[str, Any]:
    region = make.region()
    nl, gc, er = make.authority(NL), make.authority(GC), make.authority(ER)
    for session, (n, g) in {"2022-23": (66.0, 60.0), "2023-24": (68.0, 62.0),
                            "2024-25": (70.0, 64.0)}.items():
        _acel(db, nl, session, n, 3000)
        _acel(db, gc, session, g, 6000)
        _acel(db, er, session, None, None)  # suppressed in the release: left out, not zero
        _acel(db, None, session, 72.3, 52000)
    _acel(db, nl, "2024-25", 55.0, 4, stage="s3-fourth", organiser="numeracy")  # a tiny cohort
    nl_schools = [make.establishment(nl) for _ in range(6)]
    gc_schools = [make.establishment(gc) for _ in range(3)]
    first = nl_schools[0]
    _inspection(db, first, date(2019, 3, 4), {"2.3": 3})
    _inspection(db, first, date(2023, 5, 15), {"2.3": 5, "3.2": 4})  # its most recent, in 2024-25
    _inspection(db, first, date(2025, 9, 1), {"2.3": 1})  # after 2024-25 ended: not yet known
    for school, grade in zip(nl_schools[1:], (4, 4, 2, 6, 5), strict=True):
        _inspection(db, school, date(2022, 11, 1), {"2.3": grade})
    _inspection(db, nl_schools[1], date(2012, 2, 6), {"1.1": 4, "5.9": 3}, framework="HGIOS3")
    for school in gc_schools:
        _inspection(db, school, date(2021, 6, 1), {"2.3": 5})
    _report(db, first, {"2.3": 4})  # own view 4, inspected 5: one lower
    _report(db, nl_schools[1], {"2.3": 5})  # own view 5, inspected 4: one higher
    _report(db, nl_schools[2], {"2.3": 4})  # the same
    db.commit()
    return {"region": region, "nl": nl, "gc": gc, "er": er,
            "admin": make.headers(make.admin()),
            "lead": make.headers(make.user("regional_lead", region=region))}


def _get(api: Any, headers: dict[str, str], path: str, **params: str) -> dict[str, Any]:
    answer = api.get(f"{SUMMARY}/{path}", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _figure(figures: dict[str, Any], stage: str = "p147", organiser: str = "literacy") -> dict:
    (found,) = [f for f in figures["acel"] if (f["stage"], f["organiser"]) == (stage, organiser)]
    return found


def _indicator(figures: dict[str, Any], code: str, framework: str = "HGIOS4") -> dict[str, Any]:
    (found,) = [i for i in figures["indicators"]
                if (i["framework_code"], i["indicator_code"]) == (framework, code)]
    return found


def test_an_authority_sees_its_acel_beside_scotland(api, evidence):
    body = _get(api, evidence["admin"], f"authorities/{evidence['nl'].id}", session="2024-25")
    assert _figure(body) == {"stage": "p147", "organiser": "literacy", "cohort": 3000,
                             "percent": 70.0, "national_percent": 72.3, "suppressed": False,
                             "authorities_counted": 1, "authorities_left_out": 0}
    tiny = _figure(body, "s3-fourth", "numeracy")  # a cohort of 4: suppressed as Insight does
    assert (tiny["suppressed"], tiny["percent"], tiny["cohort"]) == (True, None, None)
    withheld = _figure(_get(api, evidence["admin"], f"authorities/{evidence['er'].id}",
                            session="2024-25"))
    assert (withheld["suppressed"], withheld["percent"], withheld["authorities_left_out"]) == (
        True, None, 1)


def test_a_region_weighs_its_authorities_by_cohort_and_counts_those_left_out(api, evidence):
    body = _get(api, evidence["lead"], f"regions/{evidence['region'].id}", session="2024-25")
    members = len(body["authorities"])
    total = _figure(body["totals"])
    # (70 x 3000 + 64 x 6000) / 9000 = 66.0; East Renfrewshire's is suppressed: left out.
    assert (total["percent"], total["cohort"], total["national_percent"]) == (66.0, 9000, 72.3)
    assert (total["authorities_counted"], total["authorities_left_out"]) == (2, members - 2)
    by_code = {a["authority_code"]: _figure(a) for a in body["authorities"] if a["acel"]}
    assert by_code[GC]["percent"] == 64.0 and by_code[ER]["suppressed"] is True


def test_inspection_outcomes_count_each_school_once_by_its_latest_inspection(api, evidence):
    body = _get(api, evidence["admin"], f"authorities/{evidence['nl'].id}", session="2024-25")
    # Latest grades for 2.3: 5 (not 3 from 2019, not 1 from after the session), 4, 4, 2, 6, 5.
    assert _indicator(body, "2.3")["inspected"] == {
        "evaluations": 6, "good_or_better": 5, "percent_good_or_better": 83.3, "suppressed": False}
    hgios3 = _indicator(body, "1.1", "HGIOS3")["inspected"]  # graded before August 2016
    assert (hgios3["evaluations"], hgios3["suppressed"]) == (1, True)
    assert hgios3["good_or_better"] is None and hgios3["percent_good_or_better"] is None
    later = _get(api, evidence["admin"], f"authorities/{evidence['nl'].id}", session="2025-26")
    assert _indicator(later, "2.3")["inspected"]["good_or_better"] == 4  # the 2025 grade of 1


def test_fewer_than_five_establishments_are_suppressed(api, evidence):
    body = _get(api, evidence["admin"], f"authorities/{evidence['gc'].id}", session="2024-25")
    assert _indicator(body, "2.3")["inspected"] == {
        "evaluations": 3, "good_or_better": None, "percent_good_or_better": None,
        "suppressed": True}


def test_self_evaluation_is_checked_against_the_most_recent_inspection(api, evidence):
    body = _get(api, evidence["admin"], f"authorities/{evidence['nl'].id}", session="2024-25")
    assert _indicator(body, "2.3")["inspection_accuracy"] == {
        "schools": 3, "mean_difference": 0.0, "mean_absolute_difference": 0.67,
        "higher": 1, "same": 1, "lower": 1}


def test_a_trend_answers_every_session_in_one_call(api, evidence):
    body = _get(api, evidence["lead"], f"regions/{evidence['region'].id}",
                sessions="2022-23..2024-25")
    assert body["session"] == "2024-25" and _figure(body["totals"])["percent"] == 66.0
    assert [t["session"] for t in body["trend"]] == ["2022-23", "2023-24", "2024-25"]
    # (66 x 3000 + 60 x 6000) / 9000 = 62.0; (68 x 3000 + 62 x 6000) / 9000 = 64.0
    assert [_figure(t["totals"])["percent"] for t in body["trend"]] == [62.0, 64.0, 66.0]
    single = _get(api, evidence["admin"], f"authorities/{evidence['nl'].id}",
                  sessions="2023-24,2022-23")
    assert [(t["session"], _figure(t)["percent"]) for t in single["trend"]] == [
        ("2022-23", 66.0), ("2023-24", 68.0)]
    plain = _get(api, evidence["admin"], f"authorities/{evidence['nl'].id}", session="2024-25")
    assert plain["trend"] == []


def test_a_trend_as_csv_has_one_block_of_rows_per_session(api, evidence):
    answer = api.get(f"{SUMMARY}/regions/{evidence['region'].id}",
                     params={"sessions": "2022-23,2023-24,2024-25"},
                     headers={**evidence["lead"], "Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    percent = {(r["session"], r["scope"]): r["value"] for r in rows
               if r["measure"] == "acel.percent" and r["dimension"] == "p147:literacy"
               and r["authority_code"] in ("", NL)}
    assert percent == {("2022-23", "region"): "62.0", ("2023-24", "region"): "64.0",
                       ("2024-25", "region"): "66.0", ("2022-23", "authority"): "66.0",
                       ("2023-24", "authority"): "68.0", ("2024-25", "authority"): "70.0"}


@pytest.mark.parametrize("sessions", ["2024-26", "2024-25..2022-23", "x", "1990-91",
                                      "2010-11..2024-25", ",", "2024-25" + ",2023-24" * 40])
def test_a_trend_that_is_not_sessions_is_refused(api, evidence, sessions: str):
    answer = api.get(f"{SUMMARY}/authorities/{evidence['nl'].id}", params={"sessions": sessions},
                     headers=evidence["admin"])
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_someone_else_s_summary_is_still_out_of_reach(api, evidence, make: Factory):
    other = make.headers(make.user("regional_lead", region=make.region("tayside")))
    answer = api.get(f"{SUMMARY}/regions/{evidence['region'].id}",
                     params={"sessions": "2022-23..2024-25"}, headers=other)
    assert answer.status_code == 404
