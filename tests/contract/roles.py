"""The callers Schemathesis speaks as, and what each may honestly be answered.

One schema object per role: Schemathesis reads its check settings from the schema it tested, so a
role's accepted statuses live on its own copy of the contract, built from schemathesis.toml
(what holds for every caller) plus the role's difference below."""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from sqlmodel import Session

from app.identity.principal import Scope
from tests.factories import Factory

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"

# JSON lines (imports) are text on the wire, declared as a string body: sent as text/plain is.
schemathesis.serializer.alias(["application/x-ndjson", "application/jsonl"], "text/plain")
# A workbook is bytes: sent as generated (not a workbook, so the import refuses it with 422).
schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream")


@dataclass(frozen=True)
class Role:
    name: str
    max_examples: int
    # Extra answers to a schema-valid request, beyond schemathesis.toml's, and why.
    also_accepted: tuple[str, ...] = ()
    # The coverage phase's ~70 boundary cases per operation (missing headers, edge values,
    # other methods) probe validation, which answers the same whoever calls; once, as the admin.
    coverage: bool = False


# Examples per operation: the admin reaches the most handlers, so gets the most; the budget is
# about 3 minutes for the whole contract suite per database on an idle 2-core machine.
# 403: the caller is known and the operation exists for it to see, but the rule refuses it
# (a headteacher may not create an authority). The admin is allowed everything, so a 403 to
# an admin is a failure. 404 (not visible) is accepted for everyone already: generated ids
# name records nobody has, and for narrower callers also records of others.
ROLES = (
    Role("admin", 25, coverage=True),
    Role("authority_admin", 8, ("403",)),
    Role("officer", 8, ("403",)),
    Role("headteacher", 8, ("403",)),
    Role("regional_lead", 8, ("403",)),
    Role("client", 8, ("403",)),  # an integration client holding every scope
)


class CurrentApp:
    """Schemas are loaded at import; the app under test is a session fixture. This ASGI
    shim lets every generated case (negative ones included) reach the fixture's app.

    Schemathesis runs an app's lifespan around every call; the app's shutdown disposes its
    engine, which on PostgreSQL strands the connections checked out at that moment (60 open
    after a few hundred cases, until the server refused more). The session fixture owns the
    app's life, so the shim answers lifespan events itself."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await self.app(scope, receive, send)


current = CurrentApp()


def schema_for(role: Role) -> Any:
    settings = tomllib.loads(CONFIG.read_text())
    acceptance = settings["checks"]["positive_data_acceptance"]
    acceptance["expected-statuses"] = [*acceptance["expected-statuses"], *role.also_accepted]
    if not role.coverage:
        settings.setdefault("phases", {})["coverage"] = {"enabled": False}
    config = SchemathesisConfig.from_dict(settings)
    schema = schemathesis.openapi.from_path(str(CONTRACT), config=config)
    schema.app = current
    return schema


@dataclass(frozen=True)
class World:
    headers: dict[str, dict[str, str]]  # role -> Bearer headers
    ids: dict[str, Any]  # body field -> the id(s) of this world's records, for references


def callers(make: Factory, db: Session) -> World:
    """A small organisation in one authority and a caller of every role. The headteacher leads
    the school; the officers work in its authority."""
    authority = make.authority()
    cluster = make.cluster(authority)
    school = make.establishment(authority, cluster_id=cluster.id)
    make.cluster(authority)  # an empty one, which may be deleted
    who = {
        "admin": make.admin(),
        "authority_admin": make.user("officer", authority=authority, authority_admin=True),
        "officer": make.user("officer", authority=authority),
        "headteacher": make.user("headteacher", establishments=[school]),
        "regional_lead": make.user("regional_lead"),
        "client": make.client([scope.value for scope in Scope], authority=authority),
    }
    db.commit()  # no open read in the test's session while the app writes (SQLite locks)
    officer = str(who["officer"].id)
    ids = {"authority_id": str(authority.id), "region_id": str(make.region().id),
           "cluster_id": str(cluster.id), "establishment_id": str(school.id),
           "officer_id": officer, "link_officer_id": officer,
           "headteacher_id": str(who["headteacher"].id),
           "headteacher_ids": [str(who["headteacher"].id)], "establishment_ids": [str(school.id)]}
    return World({role: make.headers(caller) for role, caller in who.items()}, ids)
