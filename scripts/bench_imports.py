"""Benchmark imports through HTTP against a live server on a fresh SQLite database.

    .venv/bin/python scripts/bench_imports.py [--rows 5000] [--memory-rows 100000]
    .venv/bin/python scripts/bench_imports.py --kind clpl-registrations [--memory-rows 100000]

Starts uvicorn (one worker) on a temporary SQLite file, signs in as an admin, then, for
establishments (the default):
1. imports a generated establishments CSV of --rows rows (target: under 3 s),
2. imports the same file again: every row unchanged (target: under 2 s),
3. imports a --memory-rows file (a job, polled to the end) and reports the server's peak
   memory growth: its peak resident set (VmHWM) after the import minus its resident set
   before it (target for 100,000 rows: under 150 MB).
For clpl-registrations: creates --events CLPL events (through the API, with room for every
booking, so capacity is not what is measured), then imports --memory-rows registrations spread
over them as in 3. (target for 100,000: peak growth under 150 MB), and reports the time.
Times are wall-clock from the first byte sent to the report received, upload included.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-2025"  # noqa: S105 - a throwaway account on a throwaway database
HEADER = "code,name,sector,authority_code,cluster,roll,simd_q1_percent,gaelic_medium\n"
SECTORS = ("primary", "primary", "secondary", "special", "elc")


def rows(count: int, first: int = 1000000) -> Iterator[str]:
    yield HEADER
    for n in range(count):
        yield (f"{first + n},Bench School {n:06d},{SECTORS[n % 5]},S12000050,Cluster {n % 40},"
               f"{50 + n % 1500},{n % 100}.5,{'yes' if n % 9 == 0 else 'no'}\n")


CLPL_HEADER = "event_id,email,name,role,status\n"
ROLES = ("Class teacher", "Principal teacher", "Depute headteacher", "Early years practitioner")


def clpl_rows(count: int, event_ids: list[str]) -> Iterator[str]:
    """Bookings spread evenly over the events, each participant once per event."""
    yield CLPL_HEADER
    for n in range(count):
        yield (f"{event_ids[n % len(event_ids)]},participant{n:06d}@school.example.scot,"
               f"Participant {n:06d},{ROLES[n % len(ROLES)]},registered\n")


def _events(http: httpx.Client, count: int, capacity: int) -> list[str]:
    """CLPL events of North Lanarkshire, created through the API as the admin."""
    headers = _token(http)
    authority = http.get("/api/v1/authorities", params={"limit": 500}, headers=headers)
    authority.raise_for_status()
    authority_id = next(a["id"] for a in authority.json()["items"] if a["code"] == "S12000050")
    ids = []
    for n in range(count):
        answer = http.post("/api/v1/clpl-events", headers=headers, json={
            "title": f"Bench course {n:04d}", "level": "universal", "provider": "Bench",
            "authority_id": authority_id, "audience": ["teachers"],
            "starts_at": "2030-09-01T15:45:00Z", "ends_at": "2030-09-01T17:30:00Z",
            "location": "Civic Centre", "capacity": capacity})
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    return ids


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _reset_peak(pid: int) -> None:
    """Start VmHWM afresh (Linux), so the peak measured is the import's, not the start-up's."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        print("(could not reset the peak counter: the growth includes start-up)")


class Server:
    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.env = {**os.environ, "SIH_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
                    "SIH_ENVIRONMENT": "development", "SIH_LOG_LEVEL": "WARNING",
                    "SIH_AUTH_RATE_LIMIT_PER_IP": "100000", "PYTHONPATH": str(ROOT)}
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "app.cli", *args],  # noqa: S603 - our own CLI
                       cwd=self.workdir, env=self.env, check=True, capture_output=True)

    def __enter__(self) -> "Server":
        self.cli("migrate")
        self.cli("create-user", "--email", "bench@bench.example", "--password", PASSWORD,
                 "--role", "admin")
        self.process = subprocess.Popen(  # noqa: S603 - our own server
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=self.workdir, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def __exit__(self, *_exc: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _token(http: httpx.Client) -> dict[str, str]:
    answer = http.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": "bench@bench.example", "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _import(http: httpx.Client, path: Path,
            kind: str = "establishments") -> tuple[float, dict[str, Any]]:
    size = path.stat().st_size

    def body() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(64 * 1024):
                yield chunk

    headers = {**_token(http), "Content-Type": "text/csv", "Content-Length": str(size)}
    started = time.perf_counter()
    answer = http.post(f"/api/v1/imports/{kind}", content=body(), headers=headers)
    if answer.status_code == 202:
        location, token = answer.headers["Location"], headers["Authorization"]
        while True:
            time.sleep(0.5)
            # On SQLite the job's transaction holds the single write lock, which every request
            # takes: polls wait, or get 503 after the busy timeout, until it commits.
            polled = http.get(location, headers={"Authorization": token})
            if polled.status_code == 503:
                continue
            job = polled.json()
            if job["status"] in ("succeeded", "failed"):
                return time.perf_counter() - started, job["report"] or {"error": job["error"]}
    answer.raise_for_status()
    return time.perf_counter() - started, answer.json()


def _summary(report: dict[str, Any]) -> str:
    keys = ("rows", "created", "updated", "unchanged", "failed")
    return ", ".join(f"{k} {report.get(k)}" for k in keys)


def _measure(server: Server, http: httpx.Client, path: Path, rows_count: int, kind: str) -> None:
    """Import a big file (a job) and report the time and the server's peak memory growth."""
    assert server.process is not None
    _reset_peak(server.process.pid)
    before = _memory(server.process.pid)
    elapsed, report = _import(http, path, kind)
    after = _memory(server.process.pid)
    growth = (after["VmHWM"] - before["VmRSS"]) / 1024 / 1024
    print(f"{rows_count} {kind} rows ({path.stat().st_size / 1024 / 1024:.1f} MiB): "
          f"{elapsed:.1f} s, {rows_count / elapsed:.0f} rows/s ({_summary(report)})")
    print(f"server memory: {before['VmRSS'] / 1024 / 1024:.0f} MiB before, peak "
          f"{after['VmHWM'] / 1024 / 1024:.0f} MiB: peak growth {growth:.0f} MiB "
          f"(target < 150 MB)")


def main(rows_count: Annotated[int, typer.Option("--rows")] = 5000,
         memory_rows: Annotated[int, typer.Option("--memory-rows")] = 100_000,
         kind: Annotated[str, typer.Option("--kind", help="establishments or clpl-registrations")]
         = "establishments",
         events: Annotated[int, typer.Option("--events")] = 50) -> None:
    if kind not in ("establishments", "clpl-registrations"):
        raise typer.BadParameter("establishments or clpl-registrations", param_hint="--kind")
    with tempfile.TemporaryDirectory(prefix="sih-bench-") as tmp:
        workdir = Path(tmp)
        small, large = workdir / "small.csv", workdir / "large.csv"
        with Server(workdir) as server, httpx.Client(base_url=server.url, timeout=3600) as http:
            if kind == "clpl-registrations":
                per_event = -(-memory_rows // events)
                event_ids = _events(http, events, capacity=min(10_000, per_event + 10))
                with large.open("w", encoding="utf-8") as file:
                    file.writelines(clpl_rows(memory_rows, event_ids))
                print(f"{events} events, {per_event} bookings each")
                _measure(server, http, large, memory_rows, kind)
                return
            small.write_text("".join(rows(rows_count)), "utf-8")
            with large.open("w", encoding="utf-8") as file:
                file.writelines(rows(memory_rows, first=2000000))
            first, report = _import(http, small)
            print(f"{rows_count} rows, first import: {first:.2f} s ({_summary(report)}) "
                  f"target < 3 s")
            again, report = _import(http, small)
            print(f"{rows_count} rows, re-import:    {again:.2f} s ({_summary(report)}) "
                  f"target < 2 s")
            _measure(server, http, large, memory_rows, kind)


if __name__ == "__main__":
    typer.run(main)
