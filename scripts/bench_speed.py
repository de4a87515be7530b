"""Requests per second of the hot reads, as ratios to a bare FastAPI endpoint in the same run.

    .venv/bin/python scripts/bench_speed.py [--seconds 8] [--rounds 3] [--connections 16]

Builds a fresh SQLite database with the demo data (in a temporary directory), serves the app
with one uvicorn worker and, beside it, a bare FastAPI app (one `async def` endpoint returning a
small dict) the same way, then drives each in turn with `wrk` (apt-get install wrk): one
thread, keep-alive, a fixed number of connections. Rounds alternate the targets, so background
noise touches them alike; each target's ratio is the median of its rounds' ratios. Every
request is counted against the caller's budget, as in production (servers.bench_env). Targets:
an officer's `GET /establishments/{id}` at 40% or more of the bare endpoint, a list of 100 at
15% or more.
Absolute figures depend on the machine; the ratios are the point."""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.servers import bench_env, prepare_database, settings_from, token_for, uvicorn_server

bare_app = FastAPI()


@bare_app.get("/bare")
async def bare() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}


TARGETS = {"getEstablishment": 0.40, "listEstablishments?limit=100": 0.15}
OFFICER = "officer@demo.sih.scot"


def wrk(url: str, seconds: int, connections: int, token: str | None = None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    assert match, out
    return float(match.group(1))


def establishment_id(env: dict[str, str]) -> str:
    from sqlalchemy import select
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.identity.models import User
    from app.organisations.models import Establishment

    engine = make_engine(settings_from(env))
    with Session(engine) as session:
        officer = session.scalars(select(User).where(User.email == OFFICER)).one()
        found = session.scalars(select(Establishment.id).where(
            Establishment.authority_id == officer.authority_id).order_by(Establishment.code)).first()
    engine.dispose()
    return str(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="sih-speed-"))
    env = bench_env(f"sqlite:///{workdir / 'sih.db'}", workdir)
    env["SIH_LOG_JSON"] = "true"
    prepare_database(env)
    token = token_for(env, OFFICER)
    school = establishment_id(env)
    results: dict[str, list[float]] = {"bare": [], **{name: [] for name in TARGETS}}
    with uvicorn_server("scripts.bench_speed:bare_app", env, ready_path="/bare") as bare_base, \
            uvicorn_server("app.main:app", env) as app_base:
        urls = {
            "bare": (f"{bare_base}/bare", None),
            "getEstablishment": (f"{app_base}/api/v1/establishments/{school}", token),
            "listEstablishments?limit=100": (f"{app_base}/api/v1/establishments?limit=100", token),
        }
        for url, auth in urls.values():  # warm up: imports, caches, the SQLite page cache
            wrk(url, 2, args.connections, auth)
        for round_number in range(args.rounds):
            for name, (url, auth) in urls.items():
                results[name].append(wrk(url, args.seconds, args.connections, auth))
            print(f"round {round_number + 1}: " + ", ".join(
                f"{name} {values[-1]:,.0f} req/s" for name, values in results.items()))
    shutil.rmtree(workdir, ignore_errors=True)
    bare_rate = statistics.median(results["bare"])
    print(f"bare FastAPI async endpoint: {bare_rate:,.0f} req/s (median of {args.rounds})")
    for name, target in TARGETS.items():
        # Each round's own ratio (its targets ran back to back), then their median: a slow
        # spell of the machine moves a round's figures together, not its ratio.
        ratios = [rate / bare for rate, bare in zip(results[name], results["bare"], strict=True)]
        ratio = statistics.median(ratios)
        verdict = "meets" if ratio >= target else "BELOW"
        print(f"{name:30} {statistics.median(results[name]):8,.0f} req/s  {ratio:6.1%} of bare "
              f"({verdict} {target:.0%}; rounds {min(ratios):.1%} to {max(ratios):.1%})")


if __name__ == "__main__":
    main()
