"""A real server for the client tests: uvicorn on a free port over a fresh SQLite file, set up
through the admin CLI as an operator would, with one officer and one integration client.

The generated clients and the documented examples talk to it over real HTTP, as a front end
would. It runs once per pytest run, on SQLite only: the clients test the contract, not the
database (the rest of the suite covers PostgreSQL)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.core.security import generate_private_pem
from scripts.servers import uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
OFFICER_EMAIL = "officer@northlan.example.scot"
OFFICER_PASSWORD = "a-long-passphrase-2025"


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    username: str
    password: str
    client_id: str
    client_secret: str


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout


@contextmanager
def live_server(workdir: Path) -> Iterator[LiveServer]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIH_")}
    env.pop("DATABASE_URL", None)
    env.update(SIH_DATABASE_URL=f"sqlite:///{workdir / 'live.db'}", SIH_ENVIRONMENT="test",
               SIH_SECRET_KEY="live-server-secret-key-that-is-long-enough-0123",
               SIH_JWT_PRIVATE_KEYS=json.dumps({"live-1": generate_private_pem()}),
               SIH_JWT_ACTIVE_KID="live-1", SIH_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    _cli(env, "migrate")
    _cli(env, "create-user", "--email", OFFICER_EMAIL, "--password", OFFICER_PASSWORD,
         "--role", "officer", "--name", "Morag Officer", "--authority-code", "S12000050",
         "--authority-admin")
    printed = _cli(env, "create-client", "--name", "North Lanarkshire SEEMiS nightly sync",
                   "--scope", "establishments:write", "--scope", "changes:read",
                   "--authority-code", "S12000050")
    client = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)

    with uvicorn_server("app.main:app", env, ready_path="/readyz") as base_url:
        yield LiveServer(base_url, OFFICER_EMAIL, OFFICER_PASSWORD,
                         client["client_id"], client["client_secret"])
