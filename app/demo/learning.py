"""The demo's professional learning: this session's trios, formed as the authority would
(proposed from every open primary), with the meetings held so far attended; North
Lanarkshire's and the West Partnership's CLPL around today, with attendance and evaluations."""

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.types import utcnow
from app.demo.common import ANYONE, headteacher_schools
from app.demo.common import region as demo_region
from app.demo.year import Year, rng, school_day
from app.identity.principal import Principal
from app.organisations.models import Authority, Establishment

TRIO_NOTES = ["Shared self-evaluation of 1.3; agreed a focus on tracking.",
              "Each school brought evidence of learner voice; agreed a joint learning walk.",
              "Reviewed the peer review's findings; planned the next one."]


def _demo_trios(session: Session, system: Principal, authority: Authority, year: Year) -> int:
    """This session's trios as the authority would form them: proposed from every open primary
    (as if all opted in), the demo headteacher's school among them. All have their meetings
    planned; those already held have their attendance, and the first trio a peer review."""
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
        session=year.current, authority_id=authority.id, establishment_ids=primaries,
        indicator_codes=["1.3", "3.2"]))
    theirs = headteacher_schools(session)
    groups = sorted(proposal.groups, key=lambda g: not any(
        m.establishment_id in theirs for m in g.members))[:4]
    made = []
    for n, group in enumerate(groups, start=1):
        made.append(trios.create_trio(session, system, TrioCreate(
            session=year.current, kind=group.kind, area=group.area,
            name=f"{group.area} {group.kind} {n}",
            indicator_codes=group.indicator_codes,
            members=[MemberIn(establishment_id=m.establishment_id, headteacher_id=m.headteacher_id)
                     for m in group.members])))
    for trio in made:
        trio_meetings.plan_meetings(session, system, trio.id)
    for n, trio in enumerate(made):
        meetings = session.scalars(select(TrioMeeting).where(col(TrioMeeting.trio_id) == trio.id)
                                   .order_by(col(TrioMeeting.sequence)))
        held = [m for m in meetings if m.meeting_date <= year.today]
        for meeting in held:
            draw = rng("trio", trio.name, meeting.sequence)
            trio_meetings.update_meeting(session, system, trio.id, meeting.id, MeetingUpdate(
                attendance=[AttendanceEntry(establishment_id=m.establishment_id,
                                            status=draw.choices(["present", "apologies"],
                                                                [6, 1])[0])
                            for m in trio.members],
                notes=draw.choice(TRIO_NOTES)), ANYONE)
        if n == 0 and held and len(trio.members) > 1:
            day = held[0].meeting_date + (year.today - held[0].meeting_date) // 2
            while not school_day(day) and day > held[0].meeting_date:
                day -= timedelta(days=1)
            trio_meetings.record_peer_review(session, system, trio.id, PeerReviewCreate(
                visited_establishment_id=trio.members[1].establishment_id, date=day,
                indicator_code="2.3",
                strengths="Learners articulate their next steps confidently.",
                next_steps="Sharpen plenaries to check understanding before moving on."))
    return len(made)



CLPL_PEOPLE = ["Ailsa Brown", "Callum Reid", "Eilidh Fraser", "Fraser Wilson", "Iona Stewart",
               "Jamie Campbell", "Kirsty Murray", "Lewis Paterson", "Mhairi Ross", "Niall Kerr",
               "Rhona Grant", "Stuart Hamilton"]
# (before, after) for knowledge, understanding and confidence: a mean change about 1.1.
CLPL_RATINGS = [((2, 2, 3), (3, 4, 4)), ((3, 2, 2), (4, 3, 3)), ((2, 3, 2), (4, 4, 3)),
                ((3, 3, 3), (4, 4, 4)), ((1, 2, 2), (2, 3, 4)), ((2, 2, 2), (3, 3, 3))]


def _demo_clpl(session: Session, system: Principal, authority: Authority, year: Year) -> int:
    """North Lanarkshire's and the West Partnership's CLPL: a past course and a past network
    with attendance and evaluations, a full course with a waiting list (and a cancellation
    that promoted the first waiting), an online conference and a cancelled event. Times are
    relative to now, so past events can be attended and future ones booked."""
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

    region = demo_region(session)
    if session.scalars(select(col(ClplEvent.id)).where(
            (col(ClplEvent.authority_id) == authority.id) | (col(ClplEvent.region_id) == region.id)
    )).first():
        return 0
    schools = list(session.scalars(select(Establishment).where(
        col(Establishment.authority_id) == authority.id, col(Establishment.sector) == "primary")
        .order_by(col(Establishment.code)).limit(6)))
    today = utcnow().replace(hour=15, minute=30, second=0, microsecond=0)
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
    anyone = ANYONE
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
