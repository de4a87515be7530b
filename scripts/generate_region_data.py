"""A West Partnership-sized region in a fresh SQLite file, for benchmarking summaries.

    .venv/bin/python scripts/generate_region_data.py data/region.db [--scale 10] [--seed 2025]

At scale 1, one session (2025-26) across the region's 8 authorities: ~860 establishments with
support statuses (some with history), calendars, a plan and a standards and quality report
(four graded core QIs) for nearly every school, ~3,500 visits, ~100 VSEs with grades and
themes, ~2,000 CLPL events with ~60,000 registrations, attendance and evaluations, and trios.
`--scale N` multiplies every count (the region keeps its 8 authorities). The schema is built
by the migrations and the rows go in with bulk inserts (executemany), bypassing the API."""

import argparse
import logging
import random
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle, VseEvaluation, VseTheme
from app.core.db import MIGRATIONS_DIR
from app.identity.models import User
from app.learning.clpl.models import ClplEvaluation, ClplEvent, ClplRegistration
from app.learning.trios.models import Trio, TrioMember
from app.organisations.models import Authority, Establishment, Region
from app.planning.models import ImprovementPlan, PlanningCalendar, QualityReport, ReportEvaluation

REGION = "west-partnership"
SESSION = "2025-26"
START = date(2025, 8, 1)
NOW = datetime(2026, 3, 1, tzinfo=UTC)  # the session is half way through
SECTORS = ["primary"] * 70 + ["secondary"] * 12 + ["special"] * 5 + ["elc"] * 13
CORE_QIS = ("1.3", "2.3", "3.1", "3.2")
THEMES = ["Curriculum design", "Tracking and monitoring", "Learner voice", "Moderation of assessment",
          "Leadership of change", "Differentiation", "Play pedagogy", "Family learning",
          "Digital learning", "Wellbeing and inclusion", "Numeracy across learning",
          "Writing across the curriculum"]
PLAN_STATUSES = ["agreed"] * 60 + ["submitted"] * 15 + ["returned"] * 8 + ["draft"] * 12 + ["closed"] * 5
REPORT_STATUSES = ["agreed"] * 55 + ["submitted"] * 20 + ["returned"] * 5 + ["draft"] * 20
VSE_STATUSES = ["reported"] * 35 + ["closed"] * 25 + ["in_progress"] * 10 + ["scheduled"] * 15 + [
    "proposed"] * 10 + ["cancelled"] * 5


def defaults(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A row as the ORM would write it: every field the values leave out at its default."""
    row = {}
    for name, field in model.model_fields.items():
        if name in values:
            row[name] = values[name]
        elif field.default_factory is not None:
            row[name] = field.default_factory()
        elif not field.is_required():
            row[name] = field.default
    return row


class Writer:
    """Bulk inserts in chunks, counting what went in."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {}

    def insert(self, model: Any, rows: Iterable[dict[str, Any]], chunk: int = 20_000) -> None:
        table = model.__table__
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(defaults(model, row))
            if len(batch) >= chunk:
                self._flush(table, batch)
                batch = []
        if batch:
            self._flush(table, batch)

    def _flush(self, table: Any, batch: list[dict[str, Any]]) -> None:
        self.connection.execute(table.insert(), batch)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(batch)


def migrate(path: Path) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = create_engine(f"sqlite:///{path}")
    config = Config(str(MIGRATIONS_DIR.parent / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with Session(engine) as session:
        from app.cli import load_reference

        load_reference(session)
        session.commit()
    engine.dispose()


def day_in_session(rng: random.Random, until: date = NOW.date()) -> date:
    return START + timedelta(days=rng.randrange((until - START).days))


def generate(path: Path, scale: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    migrate(path)
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    with engine.begin() as connection:
        write = Writer(connection)
        region = connection.execute(select(Region.__table__).where(  # type: ignore[attr-defined]
            Region.__table__.c.code == REGION)).one()  # type: ignore[attr-defined]
        authorities = list(connection.execute(select(Authority.__table__).where(  # type: ignore[attr-defined]
            Authority.__table__.c.region_id == region.id)))  # type: ignore[attr-defined]
        officers = {a.id: [uuid.uuid4() for _ in range(8 * scale)] for a in authorities}
        write.insert(User, ({"id": officer, "email": f"officer{n}.{a.code}@bench.sih.scot",
                             "password_hash": "!", "role": "officer", "authority_id": a.id}
                            for a in authorities for n, officer in enumerate(officers[a.id])))

        # Establishments, spread over the authorities as unevenly as real councils are.
        weights = [rng.uniform(0.4, 2.5) for _ in authorities]
        schools: list[dict[str, Any]] = []
        for i in range(860 * scale):
            authority = rng.choices(authorities, weights)[0]
            schools.append({"id": uuid.uuid4(), "code": f"{8_000_000 + i:07d}",
                            "name": f"School {i}", "sector": rng.choice(SECTORS),
                            "authority_id": authority.id, "cluster_id": None,
                            "area": f"Area {i % 6}", "roll": rng.randrange(20, 1500),
                            "status": "closed" if rng.random() < 0.02 else "open"})
        write.insert(Establishment, schools)

        statuses = []
        for school in schools:
            for sequence in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
                statuses.append({"establishment_id": school["id"], "authority_id": school["authority_id"],
                                 "sequence": sequence, "is_current": False,
                                 "rag": rng.choice(("red", "amber", "amber", "green", "green", "green")),
                                 "level": rng.choice(("universal",) * 4 + ("additional", "intensive")),
                                 "agreed_on": day_in_session(rng), "notes": "Agreed at review."})
            statuses[-1]["is_current"] = True
        write.insert(SupportStatus, statuses)
        write.insert(PlanningCalendar, ({"authority_id": a.id, "session": SESSION,
                                         "plan_due": date(2025, 9, 30), "report_due": date(2026, 6, 26)}
                                        for a in authorities))

        plans, reports, grades = [], [], []
        for school in schools:
            if rng.random() < 0.95:
                plans.append({"establishment_id": school["id"], "authority_id": school["authority_id"],
                              "session": SESSION, "status": rng.choice(PLAN_STATUSES),
                              "title": "School improvement plan"})
            if rng.random() < 0.9:
                report_id = uuid.uuid4()
                framework = "HGIOELC" if school["sector"] == "elc" else "HGIOS4"
                reports.append({"id": report_id, "establishment_id": school["id"],
                                "authority_id": school["authority_id"], "session": SESSION,
                                "status": rng.choice(REPORT_STATUSES), "framework_code": framework})
                grades.extend({"report_id": report_id, "position": n, "indicator_code": code,
                               "grade": rng.choice((2, 3, 3, 4, 4, 4, 5, 5, 6)),
                               "evaluative_text": "Evidence from tracking and observation."}
                              for n, code in enumerate(CORE_QIS))
        write.insert(ImprovementPlan, plans)
        write.insert(QualityReport, reports)
        write.insert(ReportEvaluation, grades)

        visits = []
        for _ in range(3500 * scale):
            school = rng.choice(schools)
            visits.append({"establishment_id": school["id"], "authority_id": school["authority_id"],
                           "officer_id": rng.choice(officers[school["authority_id"]]),
                           "session": SESSION, "visit_date": day_in_session(rng),
                           "kind": rng.choice(("support_and_challenge", "plan_review", "other")),
                           "status": "final" if rng.random() < 0.9 else "draft",
                           "notes": "Discussed the tracking of P4 numeracy with the HT."})
        write.insert(Visit, visits)

        cycles, vse_grades, themes = [], [], []
        for school in rng.sample(schools, 100 * scale):
            cycle_id, status = uuid.uuid4(), rng.choice(VSE_STATUSES)
            codes = rng.sample(CORE_QIS, rng.choice((2, 3)))
            cycles.append({"id": cycle_id, "establishment_id": school["id"],
                           "authority_id": school["authority_id"], "session": SESSION,
                           "trigger": rng.choice(("authority_directed", "school_requested")),
                           "framework_code": "HGIOELC" if school["sector"] == "elc" else "HGIOS4",
                           "indicator_codes": codes, "status": status,
                           "visit_start": day_in_session(rng), "summary": "Findings."})
            if status in ("reported", "closed", "in_progress"):
                vse_grades.extend({"vse_id": cycle_id, "position": n, "indicator_code": code,
                                   "grade": rng.choice((2, 3, 3, 4, 4, 5, 5, 6)),
                                   "strengths": "Strength.", "next_steps": "Next step."}
                                  for n, code in enumerate(codes))
            themes.extend({"vse_id": cycle_id, "theme": t} for t in rng.sample(THEMES, rng.randrange(4)))
        write.insert(VseCycle, cycles)
        write.insert(VseEvaluation, vse_grades)
        write.insert(VseTheme, themes)

        _clpl(write, rng, scale, region, authorities, schools)

        trios, members = [], []
        primaries = [s for s in schools if s["sector"] == "primary" and s["status"] == "open"]
        rng.shuffle(primaries)
        taken = primaries[: int(len(primaries) * 0.4)]
        by_authority: dict[Any, list[dict[str, Any]]] = {}
        for school in taken:
            by_authority.setdefault(school["authority_id"], []).append(school)
        for authority_id, group in by_authority.items():
            for start in range(0, len(group) - 2, 3):
                trio_id = uuid.uuid4()
                trios.append({"id": trio_id, "authority_id": authority_id, "session": SESSION,
                              "kind": "trio", "name": f"Trio {len(trios)}", "indicator_codes": ["2.3"]})
                members.extend({"trio_id": trio_id, "establishment_id": s["id"], "session": SESSION,
                                "position": n} for n, s in enumerate(group[start:start + 3]))
        write.insert(Trio, trios)
        write.insert(TrioMember, members)
    engine.dispose()
    return write.counts


def _clpl(write: Writer, rng: random.Random, scale: int, region: Any, authorities: list[Any],
          schools: list[dict[str, Any]]) -> None:
    people = [(f"Teacher {n}", f"teacher{n}@schools.example.scot", rng.choice(schools)["id"])
              for n in range(15_000 * scale)]
    events, places, ratings = [], [], []
    for n in range(2000 * scale):
        event_id = uuid.uuid4()
        owner = ({"region_id": region.id} if rng.random() < 0.1
                 else {"authority_id": rng.choice(authorities).id})
        starts = datetime.combine(START, datetime.min.time(), UTC) + timedelta(
            days=rng.randrange(364), hours=9)
        capacity = rng.choice((20, 30, 40))
        events.append({"id": event_id, "title": f"Course {n}", "level": "universal",
                       "provider": "Authority", **owner, "starts_at": starts,
                       "ends_at": starts + timedelta(hours=3), "capacity": capacity,
                       "status": "cancelled" if rng.random() < 0.03 else "scheduled"})
        past = starts < NOW
        for sequence, (name, email, school) in enumerate(rng.sample(people, 30), start=1):
            place_id = uuid.uuid4()
            status = "confirmed" if sequence <= capacity else "waitlisted"
            if rng.random() < 0.05:
                status = "cancelled"
            attended = (rng.random() < 0.85) if past and status == "confirmed" else None
            places.append({"id": place_id, "event_id": event_id, **owner, "sequence": sequence,
                           "participant_name": name, "participant_email": email,
                           "participant_role": "Class teacher", "establishment_id": school,
                           "status": status, "attended": attended})
            if attended and rng.random() < 0.6:
                before = [rng.randrange(1, 4) for _ in range(3)]
                after = [min(5, b + rng.choice((0, 1, 1, 2))) for b in before]
                ratings.append({"event_id": event_id, "registration_id": place_id,
                                "knowledge_before": before[0], "knowledge_after": after[0],
                                "understanding_before": before[1], "understanding_after": after[1],
                                "confidence_before": before[2], "confidence_after": after[2]})
    write.insert(ClplEvent, events)
    write.insert(ClplRegistration, places)
    write.insert(ClplEvaluation, ratings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.path, args.scale, args.seed)
    print(f"{args.path} (scale {args.scale}) in {time.perf_counter() - started:.1f} s:")
    for table, n in counts.items():
        print(f"  {table:22} {n:>9,}")


if __name__ == "__main__":
    main()
