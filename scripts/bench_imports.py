"""Benchmark imports through HTTP against a live server on a fresh SQLite database.

    .venv/bin/python scripts/bench_imports.py [--rows 5000] [--memory-rows 100000]

Starts uvicorn (one worker) on a temporary SQLite file, signs in as an admin, then:
1. imports a generated establishments CSV of --rows rows (target: under 3 s),
2. imports the same file again: every row unchanged (target: under 2 s),
3. imports a --memory-rows file (a job, polled to the end) and reports the server's peak
   memory growth: its peak resident set (VmHWM) after the import minus its resident set
   before it (target for 100,000 rows: under 150 MB).
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


def _import(http: httpx.Client, path: Path) -> tuple[float, dict[str, Any]]:
    size = path.stat().st_size

    def body() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(64 * 1024):
                yield chunk

    headers = {**_token(http), "Content-Type": "text/csv", "Content-Length": str(size)}
    started = time.perf_counter()
    answer = http.post("/api/v1/imports/establishments", content=body(), headers=headers)
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


def main(rows_count: Annotated[int, typer.Option("--rows")] = 5000,
         memory_rows: Annotated[int, typer.Option("--memory-rows")] = 100_000) -> None:
    with tempfile.TemporaryDirectory(prefix="sih-bench-") as tmp:
        workdir = Path(tmp)
        small, large = workdir / "small.csv", workdir / "large.csv"
        small.write_text("".join(rows(rows_count)), "utf-8")
        with large.open("w", encoding="utf-8") as file:
            file.writelines(rows(memory_rows, first=2000000))
        with Server(workdir) as server, httpx.Client(base_url=server.url, timeout=3600) as http:
            assert server.process is not None
            first, report = _import(http, small)
            print(f"{rows_count} rows, first import: {first:.2f} s ({_summary(report)}) "
                  f"target < 3 s")
            again, report = _import(http, small)
            print(f"{rows_count} rows, re-import:    {again:.2f} s ({_summary(report)}) "
                  f"target < 2 s")
            _reset_peak(server.process.pid)
            before = _memory(server.process.pid)
            elapsed, report = _import(http, large)
            after = _memory(server.process.pid)
            growth = (after["VmHWM"] - before["VmRSS"]) / 1024 / 1024
            print(f"{memory_rows} rows ({large.stat().st_size / 1024 / 1024:.1f} MiB): "
                  f"{elapsed:.1f} s ({_summary(report)})")
            print(f"server memory: {before['VmRSS'] / 1024 / 1024:.0f} MiB before, peak "
                  f"{after['VmHWM'] / 1024 / 1024:.0f} MiB: peak growth {growth:.0f} MiB "
                  f"(target < 150 MB)")


if __name__ == "__main__":
    typer.run(main)
