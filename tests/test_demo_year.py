"""The demo's year follows today: its sessions are the current one (today's) and the last one,
whatever year the demo is loaded in; what the record says happened is dated on or before
today, what is planned after it; the same day gives the same figures (seeded per school);
the authority's summary for the current session has something to show in every part."""

import sys
from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle
from app.cli import SYSTEM
from app.core import schemas, types
from app.core.schemas import session_of
from app.demo import seed_demo
from app.learning.trios.models import Trio
from app.organisations.models import Authority, Establishment
from app.planning.models import ImprovementPlan, PlanningCalendar, QualityReport, ReportEvaluation

NL = "S12000050"


# Tokens keep the real clock: the JWT library checks their times against it.
REAL_CLOCK = ("app.core.security", "app.identity.tokens")


def clock(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    """Today is `today` for the app: every module's `utcnow`, `current_session` and
    `latest_session_start` (each module holds its own reference), but for tokens."""
    now, fixed = datetime.combine(today, time(12, 0), tzinfo=UTC), today
    real_start = schemas.latest_session_start

    def latest_session_start(today: date | None = None) -> int:
        return real_start(today or fixed)

    fakes: dict[Any, Any] = {
        types.utcnow: lambda: now,
        schemas.current_session: lambda: session_of(fixed),
        real_start: latest_session_start,
    }
    for name, module in list(sys.modules.items()):
        if module is None or name in REAL_CLOCK or not (name == "app" or name.startswith("app.")):
            continue
        for attribute in ("utcnow", "current_session", "latest_session_start"):
            held = vars(module).get(attribute)
            if held is not None and held in fakes:
                monkeypatch.setattr(module, attribute, fakes[held])


def _seed(engine: Any) -> dict[str, int]:
    with Session(engine, expire_on_commit=False) as session:
        counts = seed_demo(session, SYSTEM)
        session.commit()
    return counts


def figures(db: Session) -> dict[str, Any]:
    """What a newcomer's lists show, by school code (no ids, no timestamps)."""
    db.expire_all()
    code = {e.id: e.code for e in db.exec(select(Establishment))}
    return {
        "plans": sorted((code[p.establishment_id], p.session, p.status)
                        for p in db.exec(select(ImprovementPlan))),
        "reports": sorted((code[r.establishment_id], r.session, r.status)
                          for r in db.exec(select(QualityReport))),
        "grades": sorted(db.exec(select(ReportEvaluation.indicator_code, ReportEvaluation.grade))),
        "support": sorted((code[s.establishment_id], s.sequence, s.rag, s.level,
                           s.agreed_on.isoformat()) for s in db.exec(select(SupportStatus))),
        "visits": sorted((code[v.establishment_id], v.visit_date.isoformat(), v.kind, v.status,
                          v.shared_with_school, v.focus) for v in db.exec(select(Visit))),
        "vse": sorted((code[v.establishment_id], v.session, v.status, str(v.visit_start))
                      for v in db.exec(select(VseCycle))),
        "trios": sorted(t.name for t in db.exec(select(Trio))),
    }


def _check_year(db: Session, api: Any, make: Any, today: date) -> None:
    current = session_of(today)
    last = f"{int(current[:4]) - 1}-{current[2:4]}"
    nl = db.exec(select(Authority).where(Authority.code == NL)).one()

    assert set(db.exec(select(ImprovementPlan.session))) == {last, current}
    assert set(db.exec(select(QualityReport.session))) == {last}
    assert set(db.exec(select(PlanningCalendar.session))) == {last, current}
    assert set(db.exec(select(Trio.session))) == {current}
    by_session = Counter(db.exec(select(ImprovementPlan.session, ImprovementPlan.status)))
    assert {s for (n, s) in by_session if n == last} == {"closed"}
    assert {s for (n, s) in by_session if n == current} == {
        "draft", "submitted", "returned", "agreed"}

    visits = list(db.exec(select(Visit)))
    assert {v.session for v in visits if v.status != "planned"} == {current}
    assert all(v.visit_date <= today for v in visits if v.status in ("final", "draft"))
    assert all(v.visit_date > today for v in visits if v.status == "planned")
    assert all(v.focus and v.agenda for v in visits if v.status == "planned")
    for cycle in db.exec(select(VseCycle)):
        if cycle.status in ("reported", "closed", "in_progress"):
            assert cycle.visit_start is not None and cycle.visit_start <= today, cycle
        if cycle.status in ("reported", "closed"):
            assert cycle.visit_end is not None and cycle.visit_end <= today, cycle
        if cycle.status == "scheduled":
            assert cycle.visit_start is not None and cycle.visit_start > today, cycle
        assert session_of(cycle.visit_start) == cycle.session

    current_status = list(db.exec(select(SupportStatus).where(col(SupportStatus.is_current))))
    assert {s.rag for s in current_status} == {"green", "amber", "red"}
    assert all(s.agreed_on <= today for s in db.exec(select(SupportStatus)))
    counted = Counter(v.establishment_id for v in visits if v.status == "final"
                      and v.kind in nl.counted_visit_kinds)
    minimum = nl.min_visits_per_session
    assert any(n < minimum for n in counted.values()), "some schools below the minimum"
    assert any(n >= minimum for n in counted.values()), "some at or above it"

    admin = make.headers(make.admin())
    summary = api.get(f"/api/v1/summaries/authorities/{nl.id}", params={"session": current},
                      headers=admin).json()
    assert summary.get("session") == current, summary
    assert all(summary["establishments"]["by_rag"][r] > 0 for r in ("green", "amber", "red"))
    assert summary["plans"]["total"] > 0 and summary["plans"]["by_status"]["agreed"] > 0
    visited = summary["visits"]
    assert visited["final_visits"] > 0 and visited["establishments_visited"] > 0
    assert summary["vse"]["total"] > 0 and summary["trios"]["groups"] > 0
    assert summary["clpl"]["events"] > 0
    past = api.get(f"/api/v1/summaries/authorities/{nl.id}", params={"session": last},
                   headers=admin).json()
    assert past["reports"]["by_status"]["agreed"] > 0 and past["indicators"]


@pytest.mark.parametrize("today", [date(2026, 12, 7), date(2028, 3, 15)])
def test_the_demo_year_follows_today(today: date, engine, db: Session, api, make,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded on 7 December 2026 the year is 2026-27 (and 2025-26 before it); loaded in March
    2028 it is 2027-28 (and 2026-27), everything dated to suit."""
    clock(monkeypatch, today)
    _seed(engine)
    _check_year(db, api, make, today)


def test_the_demo_year_is_the_same_each_load(engine, db: Session,
                                             monkeypatch: pytest.MonkeyPatch,
                                             reference_ids: dict[str, set[str]]) -> None:
    """The same day gives the same year, school by school; a second load adds nothing."""
    from tests.conftest import _reset

    clock(monkeypatch, date(2027, 2, 10))
    _seed(engine)
    first = figures(db)
    db.commit()
    assert set(_seed(engine).values()) == {0}
    assert figures(db) == first
    db.commit()
    _reset(engine, reference_ids)
    _seed(engine)
    assert figures(db) == first
