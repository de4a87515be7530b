"""The users of `scripts/load.py`: Locust users with the mix it drives against the API.

Each user is a link officer working without pause (no think time, one keep-alive connection):

- 70% reads: one establishment, visit or improvement plan by id (officer);
- 20% lists and summaries: establishments of the authority, visits (officer), the authority's
  summary for the latest session (regional lead);
- 10% writes: create a visit (POST with Idempotency-Key), edit one of the user's own visits
  (PATCH with If-Match, the ETag of its last answer), or sync a batch of three new visits from
  a device (POST /visits/sync with Idempotency-Key).

Requests are named by class (`read`, `list`, `summary`, `write`) so Locust's statistics group
them. `RUN` keeps what the check afterwards needs: the ids of the visits created with a 2xx
answer, the 2xx edits per visit, and the statuses and transport errors per class.

`scripts/load.py` prepares a database and servers and runs these users in process. To drive a
server you started yourself (Locust's web UI, or `--headless -u 24 -t 60s`):

    SIH_LOAD_OFFICER_TOKEN=... SIH_LOAD_LEAD_TOKEN=... \\
        .venv/bin/locust -f scripts/locustfile.py --host http://127.0.0.1:8000

with access tokens of an officer with an authority and of a regional lead (the demo users'
`officer@demo.sih.scot` and `lead@demo.sih.scot`). The visits it writes have notes starting
with `load-run:`."""

import os
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
from locust import FastHttpUser, constant, events, task
from locust.contrib.fasthttp import FastResponse
from locust.env import Environment

API = "/api/v1"
MARK = "load-run:"  # the notes of every visit a run writes start with it
CLASSES = ("read", "list", "summary", "write")


@dataclass
class World:
    """Ids the users pick from, read through the API before the run."""

    authority_id: str
    schools: list[str]
    link_schools: list[str]
    plans: list[str]
    visits: list[str]
    school_session: str


@dataclass
class Run:
    """The tokens and ids the users share, and what the check afterwards needs."""

    officer: str
    lead: str
    world: World
    created: set[str] = field(default_factory=set)
    edits: Counter[str] = field(default_factory=Counter)  # visit id -> 2xx PATCHes
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (class, status)
    transport_errors: Counter[str] = field(default_factory=Counter)  # "class: exception"


RUN: Run | None = None


def discover(base: str, officer: str) -> World:
    """The officer's authority, its schools (those the officer links first), plans and visits."""
    auth = {"Authorization": f"Bearer {officer}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        me = client.get(f"{API}/me").raise_for_status().json()
        authority_id, officer_id = me["authority_id"], me["id"]
        schools = client.get(f"{API}/establishments", params={
            "authority_id": authority_id, "limit": 500}).raise_for_status().json()["items"]
        plans = client.get(f"{API}/improvement-plans",
                           params={"limit": 200}).raise_for_status().json()["items"]
        visits = client.get(f"{API}/visits", params={"limit": 200}).raise_for_status().json()["items"]
    link = [s["id"] for s in schools if s["link_officer_id"] == officer_id]
    sessions = [p["session"] for p in plans]
    return World(authority_id, [s["id"] for s in schools], link or [s["id"] for s in schools],
                 [p["id"] for p in plans], [v["id"] for v in visits],
                 max(sessions) if sessions else "2025-26")


def configure(base: str, officer: str, lead: str) -> Run:
    """Set up the run the users share: call before the users start."""
    global RUN
    RUN = Run(officer, lead, discover(base, officer))
    return RUN


@events.test_start.add_listener
def _configure_from_environment(environment: Environment, **_kwargs: Any) -> None:
    """Under the `locust` command: the tokens come from the environment."""
    if RUN is None:
        if not environment.host:
            raise RuntimeError("give the server with --host")
        configure(environment.host, os.environ["SIH_LOAD_OFFICER_TOKEN"],
                  os.environ["SIH_LOAD_LEAD_TOKEN"])


@events.request.add_listener
def _count(name: str, response: Any, exception: BaseException | None, **_kwargs: Any) -> None:
    """Statuses per class; no status at all (0) is a transport error."""
    if RUN is None:
        return
    status = getattr(response, "status_code", 0) or 0
    if status:
        RUN.statuses[(name, status)] += 1
    else:
        RUN.transport_errors[f"{name}: {type(exception).__name__}"] += 1


def visit_body(school: str) -> dict[str, Any]:
    return {"establishment_id": school, "visit_date": date.today().isoformat(),
            "kind": "support_and_challenge", "notes": f"{MARK}{uuid.uuid4()}",
            "status": "draft"}


class LinkOfficer(FastHttpUser):
    """One virtual user: reads, lists and summaries, and writes to its own visits."""

    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        if RUN is None:
            raise RuntimeError("configure() the run before the users start")
        self.run = RUN
        self.world = RUN.world
        self.officer = {"Authorization": f"Bearer {RUN.officer}"}
        self.lead = {"Authorization": f"Bearer {RUN.lead}"}
        self.mine: dict[str, str] = {}  # this user's visits -> the ETag of their last answer
        self.rng = random.Random()

    @task(70)
    def read(self) -> None:
        w = self.world
        target = self.rng.choice(["establishments", "visits", "improvement-plans"])
        pool = {"establishments": w.schools, "visits": w.visits,
                "improvement-plans": w.plans}[target]
        if not pool:
            target, pool = "establishments", w.schools
        self.client.get(f"{API}/{target}/{self.rng.choice(pool)}", headers=self.officer, name="read")

    @task(20)
    def list_or_summary(self) -> None:
        w = self.world
        choice = self.rng.randrange(3)
        if choice == 0:
            query = urlencode({"authority_id": w.authority_id, "limit": 50})
            self.client.get(f"{API}/establishments?{query}", headers=self.officer, name="list")
        elif choice == 1:
            self.client.get(f"{API}/visits?limit=50", headers=self.officer, name="list")
        else:
            query = urlencode({"session": w.school_session})
            self.client.get(f"{API}/summaries/authorities/{w.authority_id}?{query}",
                            headers=self.lead, name="summary")

    @task(10)
    def write(self) -> None:
        choice = self.rng.random()
        if choice < 0.4 or not self.mine:
            self.create()
        elif choice < 0.8:
            self.edit()
        else:
            self.sync()

    def create(self) -> None:
        headers = {**self.officer, "Idempotency-Key": str(uuid.uuid4())}
        answer: FastResponse = self.client.post(
            f"{API}/visits", headers=headers, name="write",
            json=visit_body(self.rng.choice(self.world.link_schools)))
        if answer.status_code == 201:
            visit_id = answer.json()["id"]
            self.run.created.add(visit_id)
            self.mine[visit_id] = answer.headers["ETag"]

    def edit(self) -> None:
        visit_id = self.rng.choice(list(self.mine))
        headers = {**self.officer, "If-Match": self.mine[visit_id]}
        answer: FastResponse = self.client.patch(
            f"{API}/visits/{visit_id}", headers=headers, name="write",
            json={"notes": f"{MARK}edit {uuid.uuid4()}"})
        if answer.status_code == 200:
            self.run.edits[visit_id] += 1
            self.mine[visit_id] = answer.headers["ETag"]

    def sync(self) -> None:
        items = [{"id": str(uuid.uuid4()), "base_version": None,
                  "visit": visit_body(self.rng.choice(self.world.link_schools))}
                 for _ in range(3)]
        headers = {**self.officer, "Idempotency-Key": str(uuid.uuid4())}
        answer: FastResponse = self.client.post(
            f"{API}/visits/sync", headers=headers, name="write",
            json={"device_id": "load-device", "items": items})
        if answer.status_code == 200:
            for result in answer.json()["items"]:
                if result["outcome"] == "applied":
                    self.run.created.add(result["id"])
