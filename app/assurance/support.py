"""Support status: the RAG and support level agreed for a school, with its history."""

import uuid

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.assurance.models import SupportStatus
from app.assurance.schemas import SupportStatusPut, SupportStatusRead
from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import NotFound
from app.core.pagination import Paginator
from app.identity.policy import load_visible, require
from app.identity.principal import Principal
from app.organisations.models import Establishment


def shown(status: SupportStatus) -> SupportStatusRead:
    return SupportStatusRead.model_validate({**status.model_dump(), "version": status.sequence})


def current_status(session: Session, establishment_id: uuid.UUID) -> SupportStatus | None:
    return session.exec(select(SupportStatus).where(
        SupportStatus.establishment_id == establishment_id, col(SupportStatus.is_current))).first()


def get_current(session: Session, principal: Principal,
                establishment_id: uuid.UUID) -> SupportStatusRead:
    readable(session, principal, establishment_id)
    current = current_status(session, establishment_id)
    if current is None:
        raise NotFound("No support status has been agreed for this establishment yet.")
    return shown(current)


def readable(session: Session, principal: Principal, establishment_id: uuid.UUID) -> Establishment:
    establishment = load_visible(session, principal, Establishment, establishment_id)
    # A school the caller reads exists for it: say the status is not theirs, not "no school".
    require(principal, "support_status.read", establishment)
    return establishment


def history(session: Session, principal: Principal, paginator: Paginator,
            establishment_id: uuid.UUID, *, limit: int,
            cursor: str | None) -> tuple[list[SupportStatusRead], str | None]:
    """A page of the statuses agreed for the school, newest first."""
    readable(session, principal, establishment_id)
    rows, next_cursor = paginator.page(
        session, select(SupportStatus).where(SupportStatus.establishment_id == establishment_id),
        [col(SupportStatus.sequence).desc(), col(SupportStatus.id).desc()],
        scope=f"support-status-history:{establishment_id}", limit=limit, cursor=cursor)
    return [shown(r) for r in rows], next_cursor


def set_status(session: Session, principal: Principal, establishment_id: uuid.UUID,
               data: SupportStatusPut, if_match: IfMatch) -> tuple[SupportStatusRead, bool]:
    """A new status; the old one stays in the history. Returns (status, first ever)."""
    establishment = readable(session, principal, establishment_id)
    require(principal, "support_status.set", establishment)
    current = current_status(session, establishment_id)
    if current is not None:
        if_match(current.sequence)
        if same(current, data):
            return shown(current), False
        session.execute(update(SupportStatus).where(col(SupportStatus.id) == current.id)
                        .values(is_current=False))
    new = SupportStatus(
        establishment_id=establishment_id, authority_id=establishment.authority_id,
        sequence=(current.sequence + 1) if current else 1, **data.model_dump(mode="json"),
        set_by=principal.id, set_by_label=principal.label,
    )
    new.agreed_on = data.agreed_on
    session.add(new)
    session.flush()
    record_change(session, principal, "support_status.set", new, before=snapshot(current))
    return shown(new), current is None


def same(current: SupportStatus, data: SupportStatusPut) -> bool:
    proposed = data.model_dump(mode="json")
    return all(getattr(current, k) == (data.agreed_on if k == "agreed_on" else v)
               for k, v in proposed.items())


feed_document("support_status", SupportStatus)(  # audit/feed.py
    lambda _session, statuses: [shown(s) for s in statuses])
