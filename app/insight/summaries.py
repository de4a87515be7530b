"""The figures of a summary, each an SQL aggregate computed by the database (COUNT, SUM, AVG
over CASE), the same on SQLite and PostgreSQL. No row of another domain is loaded into
Python: each query returns rows of aggregates.

Every function takes a `Reach` (the authorities, and for a region its own CLPL events) and
`breakdown`. Without it, one row for the whole reach (key None): an authority's summary.
With it (a region), one row per authority and the region's total (key None) from the same
statement: the per-authority rows are a common table expression and the total adds them up
(`_rows`), so the database reads the data once. School-level figures are over open
establishments; a document counts where its school is open.

What counts:
- support status: the current one; a school without one is `none`.
- plans and reports: by status; `overdue` = still draft or returned after the authority's due
  date for the session; `missing` = open schools with no document at all after it.
- visits: final visits of the session of the kinds the authority counts
  (`counted_visit_kinds`); below the minimum = fewer than its `min_visits_per_session`.
- VSEs: by status; `total` = those scheduled, in progress, reported or closed; themes of the
  VSEs reported or closed (the team's findings), most frequent first.
- grades: self-evaluated = quality reports submitted, agreed or closed (one per school and
  session); validated = each school's latest validated grade per indicator: of its VSEs of
  the session reported or closed that grade the indicator, the last reported (then the
  greatest id), so a school counts once however many VSEs it had; good or better = grade >=
  the framework's `good_or_better_from`; accuracy = self-evaluated minus that validated grade
  per school and indicator, the self-evaluated grade being the one the school gave before
  that VSE's visit where it gave one, else the one in its report.
- CLPL: events not cancelled that start in the session (1 August to 31 July, UTC) and are
  run by the authority (for a region's totals: by the region or any of its authorities);
  participants = distinct people with a confirmed place; attendance rate = attended among
  confirmed places whose attendance is marked, as a percent (clpl.schemas.ATTENDANCE_RATE,
  put together in the service from the counts here); late cancellations = registrations
  cancelled after their event started; mean change = mean of after - before.
- trios: establishments that are members of a trio or quad in the session.
- Pupil Equity Fund: allocated = the pef_allocation of the priorities of plans submitted,
  agreed or closed; spent = the pef_spend of reports submitted, agreed or closed (those that
  give one).

Each statement is built once per shape (breakdown or not, how many authorities, whether a
region's own events count: `@cache`d builders) with the reach, the session and today as bound
parameters (`bound`), so a summary, and each session of a trend, pays only for binding and
running its SQL, not for building and compiling it again."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle, VseEvaluation, VseSchoolGrade, VseTheme
from app.core.schemas import session_bounds
from app.frameworks.models import Framework
from app.learning.clpl.models import LATE_CANCELLED, ClplEvaluation, ClplEvent, ClplRegistration
from app.learning.trios.models import Trio, TrioMember
from app.organisations.models import Authority, Establishment
from app.organisations.school_year import counted_visit
from app.planning.models import (
    ImprovementPlan,
    PlanningCalendar,
    PlanPriority,
    QualityReport,
    ReportEvaluation,
)

RAGS = ("red", "amber", "green")
LEVELS = ("universal", "additional", "intensive")
DOCUMENT_STATUSES = ("draft", "submitted", "returned", "agreed", "closed")
NOT_SUBMITTED = ("draft", "returned")
VSE_STATUSES = ("proposed", "scheduled", "in_progress", "reported", "closed", "cancelled")
SELF_EVALUATED = ("submitted", "agreed", "closed")  # a report's grades once the school sent it
VALIDATED = ("reported", "closed")  # a VSE's grades and themes once reported
# VSEs the authority has taken on: not a proposal or a school's request still waiting, nor
# one cancelled, so a school asking (or asking again) moves no total.
UNDERTAKEN = ("scheduled", "in_progress", "reported", "closed")
DIMENSIONS = ("knowledge", "understanding", "confidence")
BITS = 60  # authorities per bitmask: a bigint on PostgreSQL, an integer on SQLite

Key = uuid.UUID | None
Rows = dict[Key, dict[str, Any]]


@dataclass(frozen=True)
class Reach:
    authority_ids: tuple[uuid.UUID, ...]
    region_id: uuid.UUID | None = None  # a region's own CLPL events count in its totals


def _table(model: Any) -> Any:
    """The model's table: its columns (`.c`) are plain SQL expressions."""
    return model.__table__


ESTABLISHMENT = _table(Establishment)
AUTHORITY = _table(Authority)
STATUS = _table(SupportStatus)
CALENDAR = _table(PlanningCalendar)
VISIT = _table(Visit)
PLAN = _table(ImprovementPlan)
REPORT = _table(QualityReport)
REPORT_GRADE = _table(ReportEvaluation)
VSE = _table(VseCycle)
VSE_GRADE = _table(VseEvaluation)
VSE_THEME = _table(VseTheme)
VSE_SCHOOL_GRADE = _table(VseSchoolGrade)
FRAMEWORK = _table(Framework)
EVENT = _table(ClplEvent)
PLACE = _table(ClplRegistration)
EVENT_EVALUATION = _table(ClplEvaluation)
TRIO = _table(Trio)
TRIO_MEMBER = _table(TrioMember)
DOCUMENTS = {"plans": (PLAN, "plan_due"), "reports": (REPORT, "report_due")}


def _count_if(condition: Any) -> Any:
    return func.count(case((condition, 1)))


def _share_of(condition: Any) -> Any:
    """AVG of 100/0: the percent of rows meeting the condition (NULL over no rows)."""
    return func.avg(case((condition, 100.0), else_=0.0))


Total = Callable[[Any], Any] | None  # how a column adds up over the authorities


def _sum_of(column: str) -> Callable[[Any], Any]:
    return lambda c: func.sum(c[column])


def _percent(part: str, whole: str) -> Callable[[Any], Any]:
    return lambda c: 100.0 * func.sum(c[part]) / func.nullif(func.sum(c[whole]), 0)


# The parameters every statement is built with.
AUTHORITIES: Any = bindparam("authorities", expanding=True)
SESSION: Any = bindparam("session_name")
SESSION_END = bindparam("session_end", type_=Date)
TODAY = bindparam("today", type_=Date)
STARTS = bindparam("starts", type_=DateTime(timezone=True))
ENDS = bindparam("ends", type_=DateTime(timezone=True))
REGION: Any = bindparam("region_id")
INDICATOR: Any = bindparam("indicator_code")


def authority(n: int) -> Any:
    """The reach's n-th authority, for figures kept per authority inside one row."""
    return bindparam(f"authority_{n}")


def bound(reach: Reach, session_name: str, today: date | None = None) -> dict[str, Any]:
    """The values of the parameters above for a reach and a session."""
    starts, ends = session_instants(session_name)
    return {"authorities": list(reach.authority_ids), "session_name": session_name,
            "session_end": session_bounds(session_name)[1], "today": today,
            "starts": starts, "ends": ends, "region_id": reach.region_id,
            **{f"authority_{n}": a for n, a in enumerate(reach.authority_ids)}}


def _run(db: Session, stmt: Any, reach: Reach, session_name: str, today: date | None = None,
         **more: Any) -> list[Any]:
    return list(db.execute(stmt, {**bound(reach, session_name, today), **more}))


def _rows(key: Any, columns: Sequence[Any], source: Any, where: Sequence[Any],
          breakdown: bool, *, extra_group: Sequence[Any] = (), totals: dict[str, Total] | None = None,
          order: Sequence[Any] = ()) -> Any:
    """Rows of aggregates (labelled `columns`) per extra group: one for the whole reach
    (`authority_id` None), or with `breakdown` one per authority and then the totals, which
    add up every group's row: SUM unless `totals` says otherwise for a label (a function of
    the per-group columns, or None for no total). A group whose key is None (the region's own
    CLPL events) counts in the totals only; `is_total` marks the totals. The statement: run it
    with `_run`."""
    labels = [c.name for c in extra_group]
    if not breakdown:
        stmt = (select(null().label("authority_id"), literal(True).label("is_total"),
                       *extra_group, *columns).select_from(source).where(*where))
        if extra_group:
            stmt = stmt.group_by(*extra_group)
        return stmt.order_by(*order)
    each = (select(key.label("authority_id"), literal(False).label("is_total"), *extra_group,
                   *columns).select_from(source).where(*where)
            .group_by(key, *extra_group).cte("each_authority"))
    rollup: dict[str, Total] = {**{c.name: _sum_of(c.name) for c in columns}, **(totals or {})}

    def added(name: str) -> Any:
        adds_up = rollup[name]
        return (null() if adds_up is None else adds_up(each.c)).label(name)

    total = select(null(), literal(True), *(each.c[n] for n in labels),
                   *(added(c.name) for c in columns)).select_from(each)
    if labels:
        total = total.group_by(*(each.c[n] for n in labels))
    owned = select(each).where(each.c.authority_id.is_not(None))
    return owned.union_all(total).order_by(*order)


def _keyed(rows: list[Any]) -> Rows:
    return {None if r.is_total else r.authority_id: dict(r._mapping) for r in rows}


# Establishments: support status, missing documents, visits, trio membership -------------


def establishment_figures(db: Session, reach: Reach, session_name: str, today: date,
                          breakdown: bool) -> Rows:
    return _keyed(_run(db, _establishment_statement(breakdown), reach, session_name, today))


@cache
def _establishment_statement(breakdown: bool) -> Any:
    e, a = ESTABLISHMENT.c, AUTHORITY.c
    status, calendar = aliased(STATUS), aliased(CALENDAR)
    visits = (select(VISIT.c.establishment_id, func.count().label("n"))
              .where(VISIT.c.session == SESSION, VISIT.c.status == "final",
                     VISIT.c.authority_id.in_(AUTHORITIES), counted_visit())
              .group_by(VISIT.c.establishment_id).subquery())
    has_plan = exists().where(PLAN.c.establishment_id == e.id, PLAN.c.session == SESSION)
    has_report = exists().where(REPORT.c.establishment_id == e.id, REPORT.c.session == SESSION)
    in_trio = exists().where(TRIO_MEMBER.c.establishment_id == e.id,
                             TRIO_MEMBER.c.session == SESSION)
    # The status in force in the session: the last one recorded among those agreed by its end
    # (a past session is told with the RAG it had, not with today's).
    earlier = aliased(STATUS)
    in_force = (select(func.max(earlier.c.sequence))
                .where(earlier.c.establishment_id == e.id,
                       earlier.c.agreed_on <= SESSION_END)
                .scalar_subquery())
    source = (ESTABLISHMENT.join(AUTHORITY, a.id == e.authority_id)
              .outerjoin(status, and_(status.c.establishment_id == e.id,
                                      status.c.sequence == in_force))
              .outerjoin(calendar, and_(calendar.c.authority_id == e.authority_id,
                                        calendar.c.session == SESSION))
              .outerjoin(visits, visits.c.establishment_id == e.id))
    columns = [
        func.count().label("total"),
        *(_count_if(status.c.rag == rag).label(f"rag_{rag}") for rag in RAGS),
        *(_count_if(status.c.level == level).label(f"level_{level}") for level in LEVELS),
        _count_if(status.c.id.is_(None)).label("no_status"),
        _count_if(and_(calendar.c.plan_due < TODAY, ~has_plan)).label("plans_missing"),
        _count_if(and_(calendar.c.report_due < TODAY, ~has_report)).label("reports_missing"),
        func.max(calendar.c.plan_due).label("plan_due"),
        func.max(calendar.c.report_due).label("report_due"),
        func.coalesce(func.sum(visits.c.n), 0).label("final_visits"),
        func.count(visits.c.n).label("visited"),
        _count_if(func.coalesce(visits.c.n, 0) < a.min_visits_per_session).label("below_minimum"),
        _count_if(in_trio).label("in_trio"),
        # The same aggregate as in_trio (the database computes it once), over all schools.
        (100.0 * _count_if(in_trio) / func.nullif(func.count(), 0)).label("percent_in_trio"),
    ]
    where = [e.authority_id.in_(AUTHORITIES), e.status == "open"]
    totals: dict[str, Total] = {"plan_due": None, "report_due": None,
                                "percent_in_trio": _percent("in_trio", "total")}
    return _rows(e.authority_id, columns, source, where, breakdown, totals=totals)


# Plans and reports ------------------------------------------------------------------


def document_figures(db: Session, kind: str, reach: Reach, session_name: str, today: date,
                     breakdown: bool) -> Rows:
    """`kind` "plans" or "reports": by status, and overdue against the calendar."""
    return _keyed(_run(db, _document_statement(kind, breakdown), reach, session_name, today))


@cache
def _document_statement(kind: str, breakdown: bool) -> Any:
    document, due_column = DOCUMENTS[kind]
    d, calendar = document.c, aliased(CALENDAR)
    source = (document.join(ESTABLISHMENT, ESTABLISHMENT.c.id == d.establishment_id)
              .outerjoin(calendar, and_(calendar.c.authority_id == d.authority_id,
                                        calendar.c.session == d.session)))
    columns = [
        func.count().label("total"),
        *(_count_if(d.status == s).label(s) for s in DOCUMENT_STATUSES),
        _count_if(and_(d.status.in_(NOT_SUBMITTED), calendar.c[due_column] < TODAY)).label("overdue"),
    ]
    where = [d.session == SESSION, d.authority_id.in_(AUTHORITIES), ESTABLISHMENT.c.status == "open"]
    return _rows(d.authority_id, columns, source, where, breakdown)


# VSEs ----------------------------------------------------------------------------------


def _vse_source() -> Any:
    return VSE.join(ESTABLISHMENT, ESTABLISHMENT.c.id == VSE.c.establishment_id)


def _vse_where() -> list[Any]:
    return [VSE.c.session == SESSION, VSE.c.authority_id.in_(AUTHORITIES),
            ESTABLISHMENT.c.status == "open"]


def vse_figures(db: Session, reach: Reach, session_name: str, breakdown: bool) -> Rows:
    return _keyed(_run(db, _vse_statement(breakdown), reach, session_name))


@cache
def _vse_statement(breakdown: bool) -> Any:
    columns = [_count_if(VSE.c.status.in_(UNDERTAKEN)).label("total"),
               *(_count_if(VSE.c.status == s).label(s) for s in VSE_STATUSES)]
    return _rows(VSE.c.authority_id, columns, _vse_source(), _vse_where(), breakdown)


def vse_themes(db: Session, reach: Reach, session_name: str,
               breakdown: bool) -> dict[Key, list[dict[str, Any]]]:
    """Themes with the number of VSEs naming them, most frequent first, then by name."""
    rows = _run(db, _themes_statement(breakdown), reach, session_name)
    found: dict[Key, list[dict[str, Any]]] = {}
    for row in rows:
        key = None if row.is_total else row.authority_id
        found.setdefault(key, []).append({"theme": row.theme, "count": int(row.n)})
    return found


@cache
def _themes_statement(breakdown: bool) -> Any:
    source = _vse_source().join(VSE_THEME, VSE_THEME.c.vse_id == VSE.c.id)
    where = [*_vse_where(), VSE.c.status.in_(VALIDATED)]
    return _rows(VSE.c.authority_id, [func.count().label("n")], source, where, breakdown,
                 extra_group=[VSE_THEME.c.theme],
                 order=[literal_column("n").desc(), literal_column("theme")])


# Grades: self-evaluated, validated, accuracy -----------------------------------------


def shares(source: Any, where: list[Any], authority: Any, framework_code: Any, indicator: Any,
           grade: Any, breakdown: bool, one: bool = False) -> Any:
    """Grades good or better, per framework and indicator (`one`: for the indicator code
    INDICATOR, across frameworks)."""
    good = FRAMEWORK.c.good_or_better_from
    group = [framework_code.label("framework_code"), indicator.label("indicator_code")]
    if one:
        group, where = [], [*where, indicator == INDICATOR]
    columns = [func.count().label("evaluations"),
               _count_if(grade >= good).label("good_or_better"),
               _share_of(grade >= good).label("percent")]
    return _rows(authority, columns, source, where, breakdown, extra_group=group,
                 totals={"percent": _percent("good_or_better", "evaluations")})


def self_evaluated(db: Session, reach: Reach, session_name: str, breakdown: bool,
                   indicator_code: str | None = None) -> list[Any]:
    """Per framework and indicator (or for one indicator code, across frameworks): the grades
    of the quality reports the schools sent."""
    return _run(db, _self_evaluated_statement(breakdown, indicator_code is not None), reach,
                session_name, indicator_code=indicator_code)


@cache
def _self_evaluated_statement(breakdown: bool, one: bool) -> Any:
    g, p = REPORT_GRADE.c, REPORT.c
    source = (REPORT_GRADE.join(REPORT, g.report_id == p.id)
              .join(ESTABLISHMENT, ESTABLISHMENT.c.id == p.establishment_id)
              .join(FRAMEWORK, FRAMEWORK.c.code == p.framework_code))
    where = [p.session == SESSION, p.status.in_(SELF_EVALUATED),
             p.authority_id.in_(AUTHORITIES), ESTABLISHMENT.c.status == "open"]
    return shares(source, where, p.authority_id, p.framework_code, g.indicator_code, g.grade,
                  breakdown, one)


def _latest_validated() -> Any:
    """The validated grades of the session's VSEs reported or closed, each ranked among its
    school's grades for the same indicator (`recency` 1: the last reported, then the greatest
    id; a cycle reported before reported_at was kept comes last)."""
    v, g = VSE.c, VSE_GRADE.c
    recency = func.row_number().over(
        partition_by=(v.establishment_id, v.framework_code, g.indicator_code),
        order_by=(v.reported_at.desc().nulls_last(), v.id.desc()))
    return (select(v.establishment_id, v.authority_id, v.framework_code, g.indicator_code,
                   g.grade, recency.label("recency"), v.id.label("vse_id"))
            .select_from(VSE_GRADE.join(VSE, g.vse_id == v.id))
            .where(v.session == SESSION, v.status.in_(VALIDATED), v.authority_id.in_(AUTHORITIES))
            .subquery("latest_validated"))


def latest_shares(latest: Any, breakdown: bool, one: bool = False) -> Any:
    """Each school once per indicator: its latest grade (`recency` 1) in `latest`."""
    graded = latest.c
    source = (latest.join(ESTABLISHMENT, ESTABLISHMENT.c.id == graded.establishment_id)
              .join(FRAMEWORK, FRAMEWORK.c.code == graded.framework_code))
    return shares(source, [graded.recency == 1, ESTABLISHMENT.c.status == "open"],
                  graded.authority_id, graded.framework_code, graded.indicator_code, graded.grade,
                  breakdown, one)


def validated(db: Session, reach: Reach, session_name: str, breakdown: bool,
              indicator_code: str | None = None) -> list[Any]:
    """Each school once per indicator: its latest validated grade (or for one indicator code,
    across frameworks)."""
    return _run(db, _validated_statement(breakdown, indicator_code is not None), reach,
                session_name, indicator_code=indicator_code)


@cache
def _validated_statement(breakdown: bool, one: bool) -> Any:
    return latest_shares(_latest_validated(), breakdown, one)


def _mean(total: str, count: str) -> Callable[[Any], Any]:
    return lambda c: 1.0 * func.sum(c[total]) / func.nullif(func.sum(c[count]), 0)


def accuracy(db: Session, reach: Reach, session_name: str, breakdown: bool) -> list[Any]:
    """Self-evaluated minus validated grade, per indicator, over schools graded both ways:
    each school's latest validated grade against the school's own grade given before that
    VSE's visit where it gave one (`before_visit` counts those), else the grade in its report
    (a report may be written after the VSE, so the view before it is the truer test)."""
    return _run(db, _accuracy_statement(breakdown), reach, session_name)


@cache
def _accuracy_statement(breakdown: bool) -> Any:
    checked, own = _latest_validated(), VSE_SCHOOL_GRADE.c
    c, r, g = checked.c, REPORT.c, REPORT_GRADE.c
    reported = (select(r.establishment_id, r.framework_code, g.indicator_code, g.grade)
                .select_from(REPORT_GRADE.join(REPORT, g.report_id == r.id))
                .where(r.session == SESSION, r.status.in_(SELF_EVALUATED),
                       r.authority_id.in_(AUTHORITIES))
                .subquery("reported"))
    source = (checked.join(ESTABLISHMENT, ESTABLISHMENT.c.id == c.establishment_id)
              .outerjoin(VSE_SCHOOL_GRADE, and_(own.vse_id == c.vse_id,
                                                own.indicator_code == c.indicator_code))
              .outerjoin(reported, and_(reported.c.establishment_id == c.establishment_id,
                                        reported.c.framework_code == c.framework_code,
                                        reported.c.indicator_code == c.indicator_code)))
    school_grade = func.coalesce(own.grade, reported.c.grade)
    columns, totals = _accuracy_columns(school_grade - c.grade)
    columns.append(_count_if(own.grade.is_not(None)).label("before_visit"))
    where = [c.recency == 1, ESTABLISHMENT.c.status == "open", school_grade.is_not(None)]
    group = [c.framework_code.label("framework_code"), c.indicator_code.label("indicator_code")]
    return _rows(c.authority_id, columns, source, where, breakdown, extra_group=group,
                 totals=totals)


def _accuracy_columns(difference: Any) -> tuple[list[Any], dict[str, Total]]:
    """The figures of an accuracy (own grade minus the grade checked), and how they add up."""
    columns = [func.count().label("schools"),
               func.sum(difference).label("sum_difference"),
               func.sum(func.abs(difference)).label("sum_absolute_difference"),
               func.avg(difference).label("mean_difference"),
               func.avg(func.abs(difference)).label("mean_absolute_difference"),
               _count_if(difference > 0).label("higher"),
               _count_if(difference == 0).label("same"),
               _count_if(difference < 0).label("lower")]
    return columns, {"mean_difference": _mean("sum_difference", "schools"),
                     "mean_absolute_difference": _mean("sum_absolute_difference", "schools")}


def accuracy_against(checked: Any, breakdown: bool) -> Any:
    """The accuracy of the schools' reports against the grades `checked` gives
    (establishment_id, framework_code, indicator_code, grade, and `recency` 1 for the one to
    compare with): an inspection's, say."""
    r, g = REPORT.c, REPORT_GRADE.c
    source = (REPORT_GRADE.join(REPORT, g.report_id == r.id)
              .join(ESTABLISHMENT, ESTABLISHMENT.c.id == r.establishment_id)
              .join(checked, and_(checked.c.establishment_id == r.establishment_id,
                                  checked.c.framework_code == r.framework_code,
                                  checked.c.indicator_code == g.indicator_code,
                                  checked.c.recency == 1)))
    columns, totals = _accuracy_columns(g.grade - checked.c.grade)
    where = [r.session == SESSION, r.status.in_(SELF_EVALUATED),
             r.authority_id.in_(AUTHORITIES), ESTABLISHMENT.c.status == "open"]
    group = [r.framework_code.label("framework_code"), g.indicator_code.label("indicator_code")]
    return _rows(r.authority_id, columns, source, where, breakdown, extra_group=group,
                 totals=totals)


# CLPL ----------------------------------------------------------------------------------


def session_instants(session_name: str) -> tuple[datetime, datetime]:
    first, last = session_bounds(session_name)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return start, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


def _events(region: bool) -> list[Any]:
    """Events in reach starting in the session, not cancelled (`region`: the region's own
    too)."""
    owner = EVENT.c.authority_id.in_(AUTHORITIES)
    if region:
        owner = or_(owner, EVENT.c.region_id == REGION)
    return [owner, EVENT.c.status != "cancelled", EVENT.c.starts_at >= STARTS,
            EVENT.c.starts_at < ENDS]


@cache
def _people(authorities: int, region: bool) -> Any:
    """Distinct participants of the whole reach and of each authority, and the reach's
    places, in one pass. Confirmed
    places are grouped by email, in the order of an index (no sort), and each person carries a
    bitmask of the authorities whose events they have a place at (the SUM of DISTINCT bits is
    their OR); the outer query counts the people and, per authority, those with its bit.
    Counting distinct people separately for the reach and for each authority would sort every
    place once per count: this is the costliest figure. Erased registrations (no email) are
    one person each."""
    places = PLACE.c
    events = select(EVENT.c.id).where(*_events(region))
    mine = [places.status == "confirmed", places.event_id.in_(events)]
    chunks = [range(i, min(i + BITS, authorities)) for i in range(0, authorities, BITS)]
    masks = [func.sum(func.distinct(case(*((places.authority_id == authority(n), 1 << (n - k * BITS))
                                           for n in chunk), else_=0))).label(f"m{k}")
             for k, chunk in enumerate(chunks)]
    each = (select(places.participant_email.label("person"), func.count().label("places"),
                   func.count(places.attended).label("marked"),
                   _count_if(places.attended.is_(True)).label("came"), *masks)
            .where(*mine).group_by(places.participant_email).subquery())
    # Erased places (grouped together above, under no email) per authority, in one row.
    erased = (select(*(_count_if(places.authority_id == authority(n)).label(f"e{n}")
                       for n in range(authorities)), literal(0).label("none"))
              .where(*mine, places.participant_email.is_(None)).subquery())
    named = each.c.person.is_not(None)
    flags = [(_count_if(and_(named, each.c[f"m{k}"].op("&")(1 << (n - k * BITS)) != 0))
              + func.max(erased.c[f"e{n}"])).label(f"in_{n}")
             for k, chunk in enumerate(chunks) for n in chunk]
    return select(
        func.coalesce(func.sum(case((named, 1), else_=each.c.places)), 0).label("participants"),
        func.coalesce(func.sum(each.c.places), 0).label("registrations"),
        func.coalesce(func.sum(each.c.marked), 0).label("attendance_marked"),
        func.coalesce(func.sum(each.c.came), 0).label("attended"), *flags,
    ).select_from(each).join(erased, true())


def clpl_figures(db: Session, reach: Reach, session_name: str, breakdown: bool) -> Rows:
    """The reach's figures (key None: with the region's own events) and, with `breakdown`,
    each authority's (its own events). Distinct participants and the reach's places come from
    `_people`; events and evaluations from the events and their evaluations; each authority's
    places from a walk from its events to their places, in the order of the events'
    authority index."""
    region = reach.region_id is not None
    [people] = _run(db, _people(len(reach.authority_ids), region), reach, session_name)
    found: Rows = {None: {k: v for k, v in people._mapping.items() if not k.startswith("in_")}}
    for row in _run(db, _events_statement(breakdown, region), reach, session_name):
        found.setdefault(None if row.is_total else row.authority_id, {}).update(row._mapping)
    if breakdown:
        for row in _run(db, _places_statement(), reach, session_name):
            found.setdefault(row.authority_id, {}).update(row._mapping)
        for n, each in enumerate(reach.authority_ids):
            found.setdefault(each, {})["participants"] = people._mapping[f"in_{n}"]
    return found


@cache
def _events_statement(breakdown: bool, region: bool) -> Any:
    # Evaluations added up per event first, so that the events' rows are not multiplied by
    # their evaluations (which would need COUNT(DISTINCT event) over a sort).
    rated = EVENT_EVALUATION.c
    per_event = (select(rated.event_id, func.count().label("n"),
                        *(func.sum(rated[f"{d}_after"] - rated[f"{d}_before"]).label(d)
                          for d in DIMENSIONS))
                 .where(rated.event_id.in_(select(EVENT.c.id).where(*_events(region))))
                 .group_by(rated.event_id).subquery())
    # Late cancellations, counted per event the same way (the event and status index).
    late = (select(PLACE.c.event_id, func.count().label("n"))
            .where(PLACE.c.status == LATE_CANCELLED,
                   PLACE.c.event_id.in_(select(EVENT.c.id).where(*_events(region))))
            .group_by(PLACE.c.event_id).subquery())
    evaluations = func.coalesce(func.sum(per_event.c.n), 0)
    columns = [func.count().label("events"), evaluations.label("evaluations"),
               func.coalesce(func.sum(late.c.n), 0).label("late_cancellations"),
               *(func.sum(per_event.c[d]).label(f"sum_change_{d}") for d in DIMENSIONS),
               *((1.0 * func.sum(per_event.c[d]) / func.nullif(evaluations, 0)).label(f"change_{d}")
                 for d in DIMENSIONS)]
    totals: dict[str, Total] = {f"change_{d}": _mean(f"sum_change_{d}", "evaluations")
                                for d in DIMENSIONS}
    rated_events = (EVENT.outerjoin(per_event, per_event.c.event_id == EVENT.c.id)
                    .outerjoin(late, late.c.event_id == EVENT.c.id))
    return _rows(EVENT.c.authority_id, columns, rated_events, _events(region), breakdown,
                 totals=totals)


@cache
def _places_statement() -> Any:
    """Each authority's places at its own events."""
    confirmed, attended = PLACE.c.status == "confirmed", PLACE.c.attended
    places = [
        _count_if(confirmed).label("registrations"),
        _count_if(and_(confirmed, attended.is_not(None))).label("attendance_marked"),
        _count_if(and_(confirmed, attended.is_(True))).label("attended"),
    ]
    return (select(EVENT.c.authority_id, *places)
            .select_from(EVENT.join(PLACE, PLACE.c.event_id == EVENT.c.id))
            .where(*_events(region=False)).group_by(EVENT.c.authority_id))


# Trios ---------------------------------------------------------------------------------


def trio_figures(db: Session, reach: Reach, session_name: str, breakdown: bool) -> Rows:
    return _keyed(_run(db, _trio_statement(breakdown), reach, session_name))


@cache
def _trio_statement(breakdown: bool) -> Any:
    columns = [func.count().label("groups"), _count_if(TRIO.c.kind == "quad").label("quads")]
    where = [TRIO.c.session == SESSION, TRIO.c.authority_id.in_(AUTHORITIES)]
    return _rows(TRIO.c.authority_id, columns, TRIO, where, breakdown)


# Pupil Equity Fund ---------------------------------------------------------------------

PEF_SENT = ("submitted", "agreed", "closed")  # a plan's allocation, a report's spend, once sent
PRIORITY = _table(PlanPriority)


def pef_figures(db: Session, reach: Reach, session_name: str, breakdown: bool) -> Rows:
    """PEF allocated in the session's plans and spent according to its reports."""
    allocated = _keyed(_run(db, _pef_allocated_statement(breakdown), reach, session_name))
    spent = _keyed(_run(db, _pef_spent_statement(breakdown), reach, session_name))
    return {key: {**allocated.get(key, {}), **spent.get(key, {})}
            for key in allocated.keys() | spent.keys()}


@cache
def _pef_allocated_statement(breakdown: bool) -> Any:
    p = PLAN.c
    source = (PLAN.join(ESTABLISHMENT, ESTABLISHMENT.c.id == p.establishment_id)
              .outerjoin(PRIORITY, PRIORITY.c.plan_id == p.id))
    columns = [func.sum(PRIORITY.c.pef_allocation).label("pef_allocated"),
               func.count(func.distinct(p.id)).label("pef_plans")]
    where = [p.session == SESSION, p.authority_id.in_(AUTHORITIES), p.status.in_(PEF_SENT),
             ESTABLISHMENT.c.status == "open"]
    return _rows(p.authority_id, columns, source, where, breakdown)


@cache
def _pef_spent_statement(breakdown: bool) -> Any:
    r = REPORT.c
    source = REPORT.join(ESTABLISHMENT, ESTABLISHMENT.c.id == r.establishment_id)
    columns = [func.sum(r.pef_spend).label("pef_spent"),
               func.count(r.pef_spend).label("pef_reports")]
    where = [r.session == SESSION, r.authority_id.in_(AUTHORITIES), r.status.in_(PEF_SENT),
             ESTABLISHMENT.c.status == "open"]
    return _rows(r.authority_id, columns, source, where, breakdown)
