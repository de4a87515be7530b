"""The demo's support and challenge: the demo officer's link schools each with the support
status agreed this session (some changed since last session, so the history shows it) and
this session's visits: final ones of the kinds the authority counts, some schools below its
minimum and some at or above it, with the actions agreed at them; a visit or two that does
not count; a draft still on the officer's phone; and, for most schools, the next visit
planned after today with its focus and agenda. VSE cycles in every status, last session's and
this one's. The demo headteacher's school has a visible year: final visits shared with it, a
planned visit shared with it and a VSE scheduled."""

import random
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.schemas import VisitKind
from app.demo.common import ANYONE, OFFICER, caseload, headteacher_schools, user
from app.demo.year import Year, rng
from app.identity.principal import Principal
from app.organisations.models import Authority, Establishment

# rag, level, reason, weight: most schools green and universal, a few red and intensive.
STATUSES = [("green", "universal", "performing_consistently_well", 5),
            ("amber", "additional", "new_headteacher", 2),
            ("amber", "additional", "extra_support_needed", 2),
            ("amber", "universal", "extra_support_needed", 1),
            ("red", "intensive", "urgent_improvement_needed", 2),
            ("red", "additional", "urgent_improvement_needed", 1)]
# How many counted final visits a school has had so far: some below the minimum, some at it.
COUNTED = ([1, 2, 3, 4, 5], [1, 3, 3, 3, 2])
NOTES = [("Learning walk with the headteacher; pupil focus group on feedback.",
          "Relationships; clear learning intentions and success criteria.",
          "Moderate writing across the cluster."),
         ("Reviewed the tracking of P4 numeracy with the DHT.",
          "Tracking meetings are regular and lead to interventions.",
          "Measure the impact of the numeracy interventions."),
         ("Met the pupil council; observed P6 and P7 writing.",
          "Pupils talk confidently about their learning.",
          "Plenaries that check understanding before moving on."),
         ("Plan review: progress on each priority against its measures.",
          "The plan's outcomes are measured and reviewed termly.",
          "Set a baseline for the wellbeing measure.")]
ACTIONS = [("Share the moderation calendar with the cluster", "DHT"),
           ("Analyse P4 numeracy tracking and plan interventions", "PT Numeracy"),
           ("Pupil voice group to review the anti-bullying policy", "Headteacher"),
           ("Peer observations of plenaries in P5 to P7", "Class teachers"),
           ("Set a baseline for the wellbeing survey", "Headteacher"),
           ("Update the PEF tracker with the interventions' measures", "DHT")]
PLANNED = [("Writing attainment, P4 to P7",
            "Tracking of writing against CfE levels; moderation with the cluster; the "
            "PEF-funded writing group's impact."),
           ("Numeracy at first level",
            "P4 numeracy ACEL against the stretch aim; interventions and their measures."),
           ("Plan review: progress on the priorities",
            "Each priority's measures at the half year; the actions agreed at the last visit."),
           ("Wellbeing and inclusion",
            "The wellbeing survey's results; attendance of the pupils in SIMD quintile 1.")]


def _codes(school: Establishment) -> list[str]:
    return ["2.3"] if school.sector != "elc" else ["1.3"]


def _demo_assurance(session: Session, system: Principal, authority: Authority, year: Year) -> int:
    from app.assurance import actions, support, visits
    from app.assurance.action_schemas import ActionFollowUp
    from app.assurance.models import Visit
    from app.assurance.schemas import AgreedAction, SupportStatusPut, VisitCreate, VisitRead

    officer = user(session, OFFICER)
    if officer is None or session.scalars(select(col(Visit.id)).where(
            col(Visit.officer_id) == officer.id)).first():
        return 0
    theirs = headteacher_schools(session)
    counted = [k for k in VisitKind if k.value in authority.counted_visit_kinds]
    uncounted = [k for k in VisitKind if k not in counted and k != VisitKind.other]

    def visit(school: Establishment, draw: random.Random, day: date, kind: VisitKind, *,
              shared: bool, status: str) -> VisitRead:
        notes, strengths, next_steps = draw.choice(NOTES)
        agreed = [AgreedAction(description=description, owner=owner,
                               due=day + timedelta(days=draw.randrange(21, 70, 7)))
                  for description, owner in draw.sample(ACTIONS, draw.choice([1, 2, 2, 3]))]
        return visits.create_visit(session, system, VisitCreate(
            establishment_id=school.id, officer_id=officer.id, visit_date=day, kind=kind,
            indicator_codes=_codes(school), notes=notes, strengths=strengths,
            next_steps=next_steps, agreed_actions=agreed if status == "final" else [],
            shared_with_school=shared, status=status))

    def follow_up(school: Establishment, finals: list[VisitRead]) -> None:
        """Most actions are found done at the next visit; some stay open (a drawer of its own,
        so the spread of statuses and visits above stays as it is)."""
        draw = rng("follow-up", school.code)
        for agreed_at, next_visit in pairwise(finals):
            for action in agreed_at.agreed_actions:
                if draw.random() < 0.6:
                    actions.follow_up(session, system, action.id, ActionFollowUp(
                        done_at_visit_id=next_visit.id), ANYONE)

    made = 0
    for school in caseload(session, officer):
        draw = rng("assurance", school.code)
        told = school.id in theirs
        rag, level, reason, _ = draw.choices(STATUSES, [s[3] for s in STATUSES])[0]
        if draw.random() < 0.4:  # last session it was otherwise
            before = draw.choice([s for s in STATUSES if s[0] != rag])
            support.set_status(session, system, school.id, SupportStatusPut(
                rag=before[0], level=before[1], reasons=[before[2]],
                agreed_on=year.in_last(9, 12), agreed_with="Headteacher",
                notes="Agreed at the first support and challenge visit."), ANYONE)
        n = draw.choices(*COUNTED)[0]
        kinds = [counted[0]] + [draw.choice(counted) for _ in range(n - 1)]
        kinds += draw.sample(uncounted, draw.choice([0, 0, 1]))
        days = sorted(year.past((i + draw.uniform(0.2, 0.8)) / len(kinds))
                      for i in range(len(kinds)))
        support.set_status(session, system, school.id, SupportStatusPut(
            rag=rag, level=level, reasons=[reason], agreed_on=days[0], agreed_with="Headteacher",
            notes="Agreed at the first support and challenge visit; reviewed at each visit."),
            ANYONE)
        # The first visit is the support and challenge visit that agreed the status.
        finals = [visit(school, draw, day, kind, shared=told or draw.random() < 0.7,
                        status="final")
                  for day, kind in zip(days, [kinds[0], *draw.sample(kinds[1:], len(kinds) - 1)],
                                       strict=True)]
        made += len(finals)
        follow_up(school, finals)
        if draw.random() < 0.35:  # written up on the phone, not yet sent as final
            visit(school, draw, year.past(1), draw.choice(counted), shared=False,
                  status="draft")
            made += 1
        if told or draw.random() < 0.75:
            focus, agenda = draw.choice(PLANNED)
            visits.create_visit(session, system, VisitCreate(
                establishment_id=school.id, officer_id=officer.id,
                visit_date=year.ahead(draw.randint(3, 30)), kind=draw.choice(counted),
                focus=focus, agenda=agenda, status="planned",
                shared_with_school=told or draw.random() < 0.6, indicator_codes=_codes(school)))
            made += 1
    return made


VSE_CANCELLED = "The school's new headteacher starts next term: the VSE is better next session."
VSE_THEMES = [["Curriculum design", "Tracking and monitoring"], ["Learner voice"],
              ["Curriculum design", "Moderation of assessment"], ["Tracking and monitoring"],
              ["Learner voice", "Leadership of change"]]
VSE_PATHS = {"proposed": [], "scheduled": ["schedule"], "in_progress": ["schedule", "start"],
             "reported": ["schedule", "start", "report"],
             "closed": ["schedule", "start", "report", "close"], "cancelled": ["cancel"]}
VSE_GRADES = {"1.3": ([3, 4, 5], [1, 3, 1]), "2.3": ([3, 4, 5], [2, 3, 1]),
              "3.2": ([3, 4, 5], [1, 3, 1])}


def _vse_plan(year: Year, near: date, past: bool) -> tuple[str, date, date, date]:
    """Session, planning date, visit start and end: three days of one school week, before
    today when `past`, else after it."""
    from app.core.schemas import session_of

    start, end = year.week(near, past)
    return session_of(start), start - timedelta(days=28), start, end


def _demo_vse(session: Session, system: Principal, authority: Authority, year: Year) -> int:
    """VSE cycles of the demo officer's schools in every status: last session's closed and
    reported, this session's reported, in progress, scheduled (at the demo headteacher's
    school, which also had one reported last session), proposed and cancelled. Dates: what
    happened before today, what is scheduled after it."""
    from app.assurance.vse import service as vse
    from app.assurance.vse.models import VseCycle
    from app.assurance.vse.schemas import TeamMember, ValidatedEvaluation, VseCreate, VseUpdate

    if session.scalars(select(col(VseCycle.id)).where(
            col(VseCycle.authority_id) == authority.id)).first():
        return 0
    officer = user(session, OFFICER)
    if officer is None:
        return 0
    theirs = headteacher_schools(session)
    linked = caseload(session, officer)
    own = [s for s in linked if s.id in theirs][:1]
    others = [s for s in linked if s.id not in theirs]
    if len(others) < 6:
        return 0
    head = own[0] if own else others[5]
    team = [TeamMember(user_id=officer.id, role="officer"),
            TeamMember(name="Fiona Reid", role="associate_assessor"),
            TeamMember(name="Headteacher, St Mary's Primary", role="peer_headteacher")]
    cycles = [  # school, status, trigger, (session, planning, start, end)
        (others[0], "closed", "authority_directed", _vse_plan(year, year.in_last(11, 4), True)),
        (head, "reported", "school_requested", _vse_plan(year, year.in_last(2, 3), True)),
        (others[1], "reported", "authority_directed", _vse_plan(year, year.past(0.3), True)),
        (others[2], "in_progress", "authority_directed", _vse_plan(year, year.today, True)),
        (head, "scheduled", "authority_directed", _vse_plan(year, year.ahead(12), False)),
        (others[3], "proposed", "authority_directed", _vse_plan(year, year.ahead(35), False)),
        (others[4], "cancelled", "school_requested", _vse_plan(year, year.ahead(25), False)),
    ]
    for n, (school, status, trigger, (name, planning, start, end)) in enumerate(cycles):
        draw = rng("vse", school.code, name)
        done = status in ("reported", "closed")
        cycle = vse.create_vse_cycle(session, system, VseCreate(
            establishment_id=school.id, session=name, trigger=trigger,
            indicator_codes=list(VSE_GRADES), team=team,
            themes=VSE_THEMES[n % len(VSE_THEMES)] if done else [],
            planning_date=planning, visit_start=start, visit_end=end,
            request_reason="We would value a validation of our self-evaluation of 2.3."
            if trigger == "school_requested" else None,
            summary="Self-evaluation is accurate in 1.3; 2.3 is graded one point lower than the "
                    "school's own view." if done else ""))
        for action in VSE_PATHS[status]:
            if action == "report":
                vse.update_vse_cycle(session, system, cycle.id, VseUpdate(evaluations=[
                    ValidatedEvaluation(indicator_code=code, grade=draw.choices(*weights)[0],
                                        strengths="Clear, shared vision for improvement",
                                        next_steps="Sharpen the use of data to plan next steps")
                    for code, weights in VSE_GRADES.items()]), ANYONE)
            vse.transition_vse_cycle(session, system, cycle.id, action, ANYONE,
                                     reason=VSE_CANCELLED if action == "cancel" else None)
    return len(cycles)
