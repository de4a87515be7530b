"""Demo data for development: the West Partnership's councils, clusters and real schools,
and one user of each role. Idempotent; refused in production."""

import csv
from datetime import date
from decimal import Decimal
from importlib import resources

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.http import IfMatch
from app.identity import service as identity
from app.identity.models import User
from app.identity.principal import Principal, Role
from app.identity.schemas import UserCreate
from app.organisations.models import Authority, Cluster, Establishment, Region

NIF_ACHIEVEMENT = "Improvement in achievement, particularly in literacy and numeracy"
NIF_WELLBEING = "Improvement in children and young people's health and wellbeing"
DEMO_PASSWORD = "demo-password-2025"  # noqa: S105 - documented, development only
DEMO_AUTHORITY = "S12000050"  # North Lanarkshire
DEMO_REGION = "west-partnership"


def seed_demo(session: Session, system: Principal) -> dict[str, int]:
    authorities = {a.code: a for a in session.scalars(select(Authority))}
    clusters = {(c.authority_id, c.name): c for c in session.scalars(select(Cluster))}
    existing = set(session.scalars(select(col(Establishment.code))))
    counts = {"clusters": 0, "establishments": 0, "users": 0}
    text = resources.files("app.reference").joinpath("west_partnership_establishments.csv")
    with text.open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            authority = authorities[row["authority_code"]]
            cluster = None
            if row["cluster"]:
                key = (authority.id, row["cluster"])
                cluster = clusters.get(key)
                if cluster is None:
                    cluster = Cluster(authority_id=authority.id, name=row["cluster"],
                                      area=row["area"] or None)
                    session.add(cluster)
                    clusters[key] = cluster
                    counts["clusters"] += 1
            if row["code"] in existing:
                continue
            session.add(Establishment(
                code=row["code"], name=row["name"], sector=row["sector"],
                authority_id=authority.id, cluster_id=cluster.id if cluster else None,
                area=row["area"] or None, roll=int(row["roll"]),
                simd_q1_percent=Decimal(row["simd_q1_percent"]) if row["simd_q1_percent"] else None,
                gaelic_medium=row["gaelic_medium"] == "true",
            ))
            counts["establishments"] += 1
    session.flush()
    counts["users"] = _demo_users(session, system, authorities[DEMO_AUTHORITY])
    counts["plans"] = _demo_planning(session, system, authorities[DEMO_AUTHORITY])
    counts["vse_cycles"] = _demo_vse(session, system, authorities[DEMO_AUTHORITY])
    counts["visits"] = _demo_assurance(session, system, authorities[DEMO_AUTHORITY])
    return counts


def _demo_users(session: Session, system: Principal, authority: Authority) -> int:
    region = session.scalars(select(Region).where(col(Region.code) == DEMO_REGION)).one()
    school = session.scalars(
        select(Establishment).where(col(Establishment.authority_id) == authority.id,
                                    col(Establishment.sector) == "primary")
        .order_by(col(Establishment.code))
    ).first()
    assert school is not None
    people = [
        UserCreate(email="admin@demo.sih.scot", name="Demo Admin", password=DEMO_PASSWORD,
                   role=Role.admin),
        UserCreate(email="officer@demo.sih.scot", name="Morag Officer", password=DEMO_PASSWORD,
                   role=Role.officer, authority_id=authority.id, is_authority_admin=True),
        UserCreate(email="headteacher@demo.sih.scot", name="Iain Headteacher",
                   password=DEMO_PASSWORD, role=Role.headteacher, establishment_ids=[school.id]),
        UserCreate(email="lead@demo.sih.scot", name="Ruth Regional Lead", password=DEMO_PASSWORD,
                   role=Role.regional_lead, region_id=region.id),
    ]
    added = 0
    for person in people:
        if session.scalars(select(col(User.id)).where(col(User.email) == person.email)).first():
            continue
        user = identity.create_user(session, system, person, is_demo=True)
        added += 1
        if person.role == Role.officer:
            # The demo officer is link officer for a handful of schools, as in real life.
            for establishment in session.scalars(
                select(Establishment).where(col(Establishment.authority_id) == authority.id)
                .order_by(col(Establishment.code)).limit(12)
            ):
                establishment.link_officer_id = user.id
    session.flush()
    return added


def demo_users_present(session: Session) -> bool:
    return session.scalars(select(col(User.id)).where(col(User.is_demo))).first() is not None


PLAN_STATES = ["draft", "submitted", "returned", "agreed", "agreed", "draft"]


def _demo_planning(session: Session, system: Principal, authority: Authority) -> int:
    """This session's plans in every state, last session's closed with agreed reports."""
    from app.planning import calendar, plans, reports
    from app.planning.models import ImprovementPlan
    from app.planning.schemas import (
        CalendarPut,
        Evaluation,
        PlanCreate,
        PriorityCreate,
        PriorityProgressEntry,
        ReportCreate,
    )

    if session.scalars(select(col(ImprovementPlan.id)).where(
            col(ImprovementPlan.authority_id) == authority.id)).first():
        return 0
    anyone = IfMatch("*")
    for name, plan_due, report_due in (("2025-26", "2025-09-30", "2026-06-26"),
                                       ("2026-27", "2026-09-30", "2027-06-25")):
        calendar.put_calendar(session, system, authority.id, name, CalendarPut(
            plan_due=date.fromisoformat(plan_due), report_due=date.fromisoformat(report_due)),
            anyone)
    schools = list(session.scalars(
        select(Establishment).where(col(Establishment.authority_id) == authority.id,
                                    col(Establishment.sector) == "primary")
        .order_by(col(Establishment.code)).limit(len(PLAN_STATES))))
    priorities = [
        PriorityCreate(title="Raise attainment in numeracy", indicator_codes=["2.3", "3.2"],
                       nif_priorities=[NIF_ACHIEVEMENT], nif_drivers=["Curriculum and assessment"],
                       rationale="Tracking shows a dip in P4 numeracy.",
                       pef_allocation=Decimal("8000.00")),
        PriorityCreate(title="Wellbeing and inclusion", indicator_codes=["3.1"],
                       nif_priorities=[NIF_WELLBEING], nif_drivers=["School and ELC leadership"]),
    ]
    made = 0
    for school, state in zip(schools, PLAN_STATES, strict=False):
        last = plans.create_plan(session, system, PlanCreate(
            establishment_id=school.id, session="2025-26", title="School improvement plan"))
        ids = [plans.create_priority(session, system, last.id, p).id for p in priorities]
        for action in ("submit", "agree", "close"):
            plans.transition_plan(session, system, last.id, action, "Agreed at review meeting",
                                  anyone)
        report = reports.create_report(session, system, ReportCreate(
            establishment_id=school.id, session="2025-26",
            evaluations=[Evaluation(indicator_code=c, grade=g, evaluative_text="See evidence")
                         for c, g in zip(("1.3", "2.3", "3.1", "3.2"), (4, 4, 5, 3), strict=True)],
            priority_progress=[PriorityProgressEntry(priority_id=i, rag="green") for i in ids]))
        for action in ("submit", "agree"):
            reports.transition_report(session, system, report.id, action, None, anyone)
        current = plans.create_plan(session, system, PlanCreate(
            establishment_id=school.id, session="2026-27", title="School improvement plan"))
        plans.create_priority(session, system, current.id, priorities[0])
        path = {"draft": [], "submitted": ["submit"], "returned": ["submit", "return"],
                "agreed": ["submit", "agree"]}[state]
        for action in path:
            plans.transition_plan(session, system, current.id, action,
                                  "Please add a measurable outcome." if action == "return" else None,
                                  anyone)
        made += 2
    return made


VSE_STATES = ["reported", "proposed", "scheduled", "in_progress", "closed", "cancelled"]
VSE_THEMES = [["Curriculum design", "Tracking and monitoring"], ["Learner voice"],
              ["Curriculum design", "Moderation of assessment"], ["Tracking and monitoring"],
              ["Learner voice", "Leadership of change"], []]


def _demo_vse(session: Session, system: Principal, authority: Authority) -> int:
    """VSE cycles in every state, with teams, grades and themes. The demo headteacher's school
    has a reported one, so that headteacher sees a VSE too."""
    from app.assurance import vse
    from app.assurance.models import VseCycle
    from app.assurance.vse_schemas import TeamMember, ValidatedEvaluation, VseCreate, VseUpdate

    if session.scalars(select(col(VseCycle.id)).where(
            col(VseCycle.authority_id) == authority.id)).first():
        return 0
    anyone = IfMatch("*")
    officer = session.scalars(select(User).where(col(User.email) == "officer@demo.sih.scot")).first()
    team = [TeamMember(name="Fiona Reid", role="associate_assessor"),
            TeamMember(name="Headteacher, St Mary's Primary", role="peer_headteacher")]
    if officer is not None:
        team.insert(0, TeamMember(user_id=officer.id, role="officer"))
    schools = session.scalars(
        select(Establishment).where(col(Establishment.authority_id) == authority.id,
                                    col(Establishment.sector) == "primary")
        .order_by(col(Establishment.code)).limit(len(VSE_STATES)))
    grades = {"1.3": 4, "2.3": 3, "3.2": 4}
    path = {"proposed": [], "scheduled": ["schedule"], "in_progress": ["schedule", "start"],
            "reported": ["schedule", "start", "report"],
            "closed": ["schedule", "start", "report", "close"], "cancelled": ["cancel"]}
    made = 0
    for i, (school, state) in enumerate(zip(schools, VSE_STATES, strict=False)):
        done = state in ("reported", "closed", "cancelled")
        year = 2025 if done else 2026
        cycle = vse.create_vse_cycle(session, system, VseCreate.model_validate({
            "establishment_id": school.id, "session": f"{year}-{(year + 1) % 100:02d}",
            "trigger": "school_requested" if i % 2 else "authority_directed",
            "indicator_codes": list(grades), "team": team, "themes": VSE_THEMES[i],
            "planning_date": date(year, 10, 6 + i), "visit_start": date(year, 11, 3 + i),
            "visit_end": date(year, 11, 5 + i),
            "summary": "Self-evaluation is accurate in 1.3; 2.3 is graded one point lower than "
                       "the school's own view." if done else "",
        }))
        for action in path[state]:
            if action == "report":
                vse.update_vse_cycle(session, system, cycle.id, VseUpdate(evaluations=[
                    ValidatedEvaluation(indicator_code=code, grade=grade,
                                        strengths="Clear, shared vision for improvement",
                                        next_steps="Sharpen the use of data to plan next steps")
                    for code, grade in grades.items()]), anyone)
            vse.transition_vse_cycle(session, system, cycle.id, action, anyone)
        made += 1
    return made


def _demo_assurance(session: Session, system: Principal, authority: Authority) -> int:
    """The demo officer's link schools: an agreed support status each, and this session's
    visits (a draft still on the phone, final ones shared with the school or not)."""
    from app.assurance import support, visits
    from app.assurance.models import Visit
    from app.assurance.schemas import SupportStatusPut, VisitCreate

    officer = session.scalars(select(User).where(col(User.email) == "officer@demo.sih.scot")).one()
    if session.scalars(select(col(Visit.id)).where(col(Visit.officer_id) == officer.id)).first():
        return 0
    schools = list(session.scalars(select(Establishment).where(
        col(Establishment.link_officer_id) == officer.id).order_by(col(Establishment.code))))
    statuses = [("green", "universal", "performing_consistently_well"),
                ("amber", "additional", "new_headteacher"),
                ("red", "intensive", "urgent_improvement_needed"),
                ("amber", "additional", "extra_support_needed")]
    made = 0
    for n, school in enumerate(schools):
        rag, level, reason = statuses[n % len(statuses)]
        support.set_status(session, system, school.id, SupportStatusPut(
            rag=rag, level=level, reasons=[reason], agreed_on=date(2026, 9, 4),
            agreed_with="Headteacher", notes="Agreed at the first support and challenge visit."),
            IfMatch("*"))
        for visit_number, (day, kind) in enumerate(
                [(date(2026, 9, 4), "support_and_challenge"), (date(2026, 10, 9), "plan_review"),
                 (date(2026, 11, 13), "learning_teaching_review")][: 1 + n % 3]):
            visits.create_visit(session, system, VisitCreate(
                establishment_id=school.id, officer_id=officer.id, visit_date=day, kind=kind,
                indicator_codes=["2.3"] if school.sector != "elc" else ["1.3"],
                notes="Learning walk with the headteacher; pupil focus group.",
                strengths="Relationships; clear learning intentions.",
                next_steps="Moderate writing across the cluster.",
                shared_with_school=visit_number % 2 == 0,
                status="draft" if (n + visit_number) % 5 == 4 else "final"))
            made += 1
    return made
