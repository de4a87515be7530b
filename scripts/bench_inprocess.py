"""Microseconds per request of the hot reads, in process: the app called directly as an ASGI
application (no server, no sockets), beside a bare FastAPI endpoint.

    .venv/bin/python scripts/bench_inprocess.py [--calls 3000]

For finding where the time goes (run it, change one layer, run it again) where
scripts/bench_speed.py, through uvicorn and wrk, gives the figures that count. Each figure is
the best of seven batches in CPU time, so that a busy machine disturbs it less. The access log
is written as JSON, as bench_speed's server writes it, to /dev/null."""

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_speed import OFFICER, bare_app, establishment_id
from scripts.servers import bench_env, prepare_database, token_for

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sih-inprocess-"))
    env = bench_env(f"sqlite:///{workdir / 'sih.db'}", workdir)
    prepare_database(env)
    token = token_for(env, OFFICER)
    school = establishment_id(env)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SIH_")}, SIH_LOG_JSON="true")
    from app.core.config import get_settings
    from app.main import create_app

    app = create_app()
    routed = create_app(get_settings().model_copy(update={"fast_reads": False}))
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
    one = scope_for(f"/api/v1/establishments/{school}", token=token)
    page = scope_for("/api/v1/establishments", b"limit=100", token)
    targets = {
        "bare": (bare_app, scope_for("/bare"), args.calls),
        "getEstablishment": (app, one, args.calls),
        "listEstablishments?limit=100": (app, page, args.calls // 4),
        # The same requests through FastAPI's routes (SIH_FAST_READS=false), for comparison.
        "getEstablishment, routed": (routed, one, args.calls // 2),
        "listEstablishments, routed": (routed, page, args.calls // 8),
    }
    for name, figure in asyncio.run(microseconds(targets)).items():
        print(f"{name:32} {figure:8.1f} us")
    app.state.engine.dispose()
    routed.state.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
