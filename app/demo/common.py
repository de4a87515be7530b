"""What the demo's parts share: its authority, region and people, and their schools."""

import uuid

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.conditional import IfMatch
from app.identity.models import HeadteacherEstablishment, User
from app.organisations.models import Authority, Establishment, Region

DEMO_PASSWORD = "demo-password-2025"  # noqa: S105 - documented, development only
DEMO_AUTHORITY = "S12000050"  # North Lanarkshire
DEMO_REGION = "west-partnership"
OFFICER = "officer@demo.sih.scot"
HEADTEACHER = "headteacher@demo.sih.scot"
CASELOAD = 12  # the demo officer's link schools: the first of the authority's, by code
# The share of the authority's other schools that have plans and reports in the demo: drawn
# per school (by its code), so adding a school changes no other's place in the demo. More
# would be slower to load (every document goes through the services, audit and feed).
PLANNING_SHARE = 0.15
ANYONE = IfMatch("*")


def region(session: Session) -> Region:
    return session.scalars(select(Region).where(col(Region.code) == DEMO_REGION)).one()


def user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(col(User.email) == email)).first()


def planning_schools(session: Session, authority: Authority) -> list[Establishment]:
    """The authority's open schools with plans and reports in the demo, by code: the demo
    officer's link schools and a share of the others."""
    from app.demo.year import rng

    return [school for school in session.scalars(select(Establishment).where(
        col(Establishment.authority_id) == authority.id, col(Establishment.status) == "open")
        .order_by(col(Establishment.code)))
        if school.link_officer_id is not None
        or rng("planning-school", school.code).random() < PLANNING_SHARE]


def caseload(session: Session, officer: User) -> list[Establishment]:
    return list(session.scalars(select(Establishment).where(
        col(Establishment.link_officer_id) == officer.id).order_by(col(Establishment.code))))


def headteacher_schools(session: Session) -> set[uuid.UUID]:
    return set(session.scalars(
        select(col(HeadteacherEstablishment.establishment_id)).join(
            User, col(User.id) == col(HeadteacherEstablishment.user_id))
        .where(col(User.email) == HEADTEACHER)))
