"""A small, hand-made world whose every summary figure is known in advance.

Session 2024-25 in the West Partnership. North Lanarkshire (NL, minimum 4 visits) has four
open schools A1-A4 and a closed one (A5, whose records must count nowhere); Glasgow (GC,
minimum 2 visits) has B1-B3. The other six member authorities have nothing. Records in other
sessions, cancelled VSEs and events, draft visits, draft or returned reports, waitlisted and
cancelled places, and another region's event are there to be left out. EXPECTED_NL,
EXPECTED_GC and EXPECTED_REGION hold the answers, worked out by hand in the comments."""

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle, VseEvaluation, VseTheme
from app.learning.clpl.models import ClplEvaluation, ClplEvent, ClplRegistration
from app.learning.trios.models import Trio, TrioMember
from app.planning.models import ImprovementPlan, PlanningCalendar, QualityReport, ReportEvaluation
from tests.factories import Factory

SESSION = "2024-25"
NL, GC = "S12000050", "S12000049"
VISIT_NOTE = "SECRET-VISIT-NOTE about the headteacher"
VSE_STRENGTH = "SECRET-VSE-STRENGTH of the school"
VSE_NEXT_STEP = "SECRET-VSE-NEXT-STEP for the school"
_places = itertools.count(1)
SECRETS = (VISIT_NOTE, VSE_STRENGTH, VSE_NEXT_STEP, "SECRET-VSE-SUMMARY", "SECRET-EVALUATIVE")


@dataclass
class World:
    region: Any
    other_region: Any
    nl: Any
    gc: Any
    schools: dict[str, Any] = field(default_factory=dict)
    officer: Any = None


def _status(db: Session, school: Any, rag: str, level: str, *, current: bool = True,
            sequence: int = 1) -> None:
    db.add(SupportStatus(establishment_id=school.id, authority_id=school.authority_id,
                         sequence=sequence, is_current=current, rag=rag, level=level,
                         agreed_on=date(2024, 8, 20), notes=VISIT_NOTE))


def _plan(db: Session, school: Any, status: str, session: str = SESSION) -> None:
    db.add(ImprovementPlan(establishment_id=school.id, authority_id=school.authority_id,
                           session=session, status=status, context=VISIT_NOTE))


def _report(db: Session, school: Any, status: str, grades: dict[str, int],
            framework: str = "HGIOS4") -> None:
    report = QualityReport(establishment_id=school.id, authority_id=school.authority_id,
                           session=SESSION, status=status, framework_code=framework)
    db.add(report)
    db.flush()
    for position, (code, grade) in enumerate(grades.items()):
        db.add(ReportEvaluation(report_id=report.id, position=position, indicator_code=code,
                                grade=grade, evaluative_text="SECRET-EVALUATIVE text"))


def _visits(db: Session, school: Any, officer: Any, count: int, *, status: str = "final",
            session: str = SESSION) -> None:
    year = int(session[:4])
    for i in range(count):
        db.add(Visit(establishment_id=school.id, authority_id=school.authority_id,
                     officer_id=officer.id, session=session, visit_date=date(year, 9, 1 + i),
                     kind="support_and_challenge", status=status, notes=VISIT_NOTE,
                     strengths=VISIT_NOTE, next_steps=VISIT_NOTE))


def _vse(db: Session, school: Any, status: str, grades: dict[str, int], themes: list[str],
         reported: date | None = None) -> None:
    reported_at = datetime(reported.year, reported.month, reported.day, 16, tzinfo=UTC) \
        if reported else None
    cycle = VseCycle(establishment_id=school.id, authority_id=school.authority_id,
                     session=SESSION, trigger="authority_directed", framework_code="HGIOS4",
                     indicator_codes=list(grades), status=status, summary="SECRET-VSE-SUMMARY",
                     visit_start=date(2024, 11, 4), visit_end=date(2024, 11, 6),
                     reported_at=reported_at)
    db.add(cycle)
    db.flush()
    for position, (code, grade) in enumerate(grades.items()):
        db.add(VseEvaluation(vse_id=cycle.id, position=position, indicator_code=code, grade=grade,
                             strengths=VSE_STRENGTH, next_steps=VSE_NEXT_STEP))
    for theme in themes:
        db.add(VseTheme(vse_id=cycle.id, theme=theme))


def _event(db: Session, starts: date, *, authority: Any = None, region: Any = None,
           status: str = "scheduled") -> ClplEvent:
    at = datetime(starts.year, starts.month, starts.day, 9, tzinfo=UTC)
    event = ClplEvent(title=f"Event {starts}", level="universal", provider="Authority",
                      authority_id=authority.id if authority else None,
                      region_id=region.id if region else None, starts_at=at,
                      ends_at=at.replace(hour=15), capacity=30, status=status)
    db.add(event)
    db.flush()
    return event


def _place(db: Session, event: ClplEvent, email: str | None, attended: bool | None,
           status: str = "confirmed", ratings: tuple[int, ...] | None = None) -> None:
    place = ClplRegistration(
        event_id=event.id, authority_id=event.authority_id, region_id=event.region_id,
        sequence=next(_places),
        participant_name="" if email is None else email.split("@")[0],
        participant_email=email, participant_role="teacher", status=status, attended=attended)
    db.add(place)
    db.flush()
    if ratings:
        k0, k1, u0, u1, c0, c1 = ratings
        db.add(ClplEvaluation(event_id=event.id, registration_id=place.id, knowledge_before=k0,
                              knowledge_after=k1, understanding_before=u0, understanding_after=u1,
                              confidence_before=c0, confidence_after=c1, comment=VISIT_NOTE))


def _trio(db: Session, authority: Any, kind: str, schools: list[Any], session: str = SESSION) -> None:
    trio = Trio(authority_id=authority.id, session=session, kind=kind, name=f"{kind} {session}")
    db.add(trio)
    db.flush()
    for position, school in enumerate(schools):
        db.add(TrioMember(trio_id=trio.id, establishment_id=school.id, session=session,
                          position=position))


def build(make: Factory, db: Session) -> World:
    region, other = make.region(), make.region("tayside")
    nl, gc = make.authority(NL), make.authority(GC)
    gc.min_visits_per_session = 2
    db.add(gc)
    w = World(region=region, other_region=other, nl=nl, gc=gc)
    for name in ("A1", "A2", "A3", "A4"):
        w.schools[name] = make.establishment(nl, name=f"{name} Primary")
    w.schools["A5"] = make.establishment(nl, name="A5 Primary", status="closed")
    for name in ("B1", "B2", "B3"):
        w.schools[name] = make.establishment(gc, name=f"{name} Primary")
    s = w.schools
    officer = w.officer = make.user("officer", authority=nl)
    gc_officer = make.user("officer", authority=gc)

    # Support status (current only; A1 has an older one).
    _status(db, s["A1"], "green", "universal", current=False)
    _status(db, s["A1"], "red", "intensive", sequence=2)
    _status(db, s["A2"], "amber", "additional")
    _status(db, s["A3"], "green", "universal")
    _status(db, s["A5"], "red", "intensive")
    _status(db, s["B1"], "green", "universal")
    _status(db, s["B2"], "green", "additional")

    # Calendars: everything is past due; Glasgow has set no report date.
    db.add(PlanningCalendar(authority_id=nl.id, session=SESSION, plan_due=date(2024, 9, 30),
                            report_due=date(2025, 6, 27)))
    db.add(PlanningCalendar(authority_id=gc.id, session=SESSION, plan_due=date(2024, 10, 31)))

    for school, status in (("A1", "agreed"), ("A2", "draft"), ("A3", "returned"), ("A5", "draft"),
                           ("B1", "submitted")):
        _plan(db, s[school], status)
    _plan(db, s["A4"], "draft", session="2025-26")

    _report(db, s["A1"], "agreed", {"1.3": 4, "2.3": 3})
    _report(db, s["A2"], "submitted", {"1.3": 5, "2.3": 4})
    _report(db, s["A3"], "draft", {"1.3": 6, "2.3": 2})
    _report(db, s["B1"], "closed", {"1.3": 3, "2.3": 5})
    _report(db, s["B2"], "returned", {"1.3": 4})
    _report(db, s["B3"], "agreed", {"LT": 3}, framework="LASER")

    _visits(db, s["A1"], officer, 4)
    _visits(db, s["A2"], officer, 2)
    _visits(db, s["A2"], officer, 3, status="draft")
    _visits(db, s["A4"], officer, 4)
    _visits(db, s["A4"], officer, 1, session="2023-24")
    _visits(db, s["A5"], officer, 1)
    _visits(db, s["B1"], gc_officer, 2)
    _visits(db, s["B2"], gc_officer, 1)

    # A1's VSE reported in March is its latest: the one reported in December (now closed)
    # no longer counts for 1.3.
    _vse(db, s["A1"], "reported", {"1.3": 4, "2.3": 4}, ["Curriculum design", "Tracking and monitoring"],
         date(2025, 3, 14))
    _vse(db, s["A1"], "closed", {"1.3": 3}, ["Tracking and monitoring"], date(2024, 12, 6))
    _vse(db, s["A2"], "closed", {"1.3": 4}, ["Curriculum design"], date(2024, 11, 29))
    _vse(db, s["A3"], "in_progress", {"1.3": 5}, ["Learner voice"])
    _vse(db, s["A4"], "cancelled", {}, ["Learner voice", "Moderation"])
    _vse(db, s["B1"], "reported", {"1.3": 3, "2.3": 3}, ["Learner voice"], date(2025, 2, 7))
    _vse(db, s["B2"], "proposed", {}, [])

    e1 = _event(db, date(2024, 9, 10), authority=nl)
    e2 = _event(db, date(2025, 3, 1), authority=nl)
    e3 = _event(db, date(2024, 10, 1), authority=nl, status="cancelled")
    e4 = _event(db, date(2025, 8, 5), authority=nl)
    e5 = _event(db, date(2024, 11, 11), authority=gc)
    e6 = _event(db, date(2025, 2, 2), region=region)
    e7 = _event(db, date(2025, 2, 2), region=other)
    _place(db, e1, "p1@x.scot", True, ratings=(2, 4, 2, 3, 1, 3))
    _place(db, e1, "p2@x.scot", False)
    _place(db, e1, "p3@x.scot", None)
    _place(db, e1, "p4@x.scot", None, status="waitlisted")
    _place(db, e1, "p5@x.scot", None, status="cancelled")
    _place(db, e1, "p10@x.scot", None, status="late_cancelled")
    _place(db, e2, "p1@x.scot", True, ratings=(3, 4, 3, 3, 2, 4))
    _place(db, e2, None, True, ratings=(1, 2, 2, 4, 3, 3))  # erased: still one person
    _place(db, e3, "p9@x.scot", True, ratings=(1, 5, 1, 5, 1, 5))
    _place(db, e4, "p8@x.scot", True, ratings=(1, 5, 1, 5, 1, 5))
    _place(db, e5, "p1@x.scot", True)
    _place(db, e5, "p6@x.scot", True, ratings=(2, 5, 1, 2, 2, 3))
    _place(db, e6, "p2@x.scot", True, ratings=(4, 4, 3, 4, 2, 2))
    _place(db, e6, "p7@x.scot", False)
    _place(db, e6, "p11@x.scot", None, status="late_cancelled")
    _place(db, e3, "p12@x.scot", None, status="late_cancelled")  # a cancelled event: not counted
    _place(db, e7, "p13@x.scot", None, status="late_cancelled")  # another region's
    _place(db, e7, "p1@x.scot", True, ratings=(1, 5, 1, 5, 1, 5))

    _trio(db, nl, "trio", [s["A1"], s["A2"], s["A3"]])
    _trio(db, nl, "trio", [s["A4"]], session="2025-26")
    _trio(db, gc, "quad", [s["B1"], s["B2"], s["B3"]])
    db.commit()
    return w


def _docs(total: int, overdue: int, missing: int, due_on: str | None, **by_status: int) -> dict[str, Any]:
    statuses = {s: by_status.get(s, 0) for s in ("draft", "submitted", "returned", "agreed", "closed")}
    assert sum(statuses.values()) == total
    return {"total": total, "by_status": statuses, "overdue": overdue, "missing": missing,
            "due_on": due_on}


def _share(evaluations: int, good: int, percent: float | None) -> dict[str, Any]:
    return {"evaluations": evaluations, "good_or_better": good, "percent_good_or_better": percent}


def _accuracy(schools: int, mean: float | None, absolute: float | None, higher: int = 0,
              same: int = 0, lower: int = 0) -> dict[str, Any]:
    return {"schools": schools, "mean_difference": mean, "mean_absolute_difference": absolute,
            "higher": higher, "same": same, "lower": lower}


def _indicator(framework: str, code: str, self_evaluated: dict[str, Any], validated: dict[str, Any],
               accuracy: dict[str, Any]) -> dict[str, Any]:
    """This world holds no inspections (tests/insight/test_evidence_summaries.py has them)."""
    return {"framework_code": framework, "indicator_code": code, "self_evaluated": self_evaluated,
            "validated": validated, "accuracy": accuracy,
            "inspected": {**_share(0, 0, None), "suppressed": False},
            "inspection_accuracy": _accuracy(0, None, None)}


def _vse_counts(**counts: int) -> dict[str, int]:
    names = ("proposed", "scheduled", "in_progress", "reported", "closed", "cancelled")
    return {s: counts.get(s, 0) for s in names}


NO_ACCURACY = _accuracy(0, None, None)
NO_GRADES = _share(0, 0, None)

EXPECTED_NL: dict[str, Any] = {
    # A1 red/intensive (its older green status is history), A2 amber/additional,
    # A3 green/universal, A4 none; A5 is closed.
    "establishments": {"total": 4, "by_rag": {"red": 1, "amber": 1, "green": 1, "none": 1},
                       "by_support_level": {"universal": 1, "additional": 1, "intensive": 1,
                                            "none": 1}},
    # A1 agreed, A2 draft (overdue), A3 returned (overdue), A4 none (missing; its plan is 2025-26).
    "plans": _docs(3, 2, 1, "2024-09-30", draft=1, returned=1, agreed=1),
    # A1 agreed, A2 submitted, A3 draft (overdue), A4 none (missing).
    "reports": _docs(3, 1, 1, "2025-06-27", draft=1, submitted=1, agreed=1),
    # A1 4, A2 2 final (+3 drafts), A3 0, A4 4 (+1 last session): A2 and A3 below 4.
    "visits": {"minimum_per_session": 4, "final_visits": 10, "establishments_visited": 3,
               "establishments_below_minimum": 2},
    # Total: those scheduled on (not the cancelled one). Themes: the findings of VSEs reported
    # or closed (not A3's in progress, nor the cancelled one).
    "vse": {"total": 4, "by_status": _vse_counts(in_progress=1, reported=1, closed=2, cancelled=1),
            "themes": [{"theme": "Curriculum design", "count": 2},
                       {"theme": "Tracking and monitoring", "count": 2}]},
    "indicators": [
        # Self: A1 4, A2 5 (A3's draft is left out). Validated, each school's latest: A1 4 (its
        # March VSE, not December's 3), A2 4 (A3's VSE is in progress). Accuracy: A1 4 - 4 = 0,
        # A2 5 - 4 = +1.
        _indicator("HGIOS4", "1.3", _share(2, 2, 100.0), _share(2, 2, 100.0),
                   _accuracy(2, 0.5, 0.5, higher=1, same=1)),
        # Self: A1 3, A2 4. Validated: A1 4. Accuracy: A1 3 - 4 = -1.
        _indicator("HGIOS4", "2.3", _share(2, 1, 50.0), _share(1, 1, 100.0),
                   _accuracy(1, -1.0, 1.0, lower=1)),
    ],
    # E1 and E2 (E3 cancelled, E4 next session). Confirmed places: E1 p1 p2 p3, E2 p1 and an
    # erased one: 5 places, 4 people. Marked: p1 yes, p2 no, p1 yes, erased yes: 3 of 4.
    # Changes: K +2 +1 +1, U +1 0 +2, C +2 +2 0.
    "clpl": {"events": 2, "registrations": 5, "participants": 4, "attendance_marked": 4,
             "attendance_unmarked": 1, "attended": 3, "attendance_rate": 75.0,
             "late_cancellations": 1, "evaluations": 3,
             "mean_change": {"knowledge": 1.33, "understanding": 1.0, "confidence": 1.33}},
    # A1-A3 in a trio this session (A4's is next session's).
    "trios": {"groups": 1, "quads": 0, "establishments_in_trio": 3, "establishments": 4,
              "percent_in_trio": 75.0},
}

EXPECTED_GC: dict[str, Any] = {
    "establishments": {"total": 3, "by_rag": {"red": 0, "amber": 0, "green": 2, "none": 1},
                       "by_support_level": {"universal": 1, "additional": 1, "intensive": 0,
                                            "none": 1}},
    # B1 submitted; B2 and B3 have none after 31 October.
    "plans": _docs(1, 0, 2, "2024-10-31", submitted=1),
    # No report date set: nothing overdue or missing.
    "reports": _docs(3, 0, 0, None, returned=1, agreed=1, closed=1),
    # Minimum 2: B1 2, B2 1, B3 0.
    "visits": {"minimum_per_session": 2, "final_visits": 3, "establishments_visited": 2,
               "establishments_below_minimum": 2},
    "vse": {"total": 1, "by_status": _vse_counts(proposed=1, reported=1),  # B2's is proposed
            "themes": [{"theme": "Learner voice", "count": 1}]},
    "indicators": [
        # Self: B1 3 (B2's report was returned). Validated: B1 3. Accuracy 0.
        _indicator("HGIOS4", "1.3", _share(1, 0, 0.0), _share(1, 0, 0.0),
                   _accuracy(1, 0.0, 0.0, same=1)),
        _indicator("HGIOS4", "2.3", _share(1, 1, 100.0), _share(1, 0, 0.0),
                   _accuracy(1, 2.0, 2.0, higher=1)),
        # LASER: good is 3, so B3's 3 is good or better.
        _indicator("LASER", "LT", _share(1, 1, 100.0), NO_GRADES, NO_ACCURACY),
    ],
    "clpl": {"events": 1, "registrations": 2, "participants": 2, "attendance_marked": 2,
             "attendance_unmarked": 0, "attended": 2, "attendance_rate": 100.0,
             "late_cancellations": 0, "evaluations": 1,
             "mean_change": {"knowledge": 3.0, "understanding": 1.0, "confidence": 1.0}},
    "trios": {"groups": 1, "quads": 1, "establishments_in_trio": 3, "establishments": 3,
              "percent_in_trio": 100.0},
}

EXPECTED_REGION: dict[str, Any] = {
    "establishments": {"total": 7, "by_rag": {"red": 1, "amber": 1, "green": 3, "none": 2},
                       "by_support_level": {"universal": 2, "additional": 2, "intensive": 1,
                                            "none": 2}},
    "plans": _docs(4, 2, 3, None, draft=1, submitted=1, returned=1, agreed=1),
    "reports": _docs(6, 1, 1, None, draft=1, submitted=1, returned=1, agreed=2, closed=1),
    "visits": {"minimum_per_session": None, "final_visits": 13, "establishments_visited": 5,
               "establishments_below_minimum": 4},
    "vse": {"total": 5, "by_status": _vse_counts(proposed=1, in_progress=1, reported=2, closed=2,
                                                 cancelled=1),
            "themes": [{"theme": "Curriculum design", "count": 2},
                       {"theme": "Tracking and monitoring", "count": 2},
                       {"theme": "Learner voice", "count": 1}]},
    "indicators": [
        # Self 4 5 3; validated (latest per school) 4 4 3; differences 0 +1 0.
        _indicator("HGIOS4", "1.3", _share(3, 2, 66.7), _share(3, 2, 66.7),
                   _accuracy(3, 0.33, 0.33, higher=1, same=2)),
        # Self 3 4 5; validated 4 3; differences -1 +2.
        _indicator("HGIOS4", "2.3", _share(3, 2, 66.7), _share(2, 1, 50.0),
                   _accuracy(2, 0.5, 1.5, higher=1, lower=1)),
        _indicator("LASER", "LT", _share(1, 1, 100.0), NO_GRADES, NO_ACCURACY),
    ],
    # NL's and GC's events and the region's own E6 (not Tayside's E7). People: p1 p2 p3, the
    # erased one, p6, p7. Marked 8, attended 6. K +2 +1 +1 +3 0, U +1 0 +2 +1 +1, C +2 +2 0 +1 0.
    "clpl": {"events": 4, "registrations": 9, "participants": 6, "attendance_marked": 8,
             "attendance_unmarked": 1, "attended": 6, "attendance_rate": 75.0,
             "late_cancellations": 2, "evaluations": 5,
             "mean_change": {"knowledge": 1.4, "understanding": 1.0, "confidence": 1.0}},
    "trios": {"groups": 2, "quads": 1, "establishments_in_trio": 6, "establishments": 7,
              "percent_in_trio": 85.7},
}


def empty_authority(minimum: int = 4) -> dict[str, Any]:
    return {
        "establishments": {"total": 0, "by_rag": {"red": 0, "amber": 0, "green": 0, "none": 0},
                           "by_support_level": {"universal": 0, "additional": 0, "intensive": 0,
                                                "none": 0}},
        "plans": _docs(0, 0, 0, None), "reports": _docs(0, 0, 0, None),
        "visits": {"minimum_per_session": minimum, "final_visits": 0, "establishments_visited": 0,
                   "establishments_below_minimum": 0},
        "vse": {"total": 0, "by_status": _vse_counts(), "themes": []},
        "indicators": [],
        "clpl": {"events": 0, "registrations": 0, "participants": 0, "attendance_marked": 0,
                 "attendance_unmarked": 0, "attended": 0, "attendance_rate": None,
                 "late_cancellations": 0, "evaluations": 0,
                 "mean_change": {"knowledge": None, "understanding": None, "confidence": None}},
        "trios": {"groups": 0, "quads": 0, "establishments_in_trio": 0, "establishments": 0,
                  "percent_in_trio": None},
    }
