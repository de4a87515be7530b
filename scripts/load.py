"""A realistic load against real servers, driven by Locust: zero 5xx, zero lost writes, latency
per class, and the targets given.

    .venv/bin/python scripts/load.py [--seconds 60] [--users 24] [--workers 2]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]
        [--html scripts/load-report.html] [--target-rps 0] [--max-write-p99-ms 250]

Creates a fresh PostgreSQL database beside the one in --postgres (dropped afterwards unless
--keep), migrates it and loads the demo data with the admin CLI, starts `uvicorn --workers N`
(scripts/servers.py), and runs `--users` Locust users (scripts/locustfile.py, headless, in this
process, all started at once, no think time, keep-alive) for `--seconds`. The mix:

- 70% reads: one establishment, visit or improvement plan (officer), by id;
- 20% lists and summaries: establishments of the authority, visits, the authority's summary
  (regional lead);
- 10% writes: create a visit (POST with Idempotency-Key), edit one's own visit (PATCH with
  If-Match), or sync a batch of three new visits from a device (POST /visits/sync).

Users stop after the request they are in when the time is up. Locust's HTML report goes to
--html. Afterwards it checks that every write answered 2xx is in the database: every created
visit is there (through the API and by a count in the database), and each edited visit's
version is one plus the number of its edits that answered 2xx. Prints requests/s and
p50/p95/p99 per class (read, list, summary, write). Exit status 1 on any 5xx, transport error,
exception in a user or lost write, and when a target is missed: requests/s under --target-rps
(0: no target) or the writes' p99 over --max-write-p99-ms (0: no limit)."""

import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

# Locust first: importing it monkey-patches the standard library for gevent (its users are
# greenlets), which must happen before anything else imports ssl or socket.
import locust

# isort: split
import gevent
import gevent.pool
import httpx
import typer
from locust.env import Environment
from locust.html import get_html_report
from locust.stats import StatsEntry, stats_history
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import locustfile
from scripts.locustfile import API, CLASSES, MARK, Run
from scripts.servers import (
    ROOT,
    bench_env,
    fresh_postgres_database,
    prepare_database,
    token_for,
    uvicorn_server,
)

cli = typer.Typer(help=__doc__.splitlines()[0], no_args_is_help=True)


def drive(base: str, users: int, seconds: float, html: Path) -> tuple[Environment, float]:
    """Locust's users against `base` for `seconds`; the HTML report to `html`.
    Returns the environment (its stats and exceptions) and the seconds the load took."""
    env = Environment(user_classes=[locustfile.LinkOfficer], events=locust.events, host=base,
                      stop_timeout=30, locustfile="scripts/locustfile.py")
    runner = env.create_local_runner()
    history = gevent.spawn(stats_history, runner)
    started = time.monotonic()
    runner.start(users, spawn_rate=users)
    gevent.sleep(seconds)
    runner.stop()  # each user ends the request it is in (stop_timeout), so no write is cut off
    elapsed = time.monotonic() - started
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(get_html_report(env, show_download_link=False))
    history.kill()
    runner.quit()
    return env, elapsed


def per_class(env: Environment) -> dict[str, StatsEntry]:
    """Locust keeps one entry per name and method (POST write, PATCH write): one per class."""
    merged: dict[str, StatsEntry] = {}
    for (name, _method), entry in env.stats.entries.items():
        if name not in merged:
            merged[name] = StatsEntry(env.stats, name, "", use_response_times_cache=False)
        merged[name].extend(entry)
    return merged


def report(env: Environment, run: Run, seconds: float) -> tuple[float, float | None, int]:
    """Prints the figures; returns requests/s, the writes' p99 (ms) and the count of 5xx,
    transport errors and exceptions in the users."""
    total = env.stats.total.num_requests
    rps = total / seconds
    print(f"\n{total:,} requests in {seconds:.0f} s ({rps:,.0f}/s)")
    print(f"{'class':8} {'count':>7} {'share':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    classes = per_class(env)
    for kind in CLASSES:
        entry = classes.get(kind)
        if entry is None or not entry.num_requests:
            continue
        codes = ", ".join(f"{code}: {n}" for (k, code), n in sorted(run.statuses.items()) if k == kind)
        print(f"{kind:8} {entry.num_requests:7,} {entry.num_requests / total:6.1%} "
              f"{entry.get_response_time_percentile(.5):8.0f} "
              f"{entry.get_response_time_percentile(.95):8.0f} "
              f"{entry.get_response_time_percentile(.99):8.0f}  {codes}")
    write = classes.get("write")
    write_p99 = float(write.get_response_time_percentile(.99)) if write and write.num_requests else None
    errors = sum(n for (_k, code), n in run.statuses.items() if code >= 500)
    print(f"5xx: {errors}; transport errors: {dict(run.transport_errors) or 0}")
    exceptions = sum(row["count"] for row in env.runner.exceptions.values()) if env.runner else 0
    if exceptions:
        print(f"exceptions in the users: {exceptions}")
        for row in list(env.runner.exceptions.values())[:5] if env.runner else []:
            print(f"  {row['count']} x {row['msg']}\n{row['traceback']}")
    if env.runner and env.runner.cpu_warning_emitted:
        print("note: Locust's process went over 90% CPU: the figures may be the load generator's")
    return rps, write_p99, errors + sum(run.transport_errors.values()) + exceptions


def lost_writes(base: str, run: Run) -> list[str]:
    """Every 2xx write must be there: each created visit, each edit counted in its version."""
    lost: list[str] = []
    auth = {"Authorization": f"Bearer {run.officer}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:

        def check(visit_id: str) -> None:
            answer = client.get(f"{API}/visits/{visit_id}")
            if answer.status_code != 200:
                lost.append(f"visit {visit_id}: GET answered {answer.status_code}")
            elif answer.json()["version"] != 1 + run.edits[visit_id]:
                lost.append(f"visit {visit_id}: version {answer.json()['version']}, "
                            f"expected {1 + run.edits[visit_id]}")

        gevent.pool.Pool(8).map(check, sorted(run.created))
    return lost


def count_in_database(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT count(*) FROM visit WHERE notes LIKE :mark"),
                                   {"mark": f"{MARK}%"}).scalar_one()
    engine.dispose()
    return int(found)


@cli.command()
def run(
    seconds: Annotated[float, typer.Option(help="How long the load runs")] = 60,
    users: Annotated[int, typer.Option(help="Concurrent virtual users")] = 24,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 2,
    postgres: Annotated[str, typer.Option(help="Any database on the server to use")] =
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    keep: Annotated[bool, typer.Option(help="Keep the load database afterwards")] = False,
    html: Annotated[Path, typer.Option(help="Where Locust's HTML report goes")] =
        ROOT / "scripts" / "load-report.html",
    target_rps: Annotated[float, typer.Option(help="Fail under this many requests/s (0: none)")] = 0,
    max_write_p99_ms: Annotated[float, typer.Option(
        help="Fail when the writes' p99 is over this many ms (0: no limit)")] = 250,
) -> None:
    """Fresh database, demo data, N workers, the mix for SECONDS, then the write check."""
    failures: list[str] = []
    with fresh_postgres_database(postgres, "sih_load", keep=keep) as database_url:
        name = make_url(database_url).database
        workdir = Path(tempfile.mkdtemp(prefix="sih-load-"))
        env = bench_env(database_url, workdir)
        env["SIH_DB_POOL_SIZE"] = str(max(5, users // workers))
        prepare_database(env)
        officer = token_for(env, "officer@demo.sih.scot")
        lead = token_for(env, "lead@demo.sih.scot")
        log = workdir / "server.log"
        with uvicorn_server("app.main:app", env, workers=workers, log=log) as base:
            shared = locustfile.configure(base, officer, lead)
            world = shared.world
            print(f"{workers} workers on PostgreSQL ({name}); {users} Locust users for "
                  f"{seconds:.0f} s; {len(world.schools)} schools, {len(world.plans)} plans, "
                  f"{len(world.visits)} visits to read")
            locust_env, elapsed = drive(base, users, seconds, html)
            rps, write_p99, errors = report(locust_env, shared, elapsed)
            lost = lost_writes(base, shared)
        in_database = count_in_database(database_url)
        edits = sum(shared.edits.values())
        print(f"writes answered 2xx: {len(shared.created)} visits created, {edits} edits; "
              f"in the database: {in_database} visits of this run; lost: {len(lost)}")
        print(f"Locust's report: {html}")
        print(f"server log (JSON lines; errors have level ERROR): {log}")
        for line in lost[:20]:
            print("  LOST", line)
        if in_database != len(shared.created):
            print(f"  LOST: {len(shared.created)} created, {in_database} in the database")
            lost.append(f"{len(shared.created)} created, {in_database} in the database")
        if errors:
            failures.append(f"{errors} 5xx, transport errors or exceptions in the users")
        if lost:
            failures.append(f"{len(lost)} lost writes")
        if target_rps and rps < target_rps:
            failures.append(f"{rps:,.0f} requests/s, under the target of {target_rps:,.0f}")
        shown = "-" if write_p99 is None else f"{write_p99:,.0f}"
        if max_write_p99_ms and (write_p99 is None or write_p99 > max_write_p99_ms):
            failures.append(f"writes' p99 {shown} ms, over the limit of {max_write_p99_ms:,.0f} ms")
        print(f"targets: {rps:,.0f} requests/s (target {target_rps:,.0f}); writes' p99 "
              f"{shown} ms (limit {max_write_p99_ms:,.0f}); "
              f"5xx and transport errors {errors}; lost writes {len(lost)}")
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    raise typer.Exit(1 if failures else 0)


if __name__ == "__main__":
    cli()
