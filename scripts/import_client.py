"""Send a file to the School Improvement Hub's import API and show what it did.

    python scripts/import_client.py import establishments schools.csv \\
        --url https://hub.example.scot --client-id ID --client-secret SECRET [--dry-run] [--partial]

The credentials are an integration client's (with the `imports:write` scope); they may also come
from SIH_CLIENT_ID and SIH_CLIENT_SECRET. CSV (.csv) and JSON lines (.jsonl, .ndjson) are sent
as they are read from disk, with a progress bar. Busy answers (429, 503) are retried with
exponential backoff, honouring Retry-After; big files become a job on the server, which is
polled until it finishes.

Exit codes: 0 the file was imported (or, with --dry-run, would import without errors);
1 rows failed or the file was rejected (the table says which and why); 2 the import could not
be made (credentials, permissions, network, server)."""

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

API = "/api/v1"
MEDIA_TYPES = {".csv": "text/csv", ".txt": "text/csv", ".jsonl": "application/x-ndjson",
               ".ndjson": "application/x-ndjson",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHUNK = 64 * 1024
RETRIED = {429, 503}
SHOWN_WARNINGS = 20

app = typer.Typer(help="Import files into the School Improvement Hub.", no_args_is_help=True,
                  add_completion=False)


class Kind(StrEnum):
    """The server's import kinds (app/integration/imports/schemas.ImportKind; a test keeps the
    two the same, but this script stands alone, for council machines)."""

    establishments = "establishments"
    users = "users"
    clpl_registrations = "clpl-registrations"
    critical_indicator_values = "critical-indicator-values"
    acel = "acel"
    school_statistics = "school-statistics"
    inspections = "inspections"


class Failure(Exception):
    """The import could not be made (exit code 2)."""


def http_client(url: str, timeout: float) -> AbstractContextManager[httpx.Client]:
    return httpx.Client(base_url=url.rstrip("/"), timeout=timeout)


class ImportClient:
    def __init__(self, http: httpx.Client, client_id: str, client_secret: str, *,
                 console: Console, max_retries: int = 6, max_delay: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http, self.client_id, self.client_secret = http, client_id, client_secret
        self.console, self.max_retries, self.max_delay, self.sleep = console, max_retries, max_delay, sleep
        self._token: str | None = None

    # Transport ----------------------------------------------------------------------------

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Retry-After when the server gives it (seconds), else 1, 2, 4, ... with jitter."""
        header = response.headers.get("Retry-After", "") if response is not None else ""
        if header.strip().isdigit():
            return min(float(header), self.max_delay)
        return min(2.0 ** attempt * (0.5 + random.random() / 2), self.max_delay)

    def request(self, method: str, url: str, **make: Callable[[], Any]) -> httpx.Response:
        """One request, retried on 429/503 and on network errors. `make` builds each keyword
        argument afresh for every attempt (a file body must be read again)."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self.http.request(method, url, **{k: f() for k, f in make.items()})
            except httpx.TransportError as exc:
                if last:
                    raise Failure(f"Cannot reach the server: {exc}.") from exc
                delay = self._delay(attempt, None)
                self.console.print(f"[yellow]Network error ({exc}); retrying in {delay:.0f} s.[/]")
            else:
                if response.status_code not in RETRIED or last:
                    return response
                delay = self._delay(attempt, response)
                self.console.print(f"[yellow]The server is busy ({response.status_code}); "
                                   f"retrying in {delay:.0f} s.[/]")
            self.sleep(delay)
        raise AssertionError("unreachable")

    def token(self, renew: bool = False) -> str:
        if self._token is None or renew:
            answer = self.request("POST", f"{API}/auth/token", data=lambda: {
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret})
            if answer.status_code != 200:
                raise Failure(f"Could not sign in as client {self.client_id}: {_detail(answer)}")
            self._token = str(answer.json()["access_token"])
        return self._token

    def _authorised(self, method: str, url: str, **make: Callable[[], Any]) -> httpx.Response:
        headers = make.pop("headers", dict)
        answer = self.request(method, url, headers=lambda: {
            **headers(), "Authorization": f"Bearer {self.token()}"}, **make)
        if answer.status_code == 401:  # the token expired during a long job: once more
            self.token(renew=True)
            answer = self.request(method, url, headers=lambda: {
                **headers(), "Authorization": f"Bearer {self.token()}"}, **make)
        return answer

    # The import ---------------------------------------------------------------------------

    def upload(self, kind: str, path: Path, params: dict[str, str]) -> httpx.Response:
        media = MEDIA_TYPES.get(path.suffix.lower(), "text/csv")
        size = path.stat().st_size
        progress = Progress(TextColumn("[bold]Uploading {task.fields[name]}"), BarColumn(),
                            DownloadColumn(), TimeRemainingColumn(), console=self.console,
                            transient=True)

        def body() -> Iterator[bytes]:
            task = progress.add_task("upload", total=size, name=path.name)
            with path.open("rb") as file:
                while chunk := file.read(CHUNK):
                    progress.update(task, advance=len(chunk))
                    yield chunk
            progress.remove_task(task)

        with progress:
            return self._authorised(
                "POST", f"{API}/imports/{kind}", params=lambda: params, content=body,
                headers=lambda: {"Content-Type": media, "Content-Length": str(size)})

    def wait(self, location: str) -> dict[str, Any]:
        delay = 0.5
        with self.console.status("The server is importing the file...") as status:
            while True:
                answer = self._authorised("GET", location)
                if answer.status_code != 200:
                    raise Failure(f"Could not follow the import job: {_detail(answer)}")
                job: dict[str, Any] = answer.json()
                if job["status"] in ("succeeded", "failed"):
                    return job
                status.update(f"The server is importing the file ({job['status']})...")
                self.sleep(delay)
                delay = min(delay * 2, 10.0)

    def run(self, kind: str, path: Path, *, dry_run: bool, partial: bool, run_async: bool,
            options: dict[str, str] | None = None) -> int:
        """`options`: `sheet` (a workbook's), `session` (the session a file naming none is for)."""
        params = {"dry_run": str(dry_run).lower(), "partial": str(partial).lower(),
                  **(options or {})}
        if run_async:
            params["async"] = "true"
        answer = self.upload(kind, path, params)
        if answer.status_code == 202:
            job = self.wait(answer.headers["Location"])
            if job["report"] is None:
                raise Failure(job["error"] or "The import job failed.")
            return show(self.console, job["report"], job["error"])
        if answer.status_code in (200, 422) and "created" in _json(answer):
            detail = _json(answer).get("detail") if answer.status_code == 422 else None
            return show(self.console, _json(answer), detail)
        raise Failure(f"The import was refused ({answer.status_code}): {_detail(answer)}")


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(answer: httpx.Response) -> str:
    body = _json(answer)
    return str(body.get("detail") or body.get("error_description") or answer.text[:200] or
               answer.reason_phrase)


def show(console: Console, report: dict[str, Any], detail: str | None) -> int:
    """Print the report; the exit code it deserves."""
    summary = Table(title=f"Import of {report['kind']}" + (" (dry run)" if report["dry_run"] else ""))
    for name in ("rows", "created", "updated", "unchanged", "skipped", "merged", "failed"):
        summary.add_column(name, justify="right")
    summary.add_row(*(str(report[n]) for n in ("rows", "created", "updated", "unchanged",
                                               "skipped", "merged", "failed")))
    console.print(summary)
    for kind, number in (report.get("also_created") or {}).items():
        console.print(f"Also {'to be ' if report['dry_run'] else ''}created: {number} {kind}(s).")
    if report["errors"]:
        errors = Table(title="Errors", show_lines=False)
        errors.add_column("line", justify="right")
        errors.add_column("column")
        errors.add_column("reason", overflow="fold")
        for error in report["errors"]:
            errors.add_row(str(error["line"]), error["column"] or "", error["reason"])
        console.print(errors)
        if report["errors_truncated"]:
            console.print("[yellow]Only the first errors are listed; fix these and try again.[/]")
    if report["warnings"]:
        console.print(f"[yellow]{len(report['warnings'])} warning(s)"
                      f"{' (truncated)' if report['warnings_truncated'] else ''}:[/]")
        for warning in report["warnings"][:SHOWN_WARNINGS]:
            where = f"line {warning['line']}" + (f", {warning['column']}" if warning["column"] else "")
            console.print(f"  {where}: {warning['reason']}")
        if len(report["warnings"]) > SHOWN_WARNINGS:
            console.print(f"  ... and {len(report['warnings']) - SHOWN_WARNINGS} more.")
    failed = report["failed"] > 0 or (not report["applied"] and not report["dry_run"])
    if detail:
        console.print(f"[red]{detail}[/]" if failed else detail)
    if failed:
        console.print("[red]Nothing was written.[/]" if not report["applied"] and not report["dry_run"]
                      else "[red]Some rows failed.[/]")
        return 1
    console.print("[green]Dry run: the file would import cleanly.[/]" if report["dry_run"]
                  else "[green]Imported.[/]")
    return 0


@app.callback()
def main() -> None:
    """Import files into the School Improvement Hub."""


@app.command("import")
def import_file(
    kind: Annotated[Kind, typer.Argument(help="What the file holds")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV (.csv), JSON lines (.jsonl, .ndjson) "
                                              "or Excel (.xlsx)")],
    url: Annotated[str, typer.Option(envvar="SIH_URL", help="The service, e.g. https://hub.example.scot")],
    client_id: Annotated[str, typer.Option(envvar="SIH_CLIENT_ID")],
    client_secret: Annotated[str, typer.Option(envvar="SIH_CLIENT_SECRET")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="Apply the good rows, report the bad")] = False,
    run_async: Annotated[bool, typer.Option("--async", help="Run as a job whatever the size")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer")] = 300.0,
    max_retries: Annotated[int, typer.Option(help="Retries on 429/503 and network errors")] = 6,
    sheet: Annotated[str | None, typer.Option(help="The workbook's sheet to read")] = None,
    school_session: Annotated[str | None, typer.Option(
        "--session", help="The session a file naming none is for, e.g. 2025-26")] = None,
) -> None:
    """Send FILE to the import of KIND and print what it did."""
    console = Console()
    try:
        with http_client(url, timeout) as http:
            client = ImportClient(http, client_id, client_secret, console=console,
                                  max_retries=max_retries)
            options = {k: v for k, v in (("sheet", sheet), ("session", school_session)) if v}
            code = client.run(kind.value, file, dry_run=dry_run, partial=partial,
                              run_async=run_async, options=options)
    except Failure as failure:
        console.print(f"[red]{failure}[/]")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
