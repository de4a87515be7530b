"""Factories: make the records a test needs in one line, with sensible, unique defaults."""

import itertools
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import Session

from app.core.security import hash_password, issue_access_token
from app.core.text import fold
from app.identity.models import HeadteacherEstablishment, IntegrationClient, User
from app.organisations.models import Area, Authority, Cluster, Establishment, Region

FACTORY_PASSWORD = "factory-password-2025"
_PASSWORD_HASH = hash_password(FACTORY_PASSWORD)  # hashed once: argon2 is slow on purpose
_counter = itertools.count(1)
# What a plan's priority holds to be submitted: an outcome with a measure and a target.
MEASURABLE_OUTCOME: dict[str, Any] = {
    "description": "P4 on track in numeracy", "measure": "% on track", "baseline": "64",
    "target": "75", "actual": None}


def _next() -> int:
    return next(_counter)


class Factory:
    def __init__(self, db: Session, app: FastAPI) -> None:
        self.db = db
        self.app = app

    def _save(self, record: Any) -> Any:
        self.db.add(record)
        self.db.commit()
        return record

    # Organisation ----------------------------------------------------------------------

    def region(self, code: str = "west-partnership") -> Region:
        return self.db.scalars(select(Region).where(Region.code == code)).one()

    def authority(self, code: str = "S12000050") -> Authority:
        """A reference authority (North Lanarkshire by default)."""
        return self.db.scalars(select(Authority).where(Authority.code == code)).one()

    def area(self, authority: Authority | None = None, name: str | None = None) -> Area:
        """The authority's area of that name (folded, as the service finds areas), made if new."""
        authority = authority or self.authority()
        name = name or f"Area {_next()}"
        found = self.db.scalars(select(Area).where(Area.authority_id == authority.id,
                                                   Area.name_folded == fold(name))).first()
        return found or self._save(Area(authority_id=authority.id, name=name, former_names=[]))

    def _placed(self, authority: Authority, values: dict[str, Any]) -> dict[str, Any]:
        """`area` given by name: the authority's area of that name (id and name) set."""
        if values.get("area") and "area_id" not in values:
            area = self.area(authority, values["area"])
            values = {**values, "area_id": area.id, "area": area.name}
        return values

    def cluster(self, authority: Authority | None = None, **fields: Any) -> Cluster:
        authority = authority or self.authority()
        n = _next()
        values = self._placed(authority, {"name": f"Cluster {n}", "area": f"Area {n % 3}", **fields})
        return self._save(Cluster(authority_id=authority.id, **values))

    def establishment(self, authority: Authority | None = None, **fields: Any) -> Establishment:
        authority = authority or self.authority()
        n = _next()
        values = self._placed(authority, {"code": f"{9000000 + n:07d}", "name": f"School {n:04d} Primary",
                                          "sector": "primary", "roll": 200 + n, **fields})
        return self._save(Establishment(authority_id=authority.id, **values))

    # Identity --------------------------------------------------------------------------

    def user(self, role: str = "officer", *, authority: Authority | None = None,
             region: Region | None = None, establishments: list[Establishment] | None = None,
             authority_admin: bool = False, **fields: Any) -> User:
        n = _next()
        if role == "officer":
            authority = authority or self.authority()
        if role == "regional_lead":
            region = region or self.region()
        if role == "headteacher":
            establishments = establishments or [self.establishment(authority)]
            authority = self.db.get(Authority, establishments[0].authority_id)
        user = self._save(User(
            email=fields.pop("email", f"{role}{n}@test.sih.scot"), name=f"{role.title()} {n}",
            password_hash=_PASSWORD_HASH, role=role,
            authority_id=authority.id if authority and role in ("officer", "headteacher") else None,
            region_id=region.id if region else None, is_authority_admin=authority_admin,
            **fields,
        ))
        for establishment in establishments or []:
            self._save(HeadteacherEstablishment(user_id=user.id, establishment_id=establishment.id))
        return user

    def client(self, scopes: list[str], *, authority: Authority | None = None,
               region: Region | None = None, secret: str = "client-secret-for-tests") -> IntegrationClient:
        from app.core.security import digest

        if region is None:
            authority = authority or self.authority()
        return self._save(IntegrationClient(
            name=f"Client {_next()}", secret_hash=digest(secret), scopes=scopes,
            authority_id=authority.id if authority else None,
            region_id=region.id if region else None,
        ))

    def token(self, who: User | IntegrationClient, scopes: list[str] | None = None) -> str:
        state = self.app.state
        if isinstance(who, User):
            subject, claims = f"user:{who.id}", {"role": who.role}
        else:
            subject = f"client:{who.id}"
            claims = {"scope": " ".join(scopes if scopes is not None else who.scopes)}
        token, _jti, _ttl = issue_access_token(state.keys, state.settings, subject, claims)
        return token

    def headers(self, who: User | IntegrationClient, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(who)}", **extra}

    def admin(self) -> User:
        return self.user("admin")

    def id(self) -> uuid.UUID:
        return uuid.uuid4()


class PlanningFactory:
    """Plans and reports straight into the database, in any state a test needs."""

    def __init__(self, make: Factory) -> None:
        self.make = make

    def plan(self, establishment: Establishment, *, session: str = "2025-26",
             status: str = "draft", priorities: int = 1,
             outcomes: list[dict[str, Any]] | None = None) -> Any:
        """A plan whose priorities each hold `outcomes` (by default one measurable outcome,
        so the plan can be submitted; `[]` for none)."""
        from app.planning.models import ImprovementPlan, PlanPriority

        plan = self.make._save(ImprovementPlan(
            establishment_id=establishment.id, authority_id=establishment.authority_id,
            session=session, status=status, title=f"Plan {session}"))
        held = [dict(MEASURABLE_OUTCOME)] if outcomes is None else outcomes
        for position in range(priorities):
            self.make._save(PlanPriority(plan_id=plan.id, position=position,
                                         title=f"Priority {position + 1}",
                                         indicator_codes=["2.3"],
                                         outcomes=[dict(o) for o in held]))
        return plan

    def report(self, establishment: Establishment, *, session: str = "2025-26",
               status: str = "draft", framework_code: str = "HGIOS4") -> Any:
        from app.planning.models import QualityReport

        return self.make._save(QualityReport(
            establishment_id=establishment.id, authority_id=establishment.authority_id,
            session=session, status=status, framework_code=framework_code))
