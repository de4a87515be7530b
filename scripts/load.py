"""A realistic load against real servers: zero 5xx, zero lost writes, latency per class.

    .venv/bin/python scripts/load.py [--seconds 60] [--users 24] [--workers 2]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a fresh PostgreSQL database beside the one in --postgres (dropped afterwards unless
--keep), migrates it and loads the demo data with the admin CLI, starts `uvicorn --workers N`,
and runs `--users` virtual users (asyncio, keep-alive) for `--seconds`. The mix:

- 70% reads: one establishment, visit or improvement plan (officer), by id;
- 20% lists and summaries: establishments of the authority, visits, the authority's summary
  (regional lead);
- 10% writes: create a visit (POST with Idempotency-Key), edit one's own visit (PATCH with
  If-Match), or sync a batch of three new visits from a device (POST /visits/sync).

Afterwards it checks that every write answered 2xx is in the database: every created visit is
there (through the API and by a count in the database), and each edited visit's version is one
plus the number of its edits that answered 2xx. Prints p50/p95/p99 per class. Exit status 1 on
any 5xx, transport error or lost write."""

import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.servers import bench_env, prepare_database, token_for, uvicorn_server

cli = typer.Typer(help=__doc__.splitlines()[0], no_args_is_help=True)
API = "/api/v1"
MARK = "load-run:"  # the notes of every visit this run writes start with it


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    created: set[str] = field(default_factory=set)
    edits: Counter[str] = field(default_factory=Counter)  # visit id -> 2xx PATCHes

    def record(self, kind: str, status: int, seconds: float) -> None:
        self.latencies[kind].append(seconds)
        self.statuses[(kind, status)] += 1


@dataclass
class World:
    """Ids the users pick from, read through the API before the run."""

    authority_id: str
    schools: list[str]
    link_schools: list[str]
    plans: list[str]
    visits: list[str]
    school_session: str


def visit_body(school: str) -> dict[str, Any]:
    return {"establishment_id": school, "visit_date": date.today().isoformat(),
            "kind": "support_and_challenge", "notes": f"{MARK}{uuid.uuid4()}",
            "status": "draft"}


class User:
    def __init__(self, client: httpx.AsyncClient, officer: str, lead: str, world: World,
                 stats: Stats, rng: random.Random) -> None:
        self.client, self.world, self.stats, self.rng = client, world, stats, rng
        self.officer = {"Authorization": f"Bearer {officer}"}
        self.lead = {"Authorization": f"Bearer {lead}"}
        self.mine: dict[str, str] = {}  # this user's visits -> their ETag

    async def call(self, kind: str, method: str, url: str, headers: dict[str, str],
                   **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.transport_errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        self.stats.record(kind, answer.status_code, time.perf_counter() - started)
        return answer

    async def step(self) -> None:
        roll, w = self.rng.random(), self.world
        if roll < 0.70:
            target = self.rng.choice(["establishments", "visits", "improvement-plans"])
            pool = {"establishments": w.schools, "visits": w.visits or w.schools,
                    "improvement-plans": w.plans or w.schools}[target]
            if target != "establishments" and pool is w.schools:
                target = "establishments"
            await self.call("read", "GET", f"{API}/{target}/{self.rng.choice(pool)}", self.officer)
        elif roll < 0.90:
            choice = self.rng.randrange(3)
            if choice == 0:
                await self.call("list", "GET", f"{API}/establishments", self.officer,
                                params={"authority_id": w.authority_id, "limit": 50})
            elif choice == 1:
                await self.call("list", "GET", f"{API}/visits", self.officer, params={"limit": 50})
            else:
                await self.call("summary", "GET", f"{API}/summaries/authorities/{w.authority_id}",
                                self.lead, params={"session": w.school_session})
        else:
            await self.write()

    async def write(self) -> None:
        choice = self.rng.random()
        if choice < 0.4 or not self.mine:
            headers = {**self.officer, "Idempotency-Key": str(uuid.uuid4())}
            answer = await self.call("write", "POST", f"{API}/visits", headers,
                                     json=visit_body(self.rng.choice(self.world.link_schools)))
            if answer is not None and answer.status_code == 201:
                visit = answer.json()
                self.stats.created.add(visit["id"])
                self.mine[visit["id"]] = answer.headers["ETag"]
        elif choice < 0.8:
            visit_id = self.rng.choice(list(self.mine))
            headers = {**self.officer, "If-Match": self.mine[visit_id]}
            answer = await self.call("write", "PATCH", f"{API}/visits/{visit_id}", headers,
                                     json={"notes": f"{MARK}edit {uuid.uuid4()}"})
            if answer is not None and answer.status_code == 200:
                self.stats.edits[visit_id] += 1
                self.mine[visit_id] = answer.headers["ETag"]
        else:
            items = [{"id": str(uuid.uuid4()), "base_version": None,
                      "visit": visit_body(self.rng.choice(self.world.link_schools))}
                     for _ in range(3)]
            headers = {**self.officer, "Idempotency-Key": str(uuid.uuid4())}
            answer = await self.call("write", "POST", f"{API}/visits/sync", headers,
                                     json={"device_id": "load-device", "items": items})
            if answer is not None and answer.status_code == 200:
                for result in answer.json()["items"]:
                    if result["outcome"] == "applied":
                        self.stats.created.add(result["id"])


async def discover(base: str, officer: str) -> World:
    auth = {"Authorization": f"Bearer {officer}"}
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as client:
        me = (await client.get(f"{API}/me")).json()
        authority_id, officer_id = me["authority_id"], me["id"]
        schools = (await client.get(f"{API}/establishments", params={
            "authority_id": authority_id, "limit": 500})).json()["items"]
        plans = (await client.get(f"{API}/improvement-plans", params={"limit": 200})).json()
        visits = (await client.get(f"{API}/visits", params={"limit": 200})).json()
    link = [s["id"] for s in schools if s["link_officer_id"] == officer_id]
    sessions = [p["session"] for p in plans.get("items", [])]
    return World(authority_id, [s["id"] for s in schools], link or [s["id"] for s in schools],
                 [p["id"] for p in plans.get("items", [])], [v["id"] for v in visits["items"]],
                 max(sessions) if sessions else "2025-26")


async def drive(base: str, officer: str, lead: str, world: World, users: int,
                seconds: float) -> Stats:
    stats = Stats()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        deadline = time.monotonic() + seconds

        async def user_loop(number: int) -> None:
            user = User(client, officer, lead, world, stats, random.Random(number))
            while time.monotonic() < deadline:
                await user.step()

        await asyncio.gather(*(user_loop(n) for n in range(users)))
    return stats


async def lost_writes(base: str, officer: str, stats: Stats) -> list[str]:
    """Every 2xx write must be there: each created visit, each edit counted in its version."""
    lost = []
    auth = {"Authorization": f"Bearer {officer}"}
    semaphore = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as client:

        async def check(visit_id: str) -> None:
            async with semaphore:
                answer = await client.get(f"{API}/visits/{visit_id}")
            if answer.status_code != 200:
                lost.append(f"visit {visit_id}: GET answered {answer.status_code}")
            elif answer.json()["version"] != 1 + stats.edits[visit_id]:
                lost.append(f"visit {visit_id}: version {answer.json()['version']}, "
                            f"expected {1 + stats.edits[visit_id]}")

        await asyncio.gather(*(check(v) for v in stats.created))
    return lost


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def report(stats: Stats, seconds: float) -> int:
    total = sum(stats.statuses.values())
    print(f"\n{total:,} requests in {seconds:.0f} s ({total / seconds:,.0f}/s)")
    print(f"{'class':8} {'count':>7} {'share':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for kind in ("read", "list", "summary", "write"):
        values = stats.latencies.get(kind, [])
        if not values:
            continue
        codes = ", ".join(f"{code}: {n}" for (k, code), n in sorted(stats.statuses.items())
                          if k == kind)
        print(f"{kind:8} {len(values):7,} {len(values) / total:6.1%} {percentile(values, .5):8.1f} "
              f"{percentile(values, .95):8.1f} {percentile(values, .99):8.1f}  {codes}")
    errors = sum(n for (_k, code), n in stats.statuses.items() if code >= 500)
    print(f"5xx: {errors}; transport errors: {dict(stats.transport_errors) or 0}")
    return errors + sum(stats.transport_errors.values())


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
) -> None:
    """Fresh database, demo data, N workers, the mix for SECONDS, then the write check."""
    admin_url = make_url(postgres)
    name = f"sih_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = admin_url.set(database=name).render_as_string(hide_password=False)
    failures = 0
    try:
        workdir = Path(tempfile.mkdtemp(prefix="sih-load-"))
        env = bench_env(database_url, workdir)
        env["SIH_DB_POOL_SIZE"] = str(max(5, users // workers))
        prepare_database(env)
        officer = token_for(env, "officer@demo.sih.scot")
        lead = token_for(env, "lead@demo.sih.scot")
        log = workdir / "server.log"
        with uvicorn_server("app.main:app", env, workers=workers, log=log) as base:
            world = asyncio.run(discover(base, officer))
            print(f"{workers} workers on PostgreSQL ({name}); {users} users for {seconds:.0f} s; "
                  f"{len(world.schools)} schools, {len(world.plans)} plans, "
                  f"{len(world.visits)} visits to read")
            started = time.monotonic()
            stats = asyncio.run(drive(base, officer, lead, world, users, seconds))
            failures += report(stats, time.monotonic() - started)
            lost = asyncio.run(lost_writes(base, officer, stats))
        in_database = count_in_database(database_url)
        edits = sum(stats.edits.values())
        print(f"writes answered 2xx: {len(stats.created)} visits created, {edits} edits; "
              f"in the database: {in_database} visits of this run; lost: {len(lost)}")
        print(f"server log (JSON lines; errors have level ERROR): {log}")
        for line in lost[:20]:
            print("  LOST", line)
        if in_database != len(stats.created):
            print(f"  LOST: {len(stats.created)} created, {in_database} in the database")
            failures += 1
        failures += len(lost)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print("PASS" if failures == 0 else "FAIL")
    raise typer.Exit(1 if failures else 0)


if __name__ == "__main__":
    cli()
