"""The demo data a newcomer sees at /docs: real West Partnership schools, every role, and North
Lanarkshire's year: plans and reports in every state, support statuses of every RAG, visits
below and at the minimum, VSEs, trios and CLPL. Loading it twice adds nothing.

(tests/test_demo_year.py: the year follows today, and the same day gives the same figures.)"""

from sqlalchemy import func
from sqlmodel import Session, select

from app.assurance.vse.models import VseCycle
from app.cli import SYSTEM
from app.demo import seed_demo
from app.identity.models import User
from app.organisations.models import Establishment
from app.planning.models import ImprovementPlan, QualityReport, ReportEvaluation


def test_demo_data_is_rich_and_idempotent(engine, db: Session) -> None:
    from app.assurance.models import SupportStatus, Visit
    from app.learning.clpl.models import ClplEvaluation, ClplEvent, ClplRegistration

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
    officer = db.exec(select(User).where(User.email == "officer@demo.sih.scot")).one()
    caseload = db.exec(select(func.count()).select_from(Establishment).where(
        Establishment.link_officer_id == officer.id)).one()
    assert caseload == 12

    statuses = set(db.exec(select(ImprovementPlan.status)))
    assert statuses == {"draft", "submitted", "returned", "agreed", "closed"}
    assert set(db.exec(select(QualityReport.status))) == {"agreed"}
    grades = set(db.exec(select(ReportEvaluation.indicator_code, ReportEvaluation.grade)))
    assert {g for c, g in grades if c == "3.2"} >= {3, 4, 5}, "self-evaluated grades spread"
    assert first["vse_cycles"] == 7 and first["visits"] > 30
    assert set(db.exec(select(VseCycle.status))) == {
        "proposed", "scheduled", "in_progress", "reported", "closed", "cancelled"}

    assert set(db.exec(select(SupportStatus.rag))) == {"green", "amber", "red"}
    assert set(db.exec(select(SupportStatus.level))) == {"universal", "additional", "intensive"}
    assert set(db.exec(select(Visit.status))) == {"planned", "draft", "final"}
    assert set(db.exec(select(Visit.shared_with_school))) == {True, False}
    planned = db.exec(select(Visit).where(Visit.status == "planned")).all()
    assert len(planned) >= 5 and all(v.focus and v.agenda for v in planned)

    assert first["clpl_events"] == 5
    events = list(db.exec(select(ClplEvent)))
    assert {e.authority_id is None for e in events} == {True, False}  # authority and regional
    assert set(db.exec(select(ClplEvent.status))) == {"scheduled", "cancelled"}
    assert set(db.exec(select(ClplRegistration.status))) == {"confirmed", "waitlisted", "cancelled"}
    assert set(db.exec(select(ClplRegistration.attended))) == {True, False, None}
    assert db.exec(select(func.count()).select_from(ClplEvaluation)).one() == 12


def test_demo_visits_carry_agreed_actions(engine, api, make) -> None:
    """Each final visit of the demo has the actions agreed at it, as the visit API shows them;
    the demo headteacher sees their school's shared visits and the next one planned."""
    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session, SYSTEM)
        session.commit()
    token = api.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": "officer@demo.sih.scot",
        "password": "demo-password-2025"}).json()["access_token"]
    officer = {"Authorization": f"Bearer {token}"}
    finals = api.get("/api/v1/visits", params={"status": "final", "limit": 100},
                     headers=officer).json()["items"]
    assert finals and all(v["agreed_actions"] for v in finals)
    assert all({"description", "owner", "due"} <= set(a) for v in finals
               for a in v["agreed_actions"])

    token = api.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": "headteacher@demo.sih.scot",
        "password": "demo-password-2025"}).json()["access_token"]
    head = {"Authorization": f"Bearer {token}"}
    seen = api.get("/api/v1/visits", params={"limit": 100}, headers=head).json()["items"]
    assert {v["status"] for v in seen} >= {"final", "planned"}
    assert all(v["shared_with_school"] for v in seen)
    vses = api.get("/api/v1/vse-cycles", params={"limit": 100}, headers=head).json()["items"]
    assert {v["status"] for v in vses} >= {"scheduled", "reported"}
