"""scripts/import_client.py against the app: sign in, upload, retry when busy, follow jobs,
and report failures readably with a non-zero exit code."""

import importlib.util
import io
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from sqlmodel import Session
from typer.testing import CliRunner

from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import DATA, csv_rows, establishments, school

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_client.py"
SECRET = "cs_import-client-test-secret"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("import_client", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_client"] = module
    spec.loader.exec_module(module)
    return module


client_script = _load()


@pytest.fixture
def mis(make: Factory):
    return make.client(["imports:write"], secret=SECRET)


def _client(http: httpx.Client, mis: Any, sleeps: list[float] | None = None) -> tuple[Any, io.StringIO]:
    output = io.StringIO()
    console = Console(file=output, width=160, force_terminal=False)
    recorder = sleeps if sleeps is not None else []
    return client_script.ImportClient(http, str(mis.id), SECRET, console=console,
                                      sleep=recorder.append), output


def _file(tmp_path: Path, body: bytes, name: str = "schools.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_it_offers_every_kind_the_server_imports():
    from app.integration.imports.schemas import ImportKind

    assert {k.value for k in client_script.Kind} == {k.value for k in ImportKind}


def test_a_clean_file_imports_and_exits_0(api, mis, tmp_path: Path, db: Session):
    client, output = _client(api, mis)
    code = client.run("establishments", _file(tmp_path, csv_rows(school(1), school(2))),
                      dry_run=False, partial=False, run_async=False)
    assert code == 0, output.getvalue()
    assert "Imported." in output.getvalue()
    assert set(establishments(db)) == {"8000001", "8000002"}


def test_failed_rows_print_a_table_and_exit_1(api, mis, tmp_path: Path, db: Session):
    client, output = _client(api, mis)
    body = csv_rows(school(1), school(2, roll="many"), school(3, sector="academy"))
    code = client.run("establishments", _file(tmp_path, body), dry_run=False, partial=False,
                      run_async=False)
    text = output.getvalue()
    assert code == 1, text
    assert "Errors" in text and "roll" in text and "a whole number" in text and "academy" in text
    assert "Nothing was written." in text
    assert establishments(db) == {}


def test_a_dry_run_of_a_clean_file_exits_0_and_writes_nothing(api, mis, tmp_path: Path, db: Session):
    client, output = _client(api, mis)
    code = client.run("establishments", _file(tmp_path, csv_rows(school(1))), dry_run=True,
                      partial=False, run_async=False)
    assert code == 0 and "would import cleanly" in output.getvalue()
    assert establishments(db) == {}


def test_busy_answers_are_retried_honouring_retry_after(api, mis, tmp_path: Path, db: Session):
    """A proxy in front of the app answers 429 to the token request and 503 to the first upload."""
    refused: list[str] = []

    def proxy(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/auth/token") and "token" not in refused:
            refused.append("token")
            return httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": "slow down"})
        if "/imports/" in path and "upload" not in refused:
            request.read()
            refused.append("upload")
            return httpx.Response(503, json={"detail": "database unavailable"})
        return api.send(api.build_request(request.method, path, params=request.url.params,
                                          headers=request.headers, content=request.read()))

    sleeps: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(proxy), base_url="http://testserver") as http:
        client, output = _client(http, mis, sleeps)
        code = client.run("establishments", _file(tmp_path, csv_rows(school(1))), dry_run=False,
                          partial=False, run_async=False)
    assert code == 0, output.getvalue()
    assert refused == ["token", "upload"]
    assert sleeps[0] == 3  # Retry-After honoured
    assert 0 < sleeps[1] <= 1  # no Retry-After: exponential backoff from 1 s
    assert "retrying" in output.getvalue()
    assert set(establishments(db)) == {"8000001"}


def test_jobs_are_followed_to_the_end(api, mis, tmp_path: Path, db: Session):
    client, output = _client(api, mis)
    body = (DATA / "SG_SchoolRoll_2022_sample.csv").read_bytes()
    # The client is bound to North Lanarkshire: the other councils' rows fail; partial keeps ours.
    code = client.run("establishments", _file(tmp_path, body), dry_run=False, partial=True,
                      run_async=True)
    text = output.getvalue()
    assert code == 1, text  # some rows failed
    assert "not allowed to write establishments of authority" in text
    saved = establishments(db)
    assert saved and all(e.authority_id == mis.authority_id for e in saved.values())


def test_wrong_credentials_exit_2(api, mis, tmp_path: Path):
    output = io.StringIO()
    client = client_script.ImportClient(api, str(mis.id), "wrong", console=Console(file=output),
                                        sleep=lambda _s: None)
    with pytest.raises(client_script.Failure, match="Could not sign in"):
        client.run("establishments", _file(tmp_path, csv_rows(school(1))), dry_run=False,
                   partial=False, run_async=False)


def test_the_command_line(api, mis, tmp_path: Path, db: Session, monkeypatch):
    monkeypatch.setattr(client_script, "http_client", lambda url, timeout: nullcontext(api))
    path = _file(tmp_path, b'{"code": "8000001", "name": "Json School", "sector": "primary"}\n',
                 name="schools.jsonl")
    args = ["import", "establishments", str(path), "--url", "http://testserver",
            "--client-id", str(mis.id), "--client-secret", SECRET]
    result = CliRunner().invoke(client_script.app, args)
    assert result.exit_code == 0, result.output
    assert set(establishments(db)) == {"8000001"}
    refused = CliRunner().invoke(client_script.app, [*args[:-1], "nope"])
    assert refused.exit_code == 2 and "Could not sign in" in refused.output
