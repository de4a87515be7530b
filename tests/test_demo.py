"""The demo data a newcomer sees at /docs: real West Partnership schools, every role,
plans and reports in every state. Loading it twice adds nothing."""

from sqlalchemy import func
from sqlmodel import Session, select

from app.assurance.vse.models import VseCycle
from app.cli import SYSTEM
from app.demo import seed_demo
from app.identity.models import User
from app.organisations.models import Establishment
from app.planning.models import ImprovementPlan, QualityReport


def test_demo_data_is_rich_and_idempotent(engine, db: Session) -> None:
    with Session(engine, expire_on_commit=False) as session:
        first = seed_demo(session, SYSTEM)
        session.commit()
        again = seed_demo(session, SYSTEM)
        session.commit()
    assert first["establishments"] == 705 and first["users"] == 4
    assert set(again.values()) == {0}, again
    assert db.exec(select(func.count()).select_from(Establishment)).one() == 705
    roles = set(db.exec(select(User.role).where(User.is_demo)))
    assert roles == {"admin", "officer", "headteacher", "regional_lead"}
    statuses = set(db.exec(select(ImprovementPlan.status)))
    assert statuses == {"draft", "submitted", "returned", "agreed", "closed"}
    assert set(db.exec(select(QualityReport.status))) == {"agreed"}
    assert first["vse_cycles"] == 6 and first["visits"] > 12
    assert set(db.exec(select(VseCycle.status))) == {
        "proposed", "scheduled", "in_progress", "reported", "closed", "cancelled"}


def test_demo_assurance_has_statuses_drafts_and_shared_visits(engine, db: Session) -> None:
    from app.assurance.models import SupportStatus, Visit

    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session, SYSTEM)
        session.commit()
    assert set(db.exec(select(SupportStatus.rag))) == {"green", "amber", "red"}
    assert set(db.exec(select(Visit.status))) == {"planned", "draft", "final"}
    assert set(db.exec(select(Visit.shared_with_school))) == {True, False}
    counted = ("support_and_challenge", "plan_review", "vse")
    finals = db.exec(select(Visit.establishment_id, func.count()).where(
        Visit.status == "final", Visit.kind.in_(counted)).group_by(Visit.establishment_id)).all()
    below = [n for _, n in finals if n < 4]
    assert below and len(below) < len(finals), "schools both below and at the minimum"


def test_demo_clpl_has_waiting_lists_attendance_and_evaluations(engine, db: Session) -> None:
    from app.learning.clpl.models import ClplEvaluation, ClplEvent, ClplRegistration

    with Session(engine, expire_on_commit=False) as session:
        counts = seed_demo(session, SYSTEM)
        session.commit()
    assert counts["clpl_events"] == 5
    events = list(db.exec(select(ClplEvent)))
    assert {e.authority_id is None for e in events} == {True, False}  # authority and regional
    assert set(db.exec(select(ClplEvent.status))) == {"scheduled", "cancelled"}
    assert set(db.exec(select(ClplRegistration.status))) == {"confirmed", "waitlisted", "cancelled"}
    assert set(db.exec(select(ClplRegistration.attended))) == {True, False, None}
    assert db.exec(select(func.count()).select_from(ClplEvaluation)).one() == 12
