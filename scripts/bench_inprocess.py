"""Microseconds of CPU per request of the hot reads, in process: the app called directly as an
ASGI application (no server, no sockets), beside the bare FastAPI endpoint.

    .venv/bin/python scripts/bench_inprocess.py [--calls 3000] [--database sqlite|postgresql]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For finding where the time goes in the ordinary routes (run it, change one layer, run it
again); scripts/bench_speed.py, through uvicorn and wrk, gives the figures that count. A fresh
database with the demo data: SQLite in a temporary directory, or a PostgreSQL database created
beside --postgres and dropped afterwards. The demo officer's `GET /establishments/{id}` and
`GET /establishments?limit=100`. Each figure is the best of seven batches in CPU time (this
process's, so on PostgreSQL the server's work and the wait for it are not counted), so that a
busy machine disturbs it less. The access log is written as JSON, as a server writes it, to
/dev/null."""

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_anchors import bare_app
from scripts.bench_speed import OFFICER, establishment_id
from scripts.servers import bench_env, fresh_postgres_database, prepare_database, token_for

BATCHES = 7


def scope_for(path: str, query: bytes = b"", token: str | None = None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"*/*")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000)}


async def call(app: Any, scope: dict[str, Any]) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(scope, state={}), receive, send)
    return status


async def microseconds(targets: dict[str, tuple[Any, dict[str, Any], int]]) -> dict[str, float]:
    """Per target, the best batch's CPU time per call; the targets take turns batch by batch,
    so that a slow spell of the machine touches them alike."""
    best = dict.fromkeys(targets, float("inf"))
    for name, (app, scope, _) in targets.items():
        if (status := await call(app, scope)) != 200:
            raise RuntimeError(f"{name} answered {status}")
    for _ in range(BATCHES):
        for name, (app, scope, calls) in targets.items():
            started = time.process_time()
            for _ in range(calls // BATCHES):
                await call(app, scope)
            best[name] = min(best[name], (time.process_time() - started) / (calls // BATCHES))
    return {name: seconds * 1e6 for name, seconds in best.items()}


async def measure(app: Any, targets: dict[str, tuple[Any, dict[str, Any], int]]) -> dict[str, float]:
    try:
        return await microseconds(targets)
    finally:
        await app.state.reads.close()  # on the loop that opened its connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="any database on the PostgreSQL server to use")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sih-inprocess-"))
    with ExitStack() as stack:
        if args.database == "postgresql":
            database_url = stack.enter_context(fresh_postgres_database(args.postgres,
                                                                       "sih_inprocess"))
        else:
            database_url = f"sqlite:///{workdir / 'sih.db'}"
        env = bench_env(database_url, workdir)
        prepare_database(env)
        token = token_for(env, OFFICER)
        school = establishment_id(env)
        os.environ.update({k: v for k, v in env.items() if k.startswith("SIH_")},
                          SIH_LOG_JSON="true")
        from app.main import create_app

        app = create_app()
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(stack.enter_context(open(os.devnull, "w")))
        targets = {
            "bare": (bare_app, scope_for("/bare"), args.calls),
            "getEstablishment": (app, scope_for(f"/api/v1/establishments/{school}", token=token),
                                 args.calls),
            "listEstablishments?limit=100": (
                app, scope_for("/api/v1/establishments", b"limit=100", token), args.calls // 4),
        }
        print(f"{args.database}, in process, CPU time per request (best of {BATCHES} batches)")
        for name, figure in asyncio.run(measure(app, targets)).items():
            print(f"{name:32} {figure:8.1f} us")
        app.state.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
