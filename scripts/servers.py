"""Shared by the load and speed benchmarks: a fresh database with demo data, real uvicorn
servers started and stopped around a measurement, and tokens the servers accept."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = str(ROOT / ".venv" / "bin" / "python")
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - a local benchmark


def bench_env(database_url: str, workdir: Path) -> dict[str, str]:
    """Environment for the CLI and the servers: one signing key that every process shares."""
    from app.core.security import generate_private_pem

    key_file = workdir / "jwt-keys.json"
    if not key_file.exists():
        key_file.write_text(json.dumps({"bench-1": generate_private_pem()}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIH_")}
    env.update(SIH_DATABASE_URL=database_url, SIH_ENVIRONMENT="test", SIH_SECRET_KEY=SECRET,
               SIH_JWT_PRIVATE_KEYS=key_file.read_text(), SIH_JWT_ACTIVE_KID="bench-1",
               SIH_LOG_LEVEL="INFO", PYTHONPATH=str(ROOT),
               # One token stands in for many people here: each request is counted against
               # its caller's budget, as in production, but the budget is never reached.
               SIH_RATE_LIMIT_PER_PRINCIPAL="100000000/minute")
    env.pop("DATABASE_URL", None)
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and seed the demo data through the admin CLI, as an operator would."""
    for command in ("migrate", "seed-demo"):
        subprocess.run([PYTHON, "-m", "app.cli", command], env=env, cwd=ROOT, check=True,  # noqa: S603
                       stdout=subprocess.DEVNULL)


def settings_from(env: dict[str, str]):  # type: ignore[no-untyped-def]
    from app.core.config import Settings

    return Settings(database_url=env["SIH_DATABASE_URL"], environment="test",
                    secret_key=env["SIH_SECRET_KEY"], jwt_private_keys=env["SIH_JWT_PRIVATE_KEYS"],
                    jwt_active_kid=env["SIH_JWT_ACTIVE_KID"])


def token_for(env: dict[str, str], email: str) -> str:
    """An access token for a seeded user, signed with the servers' key (no login round trip,
    so the token endpoint's rate limit does not shape the load)."""
    from sqlalchemy import select
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.core.security import KeyRing, issue_access_token
    from app.identity.models import User

    settings = settings_from(env)
    engine = make_engine(settings)
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        user_id, role = user.id, user.role
    engine.dispose()
    token, _jti, _ttl = issue_access_token(KeyRing.from_settings(settings), settings,
                                           f"user:{user_id}", {"role": role})
    return token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_server(app: str, env: dict[str, str], workers: int = 1,
                   ready_path: str = "/healthz", log: Path | None = None) -> Iterator[str]:
    """uvicorn serving `app` (an import string) until the block ends; yields the base URL.
    `log`: where the server's output goes (discarded by default)."""
    port = free_port()
    command = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
               "--no-access-log", "--no-server-header", "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    output = log.open("w") if log else subprocess.DEVNULL
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def fresh_postgres_database(postgres: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new, empty database on the server of `postgres` (any database there); yields its URL
    and drops it afterwards (unless `keep`)."""
    admin_url = make_url(postgres)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
