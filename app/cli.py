"""The admin command line: python -m app.cli --help"""

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.config import get_settings
from app.core.db import make_engine
from app.core.errors import ProblemError
from app.identity.principal import Principal, Role, Scope

cli = typer.Typer(help="School Improvement Hub administration.", no_args_is_help=True)
console = Console()
OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
SYSTEM = Principal(kind="system", id=uuid.UUID(int=0), label="cli", role=Role.admin)


@contextmanager
def _session() -> Iterator[Session]:
    """A session on an engine of its own, disposed at the end: a command (or a test invoking
    many) leaves no pooled connection behind."""
    engine = make_engine(get_settings())
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def upgrade_database() -> None:
    from alembic import command
    from alembic.config import Config

    from app.core.db import MIGRATIONS_DIR

    config = Config(str(MIGRATIONS_DIR.parent / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", get_settings().database_url)
    command.upgrade(config, "head")


def load_reference(session: Session) -> int:
    from app.frameworks.service import load_reference_frameworks
    from app.organisations.service import load_reference_organisations

    added = load_reference_organisations(session) + load_reference_frameworks(session)
    complete_feed(session)
    return added


def complete_feed(session: Session) -> dict[str, int]:
    """What the change feed has never mentioned gets its "created" entry (audit/feed.py)."""
    import app.main  # noqa: F401 - the wiring: every domain registers its kinds' documents
    from app.audit.feed import complete

    return complete(session)


@cli.command()
def migrate() -> None:
    """Bring the schema to the newest migration and load reference data (idempotent)."""
    upgrade_database()
    with _session() as session:
        added = load_reference(session)
        session.commit()
    console.print(f"[green]Schema at head[/]; {added} reference records added.")


@cli.command("load-reference")
def load_reference_command() -> None:
    """Load frameworks, the NIF, regions and authorities where missing."""
    with _session() as session:
        added = load_reference(session)
        session.commit()
    console.print(f"{added} reference records added.")


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load demo data: the West Partnership and one user of each role (not in production)."""
    from app.demo import DEMO_PASSWORD, seed_demo

    if get_settings().environment == "production":
        console.print("[red]Refused:[/] no demo data in production.")
        raise typer.Exit(1)
    with _session() as session:
        counts = seed_demo(session, SYSTEM)
        session.flush()
        complete_feed(session)
        session.commit()
    console.print(f"Demo data: {counts}. Demo users' password: {DEMO_PASSWORD}")


@cli.command("export-openapi")
def export_openapi(
    check: Annotated[bool, typer.Option(help="Fail if the committed file differs")] = False,
) -> None:
    """Write openapi/openapi.json from the app (or check that it is current)."""
    from app.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if check:
        current = OPENAPI_PATH.read_text("utf-8") if OPENAPI_PATH.exists() else ""
        if current != document:
            console.print("[red]openapi/openapi.json is stale:[/] run python -m app.cli export-openapi")
            raise typer.Exit(1)
        console.print("openapi/openapi.json is current.")
        return
    OPENAPI_PATH.parent.mkdir(exist_ok=True)
    OPENAPI_PATH.write_text(document, "utf-8")
    console.print(f"Wrote {OPENAPI_PATH}")


def _authority_id(session: Session, code: str | None) -> uuid.UUID | None:
    from app.organisations.models import Authority

    if code is None:
        return None
    found = session.scalars(select(col(Authority.id)).where(col(Authority.code) == code)).first()
    if found is None:
        raise typer.BadParameter(f"no authority with code {code}")
    return found


def _region_id(session: Session, code: str | None) -> uuid.UUID | None:
    from app.organisations.models import Region

    if code is None:
        return None
    found = session.scalars(select(col(Region.id)).where(col(Region.code) == code)).first()
    if found is None:
        raise typer.BadParameter(f"no region with code {code}")
    return found


@cli.command("create-user")
def create_user(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option()],
    name: Annotated[str, typer.Option()] = "",
    authority_code: Annotated[str | None, typer.Option()] = None,
    region_code: Annotated[str | None, typer.Option()] = None,
    establishment_code: Annotated[list[str] | None, typer.Option()] = None,
    authority_admin: Annotated[bool, typer.Option("--authority-admin")] = False,
) -> None:
    """Create a user bound by official codes (authority S12..., region, SEED codes)."""
    from pydantic import ValidationError

    from app.identity.schemas import UserCreate
    from app.identity.service import create_user as create
    from app.organisations.models import Establishment

    with _session() as session:
        codes = establishment_code or []
        ids = list(session.scalars(select(col(Establishment.id)).where(col(Establishment.code).in_(codes))))
        if len(ids) != len(set(codes)):
            raise typer.BadParameter("some establishment codes are unknown")
        try:
            data = UserCreate(
                email=email, name=name or email.split("@")[0], password=password, role=role,
                authority_id=_authority_id(session, authority_code),
                region_id=_region_id(session, region_code), establishment_ids=ids,
                is_authority_admin=authority_admin,
            )
            user = create(session, SYSTEM, data)
        except (ValidationError, ProblemError) as exc:
            console.print(f"[red]Refused:[/] {exc}")
            raise typer.Exit(1) from exc
        session.commit()
    console.print(f"Created {user.role} {user.email} ({user.id})")


@cli.command("create-client")
def create_client(
    name: Annotated[str, typer.Option()],
    scope: Annotated[list[Scope], typer.Option(help="Repeat for several scopes")],
    authority_code: Annotated[str | None, typer.Option()] = None,
    region_code: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register an integration client; prints its id and secret once."""
    from app.identity.schemas import ClientCreate
    from app.identity.service import create_client as create

    with _session() as session:
        try:
            client = create(session, SYSTEM, ClientCreate(
                name=name, scopes=scope, authority_id=_authority_id(session, authority_code),
                region_id=_region_id(session, region_code)))
        except ProblemError as exc:
            console.print(f"[red]Refused:[/] {exc}")
            raise typer.Exit(1) from exc
        session.commit()
    print(f"client_id={client.client_id}")
    print(f"client_secret={client.client_secret}")
    print("Store the secret now: it is not shown again.", file=sys.stderr)



@cli.command("import")
def import_file(
    kind: Annotated[str, typer.Argument(help="establishments, users, clpl-registrations, "
                                             "critical-indicator-values, acel, "
                                             "school-statistics, inspections")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; write nothing")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="Apply the good rows")] = False,
    sheet: Annotated[str | None, typer.Option("--sheet", help="A workbook's sheet")] = None,
    school_session: Annotated[str | None, typer.Option(
        "--session", help="The session a file naming none is for (school-statistics)")] = None,
) -> None:
    """Import a CSV (.csv), JSON lines (.jsonl, .ndjson) or Excel (.xlsx) file on this server,
    as the system: the same rules, report and all-or-nothing as POST /imports/{kind}, without
    a network."""
    from app.insight import import_kind  # noqa: F401 - registers its kind
    from app.integration.imports.kinds import KINDS
    from app.integration.imports.reader import XLSX_MEDIA_TYPE
    from app.integration.imports.service import ImportRejectedError, run_import

    if kind not in KINDS:
        console.print(f"[red]No import kind {kind!r}[/]: use one of {', '.join(sorted(KINDS))}.")
        raise typer.Exit(2)
    media_type = {".jsonl": "application/x-ndjson", ".ndjson": "application/x-ndjson",
                  ".xlsx": XLSX_MEDIA_TYPE}.get(path.suffix.lower(), "text/csv")
    options = {name: value for name, value in (("sheet", sheet), ("session", school_session))
               if value is not None}

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(256 * 1024):
                yield chunk

    with _session() as session:
        try:
            report = run_import(session, SYSTEM, kind, chunks(), media_type, dry_run=dry_run,
                                partial=partial, sheet=sheet, options=options)
            session.commit()
        except ImportRejectedError as exc:
            report, refused = exc.report, str(exc)
        else:
            refused = ""
    counts = ", ".join(f"{getattr(report, name)} {name}" for name in (
        "rows", "created", "updated", "unchanged", "failed", "skipped"))
    console.print(f"{kind}: {counts}" + (" (dry run)" if dry_run else ""), soft_wrap=True)
    for issue in [*report.errors, *report.warnings][:50]:
        column = f" [{issue.column}]" if issue.column else ""
        console.print(escape(f"  line {issue.line}{column}: {issue.reason}"), soft_wrap=True)
    if refused:
        console.print(f"[red]Nothing was written:[/] {escape(refused)}", soft_wrap=True)
        raise typer.Exit(1)

@cli.command("purge-expired")
def purge_expired_command() -> None:
    """Delete expired refresh and revoked tokens, closed rate-limit windows and Idempotency-Key
    records older than 24 h (safe to run at any time; run it hourly from cron)."""
    from app.housekeeping import purge_expired

    with _session() as session:
        deleted = purge_expired(session, get_settings())
        session.commit()
    console.print(", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in deleted.items())
                  + " deleted.", soft_wrap=True)


if __name__ == "__main__":
    cli()
