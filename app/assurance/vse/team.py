"""The VSE team's side of a cycle, and the school's own view before the visit.

While a VSE is in progress the users on its team (officers, peer headteachers of other
schools), its lead and the link officer record evidence and proposed grades per quality
indicator: findings, kept as written (a correction is a new finding). The school reads them
once the VSE is reported, as it reads the validated grades. Before the visit (proposed or
scheduled) the school's headteacher or its link officer gives the school's own grade per QI;
they are frozen from the visit on, so accuracy compares the school's view before the VSE with
the validated grade, not a view written after it."""

import uuid
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.assurance.vse.models import VseCycle, VseFinding, VseSchoolGrade
from app.assurance.vse.rules import check_school_grades
from app.assurance.vse.schemas import VseRead
from app.assurance.vse.service import _establishment, _scale, _snapshot, load, read, school_grades
from app.assurance.vse.team_schemas import FindingCreate, FindingRead, SchoolGradesPut
from app.audit.service import record_change
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, rule
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.identity.models import User
from app.identity.policy import require
from app.identity.principal import Principal

BEFORE_VISIT = frozenset({"proposed", "scheduled"})


def _finding_read(finding: VseFinding) -> FindingRead:
    return FindingRead.model_validate({**finding.model_dump(), "recorded_at": finding.created_at})


def record_finding(session: Session, principal: Principal, vse_id: uuid.UUID,
                   data: FindingCreate) -> FindingRead:
    cycle = load(session, principal, vse_id)
    establishment = _establishment(session, cycle)
    require(principal, "vse_finding.record", (cycle, establishment))
    if cycle.status != "in_progress":
        raise Conflict(f"The VSE cycle is {cycle.status}: the team records findings while it is "
                       "in progress.")
    if data.indicator_code not in cycle.indicator_codes:
        raise rule(["indicator_code"], f"{data.indicator_code} is not one of this VSE's "
                                       f"indicator_codes ({', '.join(cycle.indicator_codes)}).")
    scale = _scale(session, cycle, establishment)
    if data.proposed_grade is not None and data.proposed_grade not in scale.grades:
        raise rule(["proposed_grade"], f"Grade {data.proposed_grade} is not on the {scale.code} "
                                       f"scale ({', '.join(map(str, scale.grades))}).")
    author = session.get(User, principal.id)
    finding = VseFinding(
        vse_id=cycle.id, authority_id=cycle.authority_id, indicator_code=data.indicator_code,
        author_id=author.id if author else None,
        author_name=author.name if author and author.name else principal.label,
        evidence=data.evidence.strip(), proposed_grade=data.proposed_grade)
    session.add(finding)
    session.flush()
    record_change(session, principal, "vse_finding.create", finding)
    return _finding_read(finding)


def _readable(session: Session, principal: Principal, vse_id: uuid.UUID) -> VseCycle:
    cycle = load(session, principal, vse_id)
    require(principal, "vse.findings", cycle)  # the school: once reported
    return cycle


def list_findings(session: Session, principal: Principal, paginator: Paginator,
                  vse_id: uuid.UUID, *, limit: int, cursor: str | None,
                  indicator_code: str | None = None) -> tuple[list[FindingRead], str | None]:
    cycle = _readable(session, principal, vse_id)
    stmt = select(VseFinding).where(col(VseFinding.vse_id) == cycle.id)
    if indicator_code is not None:
        stmt = stmt.where(col(VseFinding.indicator_code) == indicator_code)
    rows, next_cursor = paginator.page(session, stmt, [VseFinding.created_at, VseFinding.id],
                                       scope="vse-findings", limit=limit, cursor=cursor)
    return [_finding_read(r) for r in rows], next_cursor


def get_finding(session: Session, principal: Principal, vse_id: uuid.UUID,
                finding_id: uuid.UUID) -> FindingRead:
    cycle = _readable(session, principal, vse_id)
    finding = session.exec(select(VseFinding).where(col(VseFinding.id) == finding_id,
                                                    col(VseFinding.vse_id) == cycle.id)).first()
    if finding is None:
        raise NotFound(f"No finding {finding_id} in VSE cycle {vse_id}.")
    return _finding_read(finding)


def put_school_grades(session: Session, principal: Principal, vse_id: uuid.UUID,
                      data: SchoolGradesPut, if_match: IfMatch) -> VseRead:
    cycle = load(session, principal, vse_id)
    establishment = _establishment(session, cycle)
    require(principal, "vse.school_grades", establishment)
    if cycle.status not in BEFORE_VISIT:
        raise Conflict(f"The VSE cycle is {cycle.status}: the school's own grades are given "
                       "before the visit (while proposed or scheduled) and kept as they were "
                       "once it is in progress.")
    if_match(cycle.version)
    check_school_grades(_scale(session, cycle, establishment), cycle.indicator_codes,
                        data.grades)
    before = _snapshot(session, cycle)
    given: list[dict[str, Any]] = [g.model_dump() for g in data.grades]
    if given == before["school_grades"]:
        return read(session, principal, cycle)
    cycle.updated_at = utcnow()  # the cycle row carries the version of its school grades
    # The cycle row first: of two writers holding the same ETag, the second stops here (412).
    session.flush()
    session.execute(delete(VseSchoolGrade).where(col(VseSchoolGrade.vse_id) == cycle.id))
    session.add_all([VseSchoolGrade(vse_id=cycle.id, position=n, **g) for n, g in enumerate(given)])
    session.flush()
    record_change(session, principal, "vse_cycle.school_grades", cycle, before=before,
                  after_extra={"school_grades": school_grades(session, [cycle.id]).get(cycle.id, [])})
    return read(session, principal, cycle)
