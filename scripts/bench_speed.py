"""Requests per second of the hot reads, as ratios to anchors served beside the service in the
same run: on PostgreSQL, where production runs, then on SQLite, the embedded default.

    .venv/bin/python scripts/bench_speed.py [--database both|postgresql|sqlite] [--seconds 8]
        [--rounds 3] [--connections 32] [--threads 2]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Needs wrk (installed with `apt-get install -y wrk` when missing and run as root) and, for
PostgreSQL, a server where --postgres may create databases.

PostgreSQL: creates a fresh database beside the one in --postgres (dropped afterwards),
migrates it and loads the demo data with the admin CLI (servers.prepare_database), then serves,
each with one uvicorn worker in a process of its own, the app and three anchors
(scripts/bench_anchors.py):

- bare: a FastAPI `async def` endpoint returning a small dict;
- one SELECT: an `async def` endpoint reading one establishment by id through a psycopg_pool
  AsyncConnectionPool of 4 async connections, no auth, `SELECT * FROM establishment WHERE id =
  %s`, the row as JSON;
- the template: the full-stack-fastapi-template's way, sync routes, a SQLModel Session per
  request, the JWT decoded with python-jose, the user and the establishment loaded with
  session.get, answered through `response_model`; and its list of 100 (a count, then
  `select(Establishment).offset(0).limit(100)`, as its `ItemsPublic`).

wrk drives each in turn (`-t2 -c32` by default: --threads, --connections), keep-alive, as the
demo officer (one token, every request counted against its budget as in production:
servers.bench_env). Targets: the officer's `GET /api/v1/establishments/{id}` at 0.75 or more of
the one SELECT, and `GET /api/v1/establishments?limit=100` at 5 or more times the template's
list of 100. Also printed, without a target: the GET against the template's GET and against
bare.

SQLite: a fresh database in a temporary directory, the app with one worker beside the bare
anchor, wrk -t1 -c16 (SQLite is the embedded default, for one server process). Target: the
officer's `GET /api/v1/establishments/{id}` at 0.25 or more of bare.

Before its runs every URL must answer 200 (and each list 100 items); a wrk run that sees a
non-2xx answer or a socket error stops the benchmark. Each run lasts --seconds, after a warm-up
of 2 s per target. Rounds take the targets in turn, forwards then backwards, so that background
noise touches them alike; each ratio is the median of the rounds' own ratios (a slow spell of
the machine moves a round's figures together, not its ratio), printed with its min and max over
the rounds. Exit status 1 when a ratio is under its target (each is named).

Absolute figures depend on the machine (and on what else runs on it); the ratios are the
point."""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.servers import (
    bench_env,
    fresh_postgres_database,
    prepare_database,
    settings_from,
    token_for,
    uvicorn_server,
)

OFFICER = "officer@demo.sih.scot"
API = "/api/v1"
WARM_UP_SECONDS = 2
SQLITE_THREADS, SQLITE_CONNECTIONS = 1, 16


@dataclass(frozen=True)
class Target:
    url: str
    token: str | None = None
    items: str | None = None  # a list: the key of its items, of which there must be 100


@dataclass(frozen=True)
class Ratio:
    name: str
    numerator: str
    denominator: str
    target: float | None  # None: printed, no target


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False,  # noqa: S607
                   stdout=subprocess.DEVNULL)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed and could not be installed: apt-get install -y wrk")


def wrk(name: str, target: Target, seconds: int, threads: int, connections: int) -> float:
    """wrk's requests/s; RuntimeError on any non-2xx answer or socket error."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", target.url]
    if target.token:
        command[1:1] = ["-H", f"Authorization: Bearer {target.token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    # wrk counts 3xx as success; check_answers has seen each URL answer 200 (no redirect).
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{name} ({target.url}) answered errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk's output for {name}:\n{out}")
    return float(match.group(1))


def check_answers(targets: dict[str, Target]) -> None:
    """Each URL answers 200 with what it should, before wrk counts its answers."""
    for name, target in targets.items():
        headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
        answer = httpx.get(target.url, headers=headers, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"{name} ({target.url}) answered {answer.status_code}: "
                               f"{answer.text[:500]}")
        if target.items and len(answer.json()[target.items]) != 100:
            raise RuntimeError(f"{name} answered {len(answer.json()[target.items])} items, not 100")


def measure(targets: dict[str, Target], seconds: int, rounds: int, threads: int,
            connections: int) -> dict[str, list[float]]:
    """Each target's requests/s in each round."""
    check_answers(targets)
    for name, target in targets.items():  # warm-up: imports, pools, prepared statements
        wrk(name, target, WARM_UP_SECONDS, threads, connections)
    results: dict[str, list[float]] = {name: [] for name in targets}
    names = list(targets)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            results[name].append(wrk(name, targets[name], seconds, threads, connections))
        print(f"  round {number + 1}: " + ", ".join(
            f"{name} {results[name][-1]:,.0f}" for name in names) + " req/s", flush=True)
    return results


def report(database: str, results: dict[str, list[float]], ratios: list[Ratio]) -> list[str]:
    """Prints every figure; returns the ratios under their targets."""
    print(f"\n{database}, one uvicorn worker per server")
    width = max(len(name) for name in [*results, *(ratio.name for ratio in ratios)]) + 2
    print(f"  {'':{width}} {'req/s':>8}  (rounds: min .. max)")
    for name, rates in results.items():
        print(f"  {name:{width}} {statistics.median(rates):8,.0f}  "
              f"({min(rates):,.0f} .. {max(rates):,.0f})")
    print(f"  {'ratio':{width}} {'median':>8}  (rounds: min .. max)  target")
    failures = []
    for ratio in ratios:
        per_round = [a / b for a, b in zip(results[ratio.numerator], results[ratio.denominator],
                                           strict=True)]
        median = statistics.median(per_round)
        if ratio.target is None:
            verdict = "(no target)"
        elif median >= ratio.target:
            verdict = f">= {ratio.target:.2f}: meets"
        else:
            verdict = f">= {ratio.target:.2f}: BELOW"
            failures.append(f"{database}: {ratio.name} {median:.2f}, "
                            f"under its target of {ratio.target:.2f}")
        print(f"  {ratio.name:{width}} {median:8.2f}  ({min(per_round):.2f} .. "
              f"{max(per_round):.2f})  {verdict}")
    return failures


def establishment_id(env: dict[str, str]) -> str:
    """The first school (by code) of the officer's authority."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from app.core.db import make_engine
    from app.identity.models import User
    from app.organisations.models import Establishment

    engine = make_engine(settings_from(env))
    with Session(engine) as session:
        officer = session.scalars(select(User).where(col(User.email) == OFFICER)).one()
        found = session.scalars(select(col(Establishment.id)).where(
            col(Establishment.authority_id) == officer.authority_id,
        ).order_by(col(Establishment.code))).first()
    engine.dispose()
    return str(found)


def on_postgresql(args: argparse.Namespace, workdir: Path) -> list[str]:
    workdir.mkdir()
    with fresh_postgres_database(args.postgres, "sih_speed") as database_url:
        env = bench_env(database_url, workdir)
        prepare_database(env)
        token = token_for(env, OFFICER)
        school = establishment_id(env)
        print(f"PostgreSQL ({make_url(database_url).database}): wrk -t{args.threads} "
              f"-c{args.connections}, {args.seconds} s x {args.rounds} rounds; "
              f"server logs in {workdir}", flush=True)
        with ExitStack() as servers:
            def serve(app: str, ready: str = "/healthz") -> str:
                log = workdir / f"postgresql-{app.rsplit(':', 1)[-1]}.log"
                return servers.enter_context(uvicorn_server(app, env, ready_path=ready, log=log))

            service = serve("app.main:app")
            bare = serve("scripts.bench_anchors:bare_app", "/bare")
            one = serve("scripts.bench_anchors:select_app")
            template = serve("scripts.bench_anchors:template_app")
            # Side by side, the ones a ratio compares: every round they run back to back.
            targets = {
                "one SELECT": Target(f"{one}/establishments/{school}"),
                "getEstablishment": Target(f"{service}{API}/establishments/{school}", token),
                "template GET": Target(f"{template}/establishments/{school}", token),
                "bare": Target(f"{bare}/bare"),
                "template list of 100": Target(f"{template}/establishments/?limit=100", token,
                                               "data"),
                "listEstablishments?limit=100": Target(
                    f"{service}{API}/establishments?limit=100", token, "items"),
            }
            results = measure(targets, args.seconds, args.rounds, args.threads, args.connections)
    return report("PostgreSQL", results, [
        Ratio("getEstablishment / one SELECT", "getEstablishment", "one SELECT", 0.75),
        Ratio("list of 100 / template list of 100", "listEstablishments?limit=100",
              "template list of 100", 5.0),
        Ratio("getEstablishment / template GET", "getEstablishment", "template GET", None),
        Ratio("getEstablishment / bare", "getEstablishment", "bare", None),
    ])


def on_sqlite(args: argparse.Namespace, workdir: Path) -> list[str]:
    workdir.mkdir()
    env = bench_env(f"sqlite:///{workdir / 'sih.db'}", workdir)
    prepare_database(env)
    token = token_for(env, OFFICER)
    school = establishment_id(env)
    print(f"\nSQLite ({workdir / 'sih.db'}): wrk -t{SQLITE_THREADS} -c{SQLITE_CONNECTIONS}, "
          f"{args.seconds} s x {args.rounds} rounds", flush=True)
    with uvicorn_server("app.main:app", env, log=workdir / "sqlite-app.log") as service, \
            uvicorn_server("scripts.bench_anchors:bare_app", env, ready_path="/bare",
                           log=workdir / "sqlite-bare_app.log") as bare:
        targets = {
            "bare": Target(f"{bare}/bare"),
            "getEstablishment": Target(f"{service}{API}/establishments/{school}", token),
        }
        results = measure(targets, args.seconds, args.rounds, SQLITE_THREADS, SQLITE_CONNECTIONS)
    return report("SQLite", results, [
        Ratio("getEstablishment / bare", "getEstablishment", "bare", 0.25),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32, help="wrk -c on PostgreSQL")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t on PostgreSQL")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="any database on the PostgreSQL server to use")
    args = parser.parse_args()
    ensure_wrk()
    failures: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="sih-speed-"))
    try:
        if args.database in ("both", "postgresql"):
            failures += on_postgresql(args, workdir / "postgresql")
        if args.database in ("both", "sqlite"):
            failures += on_sqlite(args, workdir / "sqlite")
    except RuntimeError as exc:
        sys.exit(f"ERROR: {exc}\n(server logs in {workdir})")
    shutil.rmtree(workdir, ignore_errors=True)
    print("\nPASS: every ratio meets its target" if not failures
          else "\nFAIL:\n  " + "\n  ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
