"""Frameworks and the NIF: reference data read by all, added to by admins."""

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.feed import feed_document
from app.audit.service import record_change
from app.core.errors import Conflict, NotFound
from app.core.pagination import Paginator
from app.frameworks.models import Framework, FrameworkIndicator, NifEntry
from app.frameworks.schemas import FrameworkCreate, FrameworkRead, NifRead
from app.identity.policy import require
from app.identity.principal import Principal


def _read(session: Session, framework: Framework) -> FrameworkRead:
    indicators = session.scalars(
        select(FrameworkIndicator)
        .where(col(FrameworkIndicator.framework_id) == framework.id)
        .order_by(col(FrameworkIndicator.position))
    )
    return FrameworkRead.model_validate({
        **framework.model_dump(),
        "indicators": [{"code": i.code, "title": i.title, "category": i.category}
                       for i in indicators],
    })


def list_frameworks(session: Session, paginator: Paginator, *, limit: int,
                    cursor: str | None) -> tuple[list[FrameworkRead], str | None]:
    """A page of the frameworks, by code."""
    rows, next_cursor = paginator.page(session, select(Framework),
                                       [col(Framework.code), col(Framework.id)],
                                       scope="frameworks", limit=limit, cursor=cursor)
    return [_read(session, f) for f in rows], next_cursor


def get_framework(session: Session, code: str) -> FrameworkRead:
    framework = session.scalars(select(Framework).where(col(Framework.code) == code)).first()
    if framework is None:
        raise NotFound(f"No framework with code {code!r}.")
    return _read(session, framework)


def _insert(session: Session, data: FrameworkCreate) -> Framework:
    framework = Framework(**data.model_dump(exclude={"indicators"}))
    session.add(framework)
    session.flush()
    for position, indicator in enumerate(data.indicators):
        session.add(FrameworkIndicator(framework_id=framework.id, position=position,
                                       **indicator.model_dump()))
    return framework


def create_framework(session: Session, principal: Principal, data: FrameworkCreate) -> FrameworkRead:
    require(principal, "framework.create")
    if session.scalars(select(col(Framework.id)).where(col(Framework.code) == data.code)).first():
        raise Conflict(f"Framework code {data.code!r} is already in use.")
    framework = _insert(session, data)
    session.flush()
    record_change(session, principal, "framework.create", framework)
    return _read(session, framework)


def framework_exists(session: Session, code: str) -> bool:
    return session.scalars(
        select(col(Framework.id)).where(col(Framework.code) == code)).first() is not None


def nif_titles(session: Session, kind: str) -> set[str]:
    return set(session.scalars(select(col(NifEntry.title)).where(col(NifEntry.kind) == kind)))


def get_nif(session: Session) -> NifRead:
    entries = list(session.scalars(select(NifEntry).order_by(col(NifEntry.kind), col(NifEntry.position))))
    return NifRead(priorities=[e.title for e in entries if e.kind == "priority"],
                   drivers=[e.title for e in entries if e.kind == "driver"])


def framework_for_sector(session: Session, sector: str) -> Framework | None:
    """The framework that applies to an establishment's sector (HGIOELC for ELC, HGIOS4 ...)."""
    for framework in session.scalars(select(Framework).order_by(col(Framework.created_at))):
        if sector in framework.applies_to:
            return framework
    return None


def reference_document() -> dict[str, Any]:
    text = resources.files("app.reference").joinpath("frameworks.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def load_reference_frameworks(session: Session) -> int:
    """Insert the published frameworks and the NIF where missing; returns how many were added."""
    document = reference_document()
    added = 0
    for raw in document["frameworks"]:
        if session.scalars(select(col(Framework.id)).where(col(Framework.code) == raw["code"])).first():
            continue
        _insert(session, FrameworkCreate.model_validate(raw))
        added += 1
    for kind, key in (("priority", "nif_priorities"), ("driver", "nif_drivers")):
        existing = set(session.scalars(select(col(NifEntry.title)).where(col(NifEntry.kind) == kind)))
        for position, title in enumerate(document[key]):
            if title not in existing:
                session.add(NifEntry(kind=kind, position=position, title=title))
                added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class Scale:
    """What a plan or report is checked against: a framework's indicators and grades."""

    code: str
    indicator_codes: tuple[str, ...]
    core_indicators: tuple[str, ...]
    grades: tuple[int, ...]
    good_or_better_from: int


def scale_for(session: Session, sector: str, authority_framework: str | None) -> Scale:
    """The authority's own framework when it chose one (e.g. LASER), else the sector's."""
    framework = None
    if authority_framework:
        framework = session.scalars(
            select(Framework).where(col(Framework.code) == authority_framework)).first()
    framework = framework or framework_for_sector(session, sector)
    if framework is None:
        raise NotFound(f"No framework applies to the {sector} sector.")
    codes = session.scalars(
        select(col(FrameworkIndicator.code))
        .where(col(FrameworkIndicator.framework_id) == framework.id)
        .order_by(col(FrameworkIndicator.position))
    )
    return Scale(framework.code, tuple(codes), tuple(framework.core_indicators),
                 tuple(p["value"] for p in framework.scale), framework.good_or_better_from)


feed_document("framework", Framework, key=lambda f: {"code": f.code})(  # audit/feed.py
    lambda session, frameworks: [_read(session, f) for f in frameworks])
