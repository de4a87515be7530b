"""Demo data for development: the West Partnership's councils, clusters and real schools,
and one user of each role. Idempotent; refused in production."""

import csv
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.conditional import IfMatch
from app.core.text import fold
from app.identity import service as identity
from app.identity.models import User
from app.identity.principal import Principal, Role
from app.identity.schemas import UserCreate
from app.organisations.models import Area, Authority, Cluster, Establishment, Region

NIF_ACHIEVEMENT = "Improvement in achievement, particularly in literacy and numeracy"
NIF_WELLBEING = "Improvement in children and young people's health and wellbeing"
DEMO_PASSWORD = "demo-password-2025"  # noqa: S105 - documented, development only
DEMO_AUTHORITY = "S12000050"  # North Lanarkshire
DEMO_REGION = "west-partnership"


def seed_demo(session: Session, system: Principal) -> dict[str, int]:
    authorities = {a.code: a for a in session.scalars(select(Authority))}
    clusters = {(c.authority_id, c.name): c for c in session.scalars(select(Cluster))}
    areas = {(a.authority_id, fold(a.name)): a for a in session.scalars(select(Area))}
    existing = set(session.scalars(select(col(Establishment.code))))
    counts = {"areas": 0, "clusters": 0, "establishments": 0, "users": 0}

    def area_of(authority: Authority, name: str) -> Area | None:
        """The authority's area of that name (folded: one area however it is spelt)."""
        if not fold(name):
            return None
        key = (authority.id, fold(name))
        if key not in areas:
            areas[key] = Area(authority_id=authority.id, name=name, former_names=[])
            session.add(areas[key])
            counts["areas"] += 1
        return areas[key]

    text = resources.files("app.reference").joinpath("west_partnership_establishments.csv")
    with text.open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            authority = authorities[row["authority_code"]]
            area = area_of(authority, row["area"])
            cluster = None
            if row["cluster"]:
                key = (authority.id, row["cluster"])
                cluster = clusters.get(key)
                if cluster is None:
                    cluster = Cluster(authority_id=authority.id, name=row["cluster"],
                                      area_id=area.id if area else None,
                                      area=area.name if area else None)
                    session.add(cluster)
                    clusters[key] = cluster
                    counts["clusters"] += 1
            if row["code"] in existing:
                continue
            session.add(Establishment(
                code=row["code"], name=row["name"], sector=row["sector"],
                authority_id=authority.id, cluster_id=cluster.id if cluster else None,
                area_id=area.id if area else None, area=area.name if area else None,
                roll=int(row["roll"]),
                simd_q1_percent=Decimal(row["simd_q1_percent"]) if row["simd_q1_percent"] else None,
                gaelic_medium=row["gaelic_medium"] == "true",
            ))
            counts["establishments"] += 1
    session.flush()
    counts["users"] = _demo_users(session, system, authorities[DEMO_AUTHORITY])
    counts["plans"] = _demo_planning(session, system, authorities[DEMO_AUTHORITY])
    counts["vse_cycles"] = _demo_vse(session, system, authorities[DEMO_AUTHORITY])
    counts["visits"] = _demo_assurance(session, system, authorities[DEMO_AUTHORITY])
    counts["trios"] = _demo_trios(session, system, authorities[DEMO_AUTHORITY])
    counts["clpl_events"] = _demo_clpl(session, system, authorities[DEMO_AUTHORITY])
    counts.update(_demo_performance(session, system))
    counts["critical_indicators"] = _demo_insight(session, system, authorities[DEMO_AUTHORITY])
    return counts


# The published files' rows for the demo's region and schools (app/reference/demo_*.csv, taken
# as published from ../shared/data/schools-scotland: the ACEL release for the West Partnership's
# councils and Scotland; the 2025 school statistics and the FOI inspection list for the demo's
# schools), imported through the imports themselves, as a council would.
DEMO_PERFORMANCE: tuple[tuple[str, str, dict[str, str]], ...] = (("acel", "demo_acel.csv", {}),
                    ("school-statistics", "demo_school_statistics.csv", {"session": "2025-26"}),
                    ("inspections", "demo_inspections.csv", {}))


def _demo_performance(session: Session, system: Principal) -> dict[str, int]:
    from app.integration.imports.service import run_import
    from app.performance.models import AcelFigure

    if session.scalars(select(col(AcelFigure.id))).first() is not None:
        return {}
    counts = {}
    for kind, name, options in DEMO_PERFORMANCE:
        body = resources.files("app.reference").joinpath(name).read_bytes()
        report = run_import(session, system, kind, [body], "text/csv", partial=True,
                            options=options)
        counts[kind] = report.created
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
        Outcome,
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
                       outcomes=[Outcome(description="P4 on track in numeracy",
                                         measure="% of P4 achieving first level numeracy",
                                         unit="percent", baseline="64", target="75")],
                       pef_allocation=Decimal("8000.00")),
        PriorityCreate(title="Wellbeing and inclusion", indicator_codes=["3.1"],
                       nif_priorities=[NIF_WELLBEING], nif_drivers=["School and ELC leadership"],
                       outcomes=[Outcome(description="Pupils feel safe and included",
                                         measure="% of pupils agreeing in the wellbeing survey",
                                         unit="percent", baseline="71", target="85")]),
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
VSE_CANCELLED = "The school's new headteacher starts in January: the VSE is better next session."
VSE_THEMES = [["Curriculum design", "Tracking and monitoring"], ["Learner voice"],
              ["Curriculum design", "Moderation of assessment"], ["Tracking and monitoring"],
              ["Learner voice", "Leadership of change"], []]


def _demo_vse(session: Session, system: Principal, authority: Authority) -> int:
    """VSE cycles in every state, with teams, grades and themes. The demo headteacher's school
    has a reported one, so that headteacher sees a VSE too."""
    from app.assurance.vse import service as vse
    from app.assurance.vse.models import VseCycle
    from app.assurance.vse.schemas import TeamMember, ValidatedEvaluation, VseCreate, VseUpdate

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
            vse.transition_vse_cycle(session, system, cycle.id, action, anyone,
                                     reason=VSE_CANCELLED if action == "cancel" else None)
        made += 1
    return made


# The demo session's visits: (day, kind), as many as a school gets (1 to 5: schools below the
# authority's minimum of 4 and at or above it; attainment reviews are not counted).
DEMO_VISITS = [(date(2026, 9, 4), "support_and_challenge"), (date(2026, 10, 9), "plan_review"),
               (date(2026, 11, 13), "learning_teaching_review"),
               (date(2026, 11, 20), "support_and_challenge"), (date(2026, 11, 27), "vse")]
# The next visit each school has planned, its agenda sent ahead (or not yet).
DEMO_PLANNED = [(date(2027, 1, 20), "support_and_challenge", "Writing attainment, P4 to P7",
                 "Tracking of writing against CfE levels; moderation with the cluster; "
                 "the PEF-funded writing group's impact."),
                (date(2027, 2, 10), "attainment_review", "Numeracy at first level",
                 "P4 numeracy ACEL against the stretch aim; interventions and their measures.")]


def _demo_assurance(session: Session, system: Principal, authority: Authority) -> int:
    """The demo officer's link schools: an agreed support status each, and this session's
    visits (a draft still on the phone, final ones shared with the school or not, some schools
    below the minimum and some above it), and the next visit planned with its agenda."""
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
        for visit_number, (day, kind) in enumerate(DEMO_VISITS[: 1 + n % len(DEMO_VISITS)]):
            visits.create_visit(session, system, VisitCreate(
                establishment_id=school.id, officer_id=officer.id, visit_date=day, kind=kind,
                indicator_codes=["2.3"] if school.sector != "elc" else ["1.3"],
                notes="Learning walk with the headteacher; pupil focus group.",
                strengths="Relationships; clear learning intentions.",
                next_steps="Moderate writing across the cluster.",
                shared_with_school=visit_number % 2 == 0,
                status="draft" if (n + visit_number) % 7 == 6 else "final"))
            made += 1
        day, kind, focus, agenda = DEMO_PLANNED[n % len(DEMO_PLANNED)]
        visits.create_visit(session, system, VisitCreate(
            establishment_id=school.id, officer_id=officer.id, visit_date=day, kind=kind,
            focus=focus, agenda=agenda, status="planned", shared_with_school=n % 3 != 2,
            indicator_codes=["2.3"] if school.sector != "elc" else ["1.3"]))
        made += 1
    return made


def _demo_trios(session: Session, system: Principal, authority: Authority) -> int:
    """This session's trios as the authority would form them: proposed from every open primary
    (as if all opted in), the demo headteacher's school among them. All have their meetings
    planned; the first has had its autumn meetings and a peer review."""
    from app.identity.models import HeadteacherEstablishment
    from app.learning.trios import meetings as trio_meetings
    from app.learning.trios import proposals as trio_proposals
    from app.learning.trios import service as trios
    from app.learning.trios.models import Trio, TrioMeeting
    from app.learning.trios.schemas import (
        AttendanceEntry,
        MeetingUpdate,
        MemberIn,
        PeerReviewCreate,
        ProposalRequest,
        TrioCreate,
    )

    if session.scalars(select(col(Trio.id)).where(col(Trio.authority_id) == authority.id)).first():
        return 0
    primaries = list(session.scalars(select(col(Establishment.id)).where(
        col(Establishment.authority_id) == authority.id, col(Establishment.sector) == "primary",
        col(Establishment.status) == "open")))
    proposal = trio_proposals.propose_trios(session, system, ProposalRequest(
        session="2026-27", authority_id=authority.id, establishment_ids=primaries,
        indicator_codes=["1.3", "3.2"]))
    theirs = set(session.scalars(
        select(col(HeadteacherEstablishment.establishment_id)).join(
            User, col(User.id) == col(HeadteacherEstablishment.user_id))
        .where(col(User.email) == "headteacher@demo.sih.scot")))
    groups = sorted(proposal.groups, key=lambda g: not any(
        m.establishment_id in theirs for m in g.members))[:4]
    made = []
    for n, group in enumerate(groups, start=1):
        made.append(trios.create_trio(session, system, TrioCreate(
            session="2026-27", kind=group.kind, area=group.area,
            name=f"{group.area} {group.kind} {n}",
            indicator_codes=group.indicator_codes,
            members=[MemberIn(establishment_id=m.establishment_id, headteacher_id=m.headteacher_id)
                     for m in group.members])))
    for trio in made:
        trio_meetings.plan_meetings(session, system, trio.id)
    if made:
        first = made[0]
        meetings = session.scalars(select(TrioMeeting).where(col(TrioMeeting.trio_id) == first.id)
                                   .order_by(col(TrioMeeting.sequence)))
        for meeting, status in zip(list(meetings)[:2], ("present", "apologies"), strict=True):
            trio_meetings.update_meeting(session, system, first.id, meeting.id, MeetingUpdate(
                attendance=[AttendanceEntry(establishment_id=m.establishment_id,
                                            status="present" if i else status)
                            for i, m in enumerate(first.members)],
                notes="Shared self-evaluation of 1.3; agreed a focus on tracking."), IfMatch("*"))
        trio_meetings.record_peer_review(session, system, first.id, PeerReviewCreate(
            visited_establishment_id=first.members[1].establishment_id, date=date(2026, 11, 18),
            indicator_code="2.3", strengths="Learners articulate their next steps confidently.",
            next_steps="Sharpen plenaries to check understanding before moving on."))
    return len(made)



CLPL_PEOPLE = ["Ailsa Brown", "Callum Reid", "Eilidh Fraser", "Fraser Wilson", "Iona Stewart",
               "Jamie Campbell", "Kirsty Murray", "Lewis Paterson", "Mhairi Ross", "Niall Kerr",
               "Rhona Grant", "Stuart Hamilton"]
# (before, after) for knowledge, understanding and confidence: a mean change about 1.1.
CLPL_RATINGS = [((2, 2, 3), (3, 4, 4)), ((3, 2, 2), (4, 3, 3)), ((2, 3, 2), (4, 4, 3)),
                ((3, 3, 3), (4, 4, 4)), ((1, 2, 2), (2, 3, 4)), ((2, 2, 2), (3, 3, 3))]


def _demo_clpl(session: Session, system: Principal, authority: Authority) -> int:
    """North Lanarkshire's and the West Partnership's CLPL: a past course and a past network
    with attendance and evaluations, a full course with a waiting list (and a cancellation
    that promoted the first waiting), an online conference and a cancelled event. Times are
    relative to now, so past events can be attended and future ones booked."""
    from datetime import UTC, datetime, timedelta

    from app.learning.clpl import registrations as clpl_registrations
    from app.learning.clpl import service as clpl
    from app.learning.clpl.models import ClplEvent
    from app.learning.clpl.schemas import (
        ClplAttendance,
        ClplEvaluationCreate,
        ClplEventCreate,
        ClplEventStatus,
        ClplEventUpdate,
        ClplRegistrationCreate,
        Participant,
        Ratings,
    )

    region = session.scalars(select(Region).where(col(Region.code) == DEMO_REGION)).one()
    if session.scalars(select(col(ClplEvent.id)).where(
            (col(ClplEvent.authority_id) == authority.id) | (col(ClplEvent.region_id) == region.id)
    )).first():
        return 0
    schools = list(session.scalars(select(Establishment).where(
        col(Establishment.authority_id) == authority.id, col(Establishment.sector) == "primary")
        .order_by(col(Establishment.code)).limit(6)))
    today = datetime.now(UTC).replace(hour=15, minute=30, second=0, microsecond=0)
    owner_nl, owner_wp = {"authority_id": authority.id}, {"region_id": region.id}
    plans = [  # title, level, owner, audience, days from now, capacity, bookings, provider
        ("Number talks in the early years", "universal", owner_nl, ["teachers"], -21, 12, 10,
         "North Lanarkshire Council"),
        ("Headteacher network: leadership of change", "additional", owner_wp, ["headteachers"],
         -45, 25, 8, "West Partnership"),
        ("Middle leaders: leading change", "intensive", owner_nl, ["middle_leaders"], 14, 6, 9,
         "North Lanarkshire Council"),
        ("Moderation of writing at second level", "universal", owner_wp,
         ["teachers", "middle_leaders"], 30, 40, 5, "West Partnership"),
        ("Outdoor learning in ELC", "universal", owner_nl, ["elc_practitioners"], 60, 20, 0,
         "Education Scotland"),
    ]
    events = []
    anyone = IfMatch("*")
    for title, level, owner, audience, days, capacity, bookings, provider in plans:
        starts = today + timedelta(days=days)
        # Bookings close when an event starts: a past event is booked while still to come,
        # then moved to the day it was held.
        booking_opens = max(starts, today + timedelta(days=1))
        online = owner is owner_wp and days > 0
        event = clpl.create_event(session, system, ClplEventCreate.model_validate({
            "title": title, "level": level, "provider": provider, **owner, "audience": audience,
            "indicator_codes": ["1.3"] if "lead" in title.lower() else ["2.3"],
            "nif_drivers": ["Teacher and practitioner professionalism"],
            "starts_at": booking_opens, "ends_at": booking_opens + timedelta(hours=2),
            "location": None if online else "Civic Centre, Motherwell",
            "online_url": "https://meet.example.scot/clpl" if online else None,
            "capacity": capacity}))
        people = [Participant(
            name=name, email=f"{name.lower().replace(' ', '.')}@demo-school.example.scot",
            establishment_id=schools[n % len(schools)].id if schools else None,
            role="Headteacher" if "Headteacher" in title else "Class teacher")
            for n, name in enumerate(CLPL_PEOPLE[:bookings])]
        events.append((event, [clpl_registrations.register(
            session, system, event.id, ClplRegistrationCreate(participant=p)) for p in people]))
        if booking_opens != starts:
            clpl.update_event(session, system, event.id, ClplEventUpdate(
                starts_at=starts, ends_at=starts + timedelta(hours=2)), anyone)
    for event, registrations in events[:2]:  # the past ones: most came, most evaluated
        came = registrations[:-2] if len(registrations) > 2 else registrations
        clpl_registrations.mark_attendance(session, system, event.id, ClplAttendance(
            registration_ids=[r.id for r in came], attended=True))
        if registrations[len(came):]:
            clpl_registrations.mark_attendance(session, system, event.id, ClplAttendance(
                registration_ids=[r.id for r in registrations[len(came):]], attended=False))
        for registration, (before, after) in zip(came, CLPL_RATINGS, strict=False):
            clpl_registrations.submit_evaluation(session, system, event.id, ClplEvaluationCreate(
                registration_id=registration.id,
                before=Ratings(knowledge=before[0], understanding=before[1], confidence=before[2]),
                after=Ratings(knowledge=after[0], understanding=after[1], confidence=after[2]),
                comment="Practical ideas I have used with my class."))
    full, full_registrations = events[2]  # 6 places, 9 booked: one cancels, the first waiting moves up
    clpl_registrations.cancel(session, system, full.id, full_registrations[1].id, anyone)
    clpl.update_event(session, system, events[4][0].id,
                      ClplEventUpdate(status=ClplEventStatus.cancelled), anyone)
    return len(events)


# The West Partnership's critical indicators (Regional Improvement Plan 2019-22, "Critical
# Indicators - updated"): name, unit, direction, source, 2016-17 baseline, 2017-18 value,
# 2020-21 target; None where the plan says TBC or N/A (kept in the note). The ACEL ones are
# computed from the published ACEL figures (the plan's own 2017-18 value kept in the note).
WEST_PARTNERSHIP_INDICATORS: list[tuple[str, str, str, str, Any, Any, Any]] = [
    ("% of primary pupils (P1, P4 and P7 combined) achieving expected levels or better in literacy "
     "(based on reading, writing and talking and listening)", "%", "higher", "acel:p147:literacy",
     71, 75, 78),
    ("% of primary pupils (P1, P4 and P7 combined) achieving expected levels or better in numeracy",
     "%", "higher", "acel:p147:numeracy", 78, 81, 85),
    ("% of S3 pupils achieving third level or better in literacy (based on reading, writing and "
     "talking and listening)", "%", "higher", "acel:s3-third:literacy", 90, 91, 91),
    ("% of S3 pupils achieving third level or better in numeracy", "%", "higher",
     "acel:s3-third:numeracy", 90, 90, 91),
    ("% of S3 pupils achieving fourth level or better in literacy (based on reading, writing and "
     "talking and listening)", "%", "higher", "acel:s3-fourth:literacy", 47, 54, 55),
    ("% of S3 pupils achieving fourth level or better in numeracy", "%", "higher",
     "acel:s3-fourth:numeracy", 57, 60, 63),
    ("% of leavers achieving 1 or more awards at SCQF Level 6 or better", "%", "higher", "manual",
     63.8, 65, 74),
    ("% of leavers achieving 5 or more awards at SCQF Level 6 or better", "%", "higher", "manual",
     31.6, 33, 35),
    ("% of leavers achieving SCQF Level 5 or better in literacy", "%", "higher", "manual",
     81.8, 82, 86),
    ("% of leavers achieving SCQF Level 5 or better in numeracy", "%", "higher", "manual",
     69.1, 70, 76),
    ("HWB indicators (baseline to be established in August 2019 when SG census has been designed)",
     "%", "higher", "manual", "TBC", "TBC", None),
    # Published as TBC: the service counts it from its own CLPL registrations.
    ("Number of practitioners accessing professional learning opportunities provided by the West "
     "Partnership", "people", "higher", "clpl_participants", "TBC", "TBC", None),
    ("Mean change in staff knowledge, understanding and confidence as a result of the professional "
     "learning", "points", "higher", "manual", "TBC", 1.1, None),
    ("% of establishments evaluated as good or better for leadership of change", "%", "higher",
     "manual", 59, 63, 75),
    ("Primary exclusion rates (rate per 1,000 pupils)", "per 1,000 pupils", "lower", "manual",
     9.9, "N/A", 6.5),
    ("Secondary exclusion rates (rate per 1,000 pupils)", "per 1,000 pupils", "lower", "manual",
     46.8, "N/A", 45),
    ("Primary attendance rates", "%", "higher", "manual", 94.6, "N/A", 95),
    ("Secondary attendance rates", "%", "higher", "manual", 90.7, "N/A", 92),
    ("Initial school leaver destinations", "%", "higher", "manual", 93.6, 94, 95),
    ("% of establishments evaluated as good or better for learning, teaching and assessment", "%",
     "higher", "manual", 80, 66, 75),
]
# North Lanarkshire's own, computed from the service's data (this session's agreed reports).
AUTHORITY_INDICATORS = [
    ("% of establishments self-evaluating leadership of change (QI 1.3) as good or better",
     "qi_good_or_better:1.3"),
    ("% of establishments self-evaluating learning, teaching and assessment (QI 2.3) as good or "
     "better", "qi_good_or_better:2.3"),
]


def _demo_insight(session: Session, system: Principal, authority: Authority) -> int:
    """The West Partnership's published critical indicators with their 2017-18 figures, and two
    of North Lanarkshire's own that the service computes."""
    from app.insight import indicators
    from app.insight.models import CriticalIndicator
    from app.insight.schemas import CriticalIndicatorCreate, CriticalIndicatorValuePut

    region = session.scalars(select(Region).where(col(Region.code) == DEMO_REGION)).one()
    if session.scalars(select(col(CriticalIndicator.id)).where(
            (col(CriticalIndicator.region_id) == region.id)
            | (col(CriticalIndicator.authority_id) == authority.id))).first():
        return 0
    anyone = IfMatch("*")

    def figure(value: Any) -> float | None:
        return None if value is None or isinstance(value, str) else float(value)

    made = 0
    for position, (name, unit, direction, source, baseline, value, target) in enumerate(
            WEST_PARTNERSHIP_INDICATORS, start=1):
        indicator = indicators.create_indicator(session, system, CriticalIndicatorCreate(
            region_id=region.id, name=name, unit=unit, direction=direction, source=source,
            position=position, baseline_session="2016-17", target_session="2020-21"))
        notes = [f"{label} {raw}" for label, raw in (("baseline", baseline), ("value", value))
                 if isinstance(raw, str)]
        if source != "manual" and value is not None and not isinstance(value, str):
            notes.append(f"the plan published {value}; the value is computed from the data")
        indicators.put_value(session, system, indicator.id, "2017-18", CriticalIndicatorValuePut(
            baseline=figure(baseline), target=figure(target),
            value=figure(value) if source == "manual" else None,
            note="; ".join(notes)), anyone)
        made += 1
    for position, (name, source) in enumerate(AUTHORITY_INDICATORS, start=1):
        indicator = indicators.create_indicator(session, system, CriticalIndicatorCreate(
            authority_id=authority.id, name=name, unit="%", direction="higher", source=source,
            position=position))
        indicators.put_value(session, system, indicator.id, "2025-26",
                             CriticalIndicatorValuePut(note="Computed from agreed reports"), anyone)
        made += 1
    return made
