"""What else a phone's sync batch carries besides visits: agreed actions followed up and
support statuses agreed in the school. Each under the visits' conflict rules: applied when the
server still holds what the device last read (its base version), `unchanged` when the server
already says the same, a conflict (with the server's current state, to merge with) otherwise;
each in its own savepoint, so one refused item leaves the rest of the batch standing."""

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from app.assurance import actions, support
from app.assurance.action_schemas import ActionSyncItem
from app.assurance.models import AgreedAction, SupportStatus
from app.assurance.schemas import (
    ActionSyncResult,
    SupportStatusSyncItem,
    SupportStatusSyncResult,
    SyncOutcome,
)
from app.audit.service import collected_changes, forget_changes_since
from app.core.conditional import IfMatch
from app.core.errors import ProblemError
from app.identity.principal import Principal

R = TypeVar("R", ActionSyncResult, SupportStatusSyncResult)
ANY_VERSION = IfMatch(None, required=False)  # the base version was compared already


def _in_savepoint(session: Session, apply: Callable[[], R], refused: Callable[[ProblemError], R]) -> R:
    savepoint, mark = session.begin_nested(), collected_changes(session)
    try:
        result = apply()
        savepoint.commit()
        return result
    except ProblemError as problem:
        savepoint.rollback()
        forget_changes_since(session, mark)  # its audit and feed rows go with it
        return refused(problem)


def follow_ups(session: Session, principal: Principal,
               items: list[ActionSyncItem]) -> list[ActionSyncResult]:
    def one(item: ActionSyncItem) -> ActionSyncResult:
        return _in_savepoint(
            session, lambda: _follow_up(session, principal, item),
            lambda problem: ActionSyncResult(id=item.id, outcome=SyncOutcome.rejected,
                                             status=problem.status,
                                             detail=problem.detail or problem.title))
    return [one(item) for item in items]


def _already(action: AgreedAction, item: ActionSyncItem) -> bool:
    wanted = item.follow_up
    if wanted.done_at_visit_id is not None:
        return (action.done_at_visit_id == wanted.done_at_visit_id
                and (wanted.done_on is None or action.done_on == wanted.done_on))
    return action.done_at_visit_id is None and action.done_on == wanted.done_on


def _follow_up(session: Session, principal: Principal, item: ActionSyncItem) -> ActionSyncResult:
    action = actions.load(session, principal, item.id)  # 404 (rejected) when not theirs to see
    if _already(action, item):
        return ActionSyncResult(id=item.id, outcome=SyncOutcome.unchanged, version=action.version)
    if item.base_version != action.version:
        return ActionSyncResult(id=item.id, outcome=SyncOutcome.conflict, version=action.version,
                                current=actions.reads(session, [action])[0])
    done = actions.follow_up(session, principal, item.id, item.follow_up, ANY_VERSION)
    return ActionSyncResult(id=item.id, outcome=SyncOutcome.applied, version=done.version)


def statuses(session: Session, principal: Principal,
             items: list[SupportStatusSyncItem]) -> list[SupportStatusSyncResult]:
    def one(item: SupportStatusSyncItem) -> SupportStatusSyncResult:
        return _in_savepoint(
            session, lambda: _status(session, principal, item),
            lambda problem: SupportStatusSyncResult(
                establishment_id=item.establishment_id, outcome=SyncOutcome.rejected,
                status=problem.status, detail=problem.detail or problem.title))
    return [one(item) for item in items]


def _status(session: Session, principal: Principal,
            item: SupportStatusSyncItem) -> SupportStatusSyncResult:
    school = item.establishment_id
    support.readable(session, principal, school)  # 404 / 403 (rejected) when not theirs
    current: SupportStatus | None = support.current_status(session, school)
    if current is not None and support.same(current, item.status):
        return SupportStatusSyncResult(establishment_id=school, outcome=SyncOutcome.unchanged,
                                       version=current.sequence)
    if item.base_version != (current.sequence if current else None):
        return SupportStatusSyncResult(
            establishment_id=school, outcome=SyncOutcome.conflict,
            version=current.sequence if current else None,
            current=support.shown(current) if current else None)
    status, _first = support.set_status(session, principal, school, item.status, ANY_VERSION)
    return SupportStatusSyncResult(establishment_id=school, outcome=SyncOutcome.applied,
                                   version=status.version)
