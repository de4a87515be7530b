"""Importing the published performance files, and a region's trend, through a live server.

    .venv/bin/python scripts/bench_performance_data.py [--database both|postgresql|sqlite]
        [--data ../shared/data/schools-scotland] [--runs 15]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

On a fresh database (SQLite file; PostgreSQL: a new database beside --postgres, dropped
afterwards) migrated and seeded with the demo data, one uvicorn worker. As the demo admin it
imports the 2022 school roll (the schools the other files name; not timed), then times, each
from the first byte sent to the report received:
1. `acel`: the national ACEL release, 2016-17 to 2024-25 (8,910 rows);
2. `school-statistics`: the 2025 school level statistics (2,435 rows), `?session=2025-26`;
3. `inspections`: the FOI list of 2,439 schools' latest inspections;
each with `partial=true` (rows naming schools the roll lacks are reported, not imported).
Then, as the demo regional lead, the West Partnership's summary (its ~800 real schools, their
inspections and ACEL) with a trend of three sessions, `?sessions=2022-23..2024-25`: median and
90th percentile of --runs calls after two warm-ups; beside it, the anchor: GET /healthz on the
same server. Targets: each import under 10 s; the trend under 300 ms. Exits 1 below target."""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.servers import (
    bench_env,
    fresh_postgres_database,
    prepare_database,
    token_for,
    uvicorn_server,
)

IMPORT_TARGET_S, TREND_TARGET_MS = 10.0, 300.0
FILES = (("acel", "acel_2016-17_to_2024-25_by_local_authority.csv", {}),
         ("school-statistics", "school_level_stats_2025.csv", {"session": "2025-26"}),
         ("inspections", "foi_inspections_2025_public.csv", {}))
TREND = "2022-23..2024-25"


def _import(http: httpx.Client, kind: str, path: Path, params: dict[str, str]) -> tuple[float, Any]:
    body = path.read_bytes()
    started = time.perf_counter()
    answer = http.post(f"/api/v1/imports/{kind}", content=body,
                       params={"partial": "true", **params}, headers={"Content-Type": "text/csv"})
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{kind}: {answer.status_code} {answer.text[:500]}")
    return elapsed, answer.json()


def _timed(http: httpx.Client, url: str, runs: int, headers: dict[str, str]) -> tuple[float, float]:
    for _ in range(2):
        assert http.get(url, headers=headers).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = http.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.9) - 1)]


def bench(database: str, database_url: str, data: Path, runs: int, workdir: Path) -> list[str]:
    env = bench_env(database_url, workdir)
    prepare_database(env)
    admin = {"Authorization": f"Bearer {token_for(env, 'admin@demo.sih.scot')}"}
    lead = {"Authorization": f"Bearer {token_for(env, 'lead@demo.sih.scot')}"}
    failures = []
    with uvicorn_server("app.main:app", env, log=workdir / f"{database}.log") as base, \
            httpx.Client(base_url=base, headers=admin, timeout=120) as http:
        _import(http, "establishments", data / "SG_SchoolRoll_2022.csv", {})
        for kind, name, params in FILES:
            elapsed, report = _import(http, kind, data / name, params)
            verdict = "under" if elapsed < IMPORT_TARGET_S else "OVER"
            print(f"{database:10} import {kind:17} {elapsed:6.2f} s ({verdict} "
                  f"{IMPORT_TARGET_S:.0f} s): {report['rows']:,} rows, {report['created']:,} "
                  f"created, {report['failed']:,} failed, {report['skipped']:,} skipped")
            if elapsed >= IMPORT_TARGET_S:
                failures.append(f"{database}: import {kind} took {elapsed:.2f} s")
        me = http.get("/api/v1/me", headers=lead).json()
        url = f"/api/v1/summaries/regions/{me['region_id']}?sessions={TREND}"
        median, p90 = _timed(http, url, runs, lead)
        anchor, _ = _timed(http, "/healthz", runs, {})
        verdict = "under" if median < TREND_TARGET_MS else "OVER"
        print(f"{database:10} region trend {TREND}: median {median:.1f} ms, p90 {p90:.1f} ms "
              f"({verdict} {TREND_TARGET_MS:.0f} ms); anchor GET /healthz {anchor:.2f} ms")
        if median >= TREND_TARGET_MS:
            failures.append(f"{database}: the region's trend took {median:.1f} ms")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/schools-scotland")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        if args.database in ("both", "postgresql"):
            with fresh_postgres_database(args.postgres, "sih_perf") as url:
                failures += bench("postgresql", url, args.data, args.runs, workdir)
        if args.database in ("both", "sqlite"):
            failures += bench("sqlite", f"sqlite:///{workdir / 'perf.db'}", args.data, args.runs,
                              workdir)
    for failure in failures:
        print(f"BELOW TARGET: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
