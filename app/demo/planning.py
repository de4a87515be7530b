"""The demo's plans and reports: the authority's calendar for the last and the current session;
last session's plans closed, with their standards and quality reports (self-evaluated grades
spread over the scale, progress on every priority); this session's plans in every status of
the workflow (a few not yet started). The demo
officer's link schools and a share of the others have them (`common.planning_schools`), each
school's drawn from its own random numbers."""

import random
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from app.demo.common import ANYONE, planning_schools
from app.demo.year import Year, rng
from app.identity.principal import Principal
from app.organisations.models import Authority

NIF_ACHIEVEMENT = "Improvement in achievement, particularly in literacy and numeracy"
NIF_WELLBEING = "Improvement in children and young people's health and wellbeing"
NIF_GAP = ("Closing the attainment gap between the most and least disadvantaged children and "
           "young people")
NIF_RIGHTS = ("Placing the human rights and needs of every child and young person at the centre "
              "of education")



class Priority(NamedTuple):
    title: str
    codes: list[str]
    nif: str
    driver: str
    rationale: str
    outcome: tuple[str, str, int]  # description, measure, baseline (percent)
    pef: bool


PRIORITIES = [
    Priority("Raise attainment in numeracy", ["2.3", "3.2"], NIF_ACHIEVEMENT,
             "Curriculum and assessment", "Tracking shows a dip in P4 numeracy.",
             ("P4 on track in numeracy", "% of P4 achieving first level numeracy", 64), True),
    Priority("Wellbeing and inclusion", ["3.1"], NIF_WELLBEING, "School and ELC leadership",
             "The wellbeing survey shows a fall in pupils feeling included.",
             ("Pupils feel safe and included", "% of pupils agreeing in the wellbeing survey",
              71), False),
    Priority("Close the gap in writing", ["2.3", "3.2"], NIF_GAP, "Performance information",
             "Writing attainment of pupils in SIMD quintile 1 trails their peers by 18 points.",
             ("Writing gap narrows", "% of SIMD Q1 pupils on track in writing", 52), True),
    Priority("Learner participation and children's rights", ["3.1", "2.3"], NIF_RIGHTS,
             "School and ELC improvement",
             "Pupil voice groups reach a few of the older pupils only.",
             ("Every class has a say", "% of classes with an active pupil voice group", 40),
             False),
    Priority("Leadership of change at every level", ["1.3"], NIF_ACHIEVEMENT,
             "Teacher and practitioner professionalism",
             "Staff lead few of the improvement actions; self-evaluation rests with the SLT.",
             ("Staff lead improvement", "% of staff leading an improvement action", 25), False),
]
# This session's plan status (None: not yet started), and how often.
PLAN_STATUSES = [("agreed", 9), ("submitted", 5), ("returned", 2), ("draft", 3), (None, 1)]
PATHS = {"draft": [], "submitted": ["submit"], "returned": ["submit", "return"],
         "agreed": ["submit", "agree"]}
RETURNED = ("Please make the outcomes of priority 2 measurable: a baseline and a target for "
            "the wellbeing survey.")
EVALUATIVE = {
    2: "Important weaknesses: too little consistency across classes.",
    3: "Strengths just outweigh weaknesses; consistency is the next step.",
    4: "Important strengths with some areas for improvement.",
    5: "Major strengths: practice is consistent and well evidenced.",
    6: "Excellent: sector-leading practice shared across the cluster.",
}
# The core QIs' self-evaluated grades: leadership of change (1.3) is good or better at every
# demo school (the authority's computed indicator shows 100%); the others spread.
GRADE_WEIGHTS = {"1.3": ([4, 5], [3, 1]), "2.3": ([3, 4, 5], [3, 5, 2]),
                 "3.1": ([3, 4, 5, 6], [2, 5, 3, 1]), "3.2": ([2, 3, 4, 5], [1, 4, 4, 1])}
RAGS = (["green", "amber", "red"], [5, 3, 1])


def _priorities(draw: random.Random) -> list[Priority]:
    return draw.sample(PRIORITIES, draw.choice([2, 2, 3]))


def _create(priority: Priority, draw: random.Random, last: bool) -> Any:
    from app.planning.schemas import Outcome, PriorityCreate

    what, measure, baseline = priority.outcome
    target = baseline + draw.randint(6, 14)
    actual = baseline + draw.randint(-2, target - baseline + 2) if last else None
    return PriorityCreate(
        title=priority.title, indicator_codes=priority.codes, nif_priorities=[priority.nif],
        nif_drivers=[priority.driver], rationale=priority.rationale,
        outcomes=[Outcome(description=what, measure=measure, unit="percent",
                          baseline=str(baseline), target=str(min(target, 100)),
                          actual=None if actual is None else str(min(max(actual, 0), 100)))],
        pef_allocation=Decimal(draw.randrange(4000, 16000, 500)) if priority.pef else Decimal("0.00"))


def _demo_planning(session: Session, system: Principal, authority: Authority, year: Year) -> int:
    from app.planning import calendar, plans, reports
    from app.planning.models import ImprovementPlan
    from app.planning.schemas import (
        CalendarPut,
        Evaluation,
        PlanCreate,
        PriorityProgressEntry,
        ReportCreate,
    )

    if session.scalars(select(col(ImprovementPlan.id)).where(
            col(ImprovementPlan.authority_id) == authority.id)).first():
        return 0
    for name in (year.last, year.current):
        plan_due, report_due = year.due(name)
        calendar.put_calendar(session, system, authority.id, name,
                              CalendarPut(plan_due=plan_due, report_due=report_due), ANYONE)
    made = 0
    statuses, weights = zip(*PLAN_STATUSES, strict=True)
    for school in planning_schools(session, authority):
        draw = rng("planning", school.code)
        chosen = _priorities(draw)
        last = plans.create_plan(session, system, PlanCreate(
            establishment_id=school.id, session=year.last, title="School improvement plan"))
        ids = [plans.create_priority(session, system, last.id, _create(p, draw, last=True)).id
               for p in chosen]
        for action in ("submit", "agree"):
            plans.transition_plan(session, system, last.id, action,
                                  "Agreed at the plan review meeting." if action == "agree"
                                  else None, ANYONE)
        rags = draw.choices(*RAGS, k=len(ids))
        report = reports.create_report(session, system, ReportCreate(
            establishment_id=school.id, session=year.last,
            summary="A year of steady progress; the next steps are in this session's plan.",
            evaluations=[Evaluation(indicator_code=code, grade=grade,
                                    evaluative_text=EVALUATIVE[grade])
                         for code, grade in ((c, draw.choices(*w)[0])
                                             for c, w in GRADE_WEIGHTS.items())],
            priority_progress=[PriorityProgressEntry(
                priority_id=i, rag=rag, commentary="Measured against the plan's outcome.")
                for i, rag in zip(ids, rags, strict=True)]))
        for action in ("submit", "agree"):
            reports.transition_report(session, system, report.id, action, None, ANYONE)
        plans.transition_plan(session, system, last.id, "close", None, ANYONE)
        made += 1

        status = draw.choices(statuses, weights)[0]
        if status is None:
            continue
        current = plans.create_plan(session, system, PlanCreate(
            establishment_id=school.id, session=year.current, title="School improvement plan"))
        for priority in _priorities(draw):
            plans.create_priority(session, system, current.id, _create(priority, draw, last=False))
        for action in PATHS[status]:
            plans.transition_plan(session, system, current.id, action,
                                  RETURNED if action == "return" else None, ANYONE)
        made += 1
    return made

