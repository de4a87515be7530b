"""Real server processes (uvicorn subprocesses) for the fault tests, configured through the
same SIH_ variables production uses, and helpers to read the database they share."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60  # two shared cores: importing the app can be slow under load


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_url(database_url: str, *, name: str, port: int | None = None) -> str:
    """The test database's URL, tagged with an application_name (so a test can find the
    server's connections in pg_stat_activity), optionally through a proxy's port."""
    url = make_url(database_url).update_query_dict({"application_name": name})
    if port is not None:
        url = url.set(host="127.0.0.1", port=port)
    return url.render_as_string(hide_password=False)


class Server:
    def __init__(self, settings: Settings, database_url: str, **env: str) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="sih-server-", suffix=".log", delete=False)  # noqa: SIM115
        variables = {
            **os.environ, "SIH_ENVIRONMENT": "test", "SIH_DATABASE_URL": database_url,
            "SIH_SECRET_KEY": settings.secret_key, "SIH_JWT_PRIVATE_KEYS": settings.jwt_private_keys,
            "SIH_JWT_ACTIVE_KID": settings.jwt_active_kid, "SIH_LOG_LEVEL": "WARNING",
            "SIH_AUTH_RATE_LIMIT_PER_IP": "100000", "SIH_AUTH_RATE_LIMIT_PER_ACCOUNT": "100000",
            **{f"SIH_{k.upper()}": v for k, v in env.items()},
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log"],
            cwd=ROOT, env=variables, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_until_up(self) -> "Server":
        """Separate from starting, so that several servers can start side by side."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start in {STARTUP_SECONDS} s:\n{self.output()}")

    def client(self, token: str | None = None, timeout: float = 15) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no rollback sent, sockets dropped by the kernel."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        with contextlib.suppress(FileNotFoundError):  # a failed start already stopped it
            os.unlink(self.log.name)


def wait_for(condition: Any, what: str, timeout: float = 15) -> Any:
    """Poll until condition() is truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def backends(engine: Engine, name: str, *, waiting_on_lock: bool = False) -> int:
    """How many connections the server tagged `name` holds (or has blocked on a lock)."""
    query = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
             "AND application_name = :name")
    if waiting_on_lock:
        query += " AND wait_event_type = 'Lock'"
    with engine.connect() as connection:
        return int(connection.execute(text(query), {"name": name}).scalar_one())
