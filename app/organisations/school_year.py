"""A school's year as its establishment reads show it (`current`), for the session asked: the
support status in force (RAG, level, the date agreed), its plan's and report's status, final
visits of the kinds its authority counts against its minimum, the last visit and the next
planned one, and its latest VSE. Officers preparing a morning of visits read it with the
schools, in the same statement: one correlated subquery per figure, each an index lookup.

Who sees it (`shown`): whoever reads the school's support status: the authority's officers
and admins, and a headteacher for their own school (the planned visits and VSEs the school
has been told of). Not a regional lead: a named school's RAG, visits and VSE are the school's
and its authority's; the region reads them as aggregates, in the summaries (DOMAIN.md)."""

from typing import Any, NamedTuple

from sqlalchemy import Date, String, bindparam, cast, exists, func, literal, select
from sqlalchemy.orm import aliased

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle
from app.core.schemas import current_session, session_bounds
from app.core.types import utcnow
from app.identity.policy import allowed, visible
from app.identity.principal import Principal
from app.organisations.models import Authority
from app.planning.models import ImprovementPlan, QualityReport

_status, _visit, _vse = SupportStatus.__table__, Visit.__table__, VseCycle.__table__  # type: ignore[attr-defined]
_plan, _report = ImprovementPlan.__table__, QualityReport.__table__  # type: ignore[attr-defined]
_authority = Authority.__table__  # type: ignore[attr-defined]

SESSION: Any = bindparam("year_session", type_=String)
SESSION_END: Any = bindparam("year_session_end", type_=Date)
TODAY: Any = bindparam("year_today", type_=Date)

NAMES = ("rag", "support_level", "support_agreed_on", "plan_status", "report_status",
         "final_visits", "minimum_visits", "last_visit_on", "next_visit_on", "vse_id",
         "vse_status", "vse_visit_start", "vse_visit_end")


def counted_visit(visit: Any = _visit) -> Any:
    """Whether a visit is of a kind its authority counts toward the minimum. The kinds are a
    JSON list on the authority, matched as text (`"kind"` with its quotes: no kind's name is
    inside another's) so that one statement runs on SQLite and PostgreSQL, which share no
    operator for "a JSON array holds"."""
    counting = aliased(_authority)
    return exists().where(
        counting.c.id == visit.c.authority_id,
        cast(counting.c.counted_visit_kinds, String).contains(
            literal('"').concat(visit.c.kind).concat('"'), autoescape=False))


def values(session_name: str | None) -> dict[str, Any]:
    """The parameters of the columns below for the session asked (default: the current one)."""
    chosen = session_name or current_session()
    return {"year_session": chosen, "year_session_end": session_bounds(chosen)[1],
            "year_today": utcnow().date()}


def final_visits(school: Any) -> Any:
    v = _visit.c
    return (select(func.count()).where(v.establishment_id == school.c.id, v.session == SESSION,
                                       v.status == "final", counted_visit())
            .scalar_subquery())


def minimum_visits(school: Any) -> Any:
    return (select(_authority.c.min_visits_per_session)
            .where(_authority.c.id == school.c.authority_id).scalar_subquery())


def document_status(school: Any, document: Any) -> Any:
    return (select(document.c.status)
            .where(document.c.establishment_id == school.c.id, document.c.session == SESSION)
            .scalar_subquery())


def support(school: Any, column: Any) -> Any:
    """A column of the school's support status in force in the session: the last recorded
    among those agreed by its end (a past session is told with the RAG it had)."""
    s, earlier = _status.c, aliased(_status)
    # Two levels down from the school: correlated by name, or it would join every school.
    in_force = (select(func.max(earlier.c.sequence))
                .where(earlier.c.establishment_id == school.c.id,
                       earlier.c.agreed_on <= SESSION_END).correlate(school).scalar_subquery())
    return (select(column).where(s.establishment_id == school.c.id, s.sequence == in_force)
            .scalar_subquery())


def columns(school: Any, principal: Principal) -> list[Any]:
    """The figures of NAMES for each row of `school` (the establishment table, or a page of
    it). The next planned visit and the latest VSE are among those the caller sees (for a
    headteacher: shared with the school, told to it); the final visits are counted whoever
    asks (the school knows its visits took place)."""
    s, v, c = _status.c, _visit.c, _vse.c
    visits = [v.establishment_id == school.c.id, v.session == SESSION]
    planned = [*visits, v.status == "planned", v.visit_date >= TODAY, visible(principal, Visit)]
    cycles = [c.establishment_id == school.c.id, c.session == SESSION,
              visible(principal, VseCycle)]

    def latest_vse(column: Any) -> Any:
        return (select(column).where(*cycles)
                .order_by(c.visit_start.desc().nulls_last(), c.created_at.desc(), c.id.desc())
                .limit(1).scalar_subquery())

    figures = [
        support(school, s.rag), support(school, s.level), support(school, s.agreed_on),
        document_status(school, _plan), document_status(school, _report),
        final_visits(school), minimum_visits(school),
        select(func.max(v.visit_date)).where(*visits, v.status == "final").scalar_subquery(),
        select(func.min(v.visit_date)).where(*planned).scalar_subquery(),
        latest_vse(c.id), latest_vse(c.status), latest_vse(c.visit_start), latest_vse(c.visit_end),
    ]
    return [figure.label(f"year_{name}") for figure, name in zip(figures, NAMES, strict=True)]


def filters(school: Any, rag: str | None, support_level: str | None, plan_status: str | None,
            below_visit_minimum: bool | None) -> list[Any]:
    """WHERE clauses of the establishment list's `rag` and `support_level` (in force in the
    session), `plan_status` (`none`: no plan for the session) and `below_visit_minimum`. The
    list holds only schools the caller reads, whose year it reads too (support_status.read;
    regional leads may not filter by it)."""
    where = []
    if rag is not None:
        where.append(support(school, _status.c.rag) == rag)
    if support_level is not None:
        where.append(support(school, _status.c.level) == support_level)
    if plan_status == "none":
        where.append(~exists().where(_plan.c.establishment_id == school.c.id,
                                     _plan.c.session == SESSION))
    elif plan_status is not None:
        where.append(document_status(school, _plan) == plan_status)
    if below_visit_minimum is not None:
        below = final_visits(school) < minimum_visits(school)
        where.append(below if below_visit_minimum else ~below)
    return where


class School(NamedTuple):
    """What the policy asks of a school to decide what its reader sees."""

    id: Any
    authority_id: Any


def shown(principal: Principal, school: School, session_name: str, figures: list[Any],
          convert: Any) -> dict[str, Any] | None:
    """The `current` block of a document from the raw `figures` (NAMES' order), as far as the
    caller may see it; None when not at all."""
    if not allowed(principal, "support_status.read", school):
        return None
    (rag, level, agreed_on, plan_status, report_status, final, minimum, last_on, next_on,
     vse_id, vse_status, vse_start, vse_end) = figures
    visits = {"final": final, "minimum": minimum, "below_minimum": final < minimum,
              "last_on": _day(last_on), "next_planned_on": _day(next_on)}
    return {
        "session": session_name, "rag": rag, "support_level": level,
        "support_agreed_on": _day(agreed_on), "plan_status": plan_status,
        "report_status": report_status,
        "visits": visits,
        "vse": None if vse_id is None else {
            "id": convert.uuid(vse_id), "status": vse_status, "visit_start": _day(vse_start),
            "visit_end": _day(vse_end)},
    }


def _day(value: Any) -> Any:
    """A date as JSON writes it: the drivers give a date (PostgreSQL) or its ISO text
    (SQLite)."""
    return value if value is None or isinstance(value, str) else value.isoformat()
