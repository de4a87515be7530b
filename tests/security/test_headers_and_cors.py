"""What every answer tells a browser, whom it lets in across origins, and what it never says
about the server. (Secrets in logs: tests/identity/test_logs.py, and one more case below.)"""

import importlib
import logging
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.core.config import Settings
from app.main import create_app
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]
PORTAL = "https://portal.west-partnership.scot"


def _assert_hardened(headers: object, where: str) -> None:
    h = dict(headers)  # type: ignore[call-overload]
    h = {k.lower(): v for k, v in h.items()}
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("x-frame-options") == "DENY", where
    assert h.get("referrer-policy") == "no-referrer", where
    assert "max-age=" in h.get("strict-transport-security", ""), where
    assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), where
    assert h.get("cache-control") == "no-store", where
    assert "server" not in h and "x-powered-by" not in h, where


def test_every_kind_of_answer_carries_the_security_headers(api, make: Factory) -> None:
    """Success, every family of refusal, and answers written before a route is reached."""
    admin = make.headers(make.admin())
    authority = make.authority()
    created = api.post("/api/v1/clusters", json={"authority_id": str(authority.id), "name": "Hdr"},
                       headers=admin)
    answers = {
        201: created,
        200: api.get(f"/api/v1/clusters/{created.json()['id']}", headers=admin),
        204: api.delete(f"/api/v1/clusters/{created.json()['id']}",
                        headers={**admin, "If-Match": created.headers["etag"]}),
        401: api.get("/api/v1/me"),
        403: api.get("/api/v1/audit-events", headers=make.headers(make.user("headteacher"))),
        404: api.get("/api/v1/clusters/00000000-0000-4000-8000-000000000000", headers=admin),
        405: api.put("/api/v1/me", headers=admin),
        413: api.post("/api/v1/clusters", content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
                      headers={**admin, "Content-Type": "application/json"}),
        415: api.post("/api/v1/clusters", content=b"name=x", headers={**admin, "Content-Type": "text/plain"}),
        422: api.get("/api/v1/clusters", params={"limit": 0}, headers=admin),
        428: api.patch(f"/api/v1/establishments/{make.establishment().id}", json={"name": "Y"},
                       headers=admin),
    }
    for status, answer in answers.items():
        assert answer.status_code == status, (status, answer.text[:200])
        _assert_hardened(answer.headers, f"{status} answer")


# CORS ---------------------------------------------------------------------------------------


@pytest.fixture
def cors_api(settings: Settings) -> Iterator[TestClient]:
    """The app as configured for a browser portal: one origin, with credentials."""
    configured = settings.model_copy(update={"cors_origins": [PORTAL], "cors_allow_credentials": True})
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        yield client


def _preflight(client: TestClient, origin: str) -> object:
    return client.options("/api/v1/establishments/00000000-0000-4000-8000-000000000000", headers={
        "Origin": origin, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, if-match, content-type"})


def test_preflight_from_an_allowed_origin_names_that_origin_never_a_wildcard(cors_api) -> None:
    answer = _preflight(cors_api, PORTAL)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    headers = answer.headers  # type: ignore[attr-defined]
    assert headers["access-control-allow-origin"] == PORTAL
    assert headers["access-control-allow-credentials"] == "true"
    assert "PATCH" in headers["access-control-allow-methods"]
    assert "if-match" in headers["access-control-allow-headers"].lower()
    assert "origin" in headers.get("vary", "").lower()  # caches keep answers per origin


@pytest.mark.parametrize("origin", ["https://evil.example", "https://portal.west-partnership.scot.evil.example",
                                    "http://portal.west-partnership.scot", "null"])
def test_preflight_from_another_origin_is_not_allowed(cors_api, origin: str) -> None:
    answer = _preflight(cors_api, origin)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "access-control-allow-origin" not in answer.headers  # type: ignore[attr-defined]
    assert "access-control-allow-credentials" not in answer.headers  # type: ignore[attr-defined]
    assert answer.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert answer.json()["status"] == 400  # type: ignore[attr-defined]
    _assert_hardened(answer.headers, "refused preflight")  # type: ignore[attr-defined]


def test_a_simple_request_from_another_origin_gets_no_cors_grant(cors_api) -> None:
    allowed = cors_api.get("/healthz", headers={"Origin": PORTAL})
    refused = cors_api.get("/healthz", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert "access-control-expose-headers" in allowed.headers
    assert "etag" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in refused.headers


def test_without_configured_origins_no_origin_is_granted(api) -> None:
    answer = api.options("/api/v1/regions", headers={
        "Origin": PORTAL, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in api.get("/healthz", headers={"Origin": PORTAL}).headers


def test_a_wildcard_origin_with_credentials_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="wildcard"):
        Settings(cors_origins=["*"], cors_allow_credentials=True)


# No version banner ------------------------------------------------------------------------------


def _uvicorn_command_lines() -> dict[str, str]:
    """Every way the service is started in production or on a laptop."""
    run = (ROOT / "scripts" / "run").read_text()
    docker = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r'^CMD \[.*"(?:[^"]*&& )?exec (uvicorn [^"]+)"\]', docker, re.M)
    found = {"scripts/run": next(line for line in run.splitlines() if "uvicorn app.main:app" in line)}
    assert cmd, "the Dockerfile's CMD no longer starts uvicorn the way this test reads it"
    found["Dockerfile"] = cmd.group(1)
    return found


@pytest.mark.parametrize("launcher", ["scripts/run", "Dockerfile"])
def test_uvicorn_is_started_without_its_server_header(launcher: str) -> None:
    """uvicorn writes `server: uvicorn` itself, below the app, where no middleware can remove
    it: only its own option turns it off. Parsed by uvicorn's command line, so a misspelt flag
    fails here rather than silently doing nothing."""
    line = _uvicorn_command_lines()[launcher]
    arguments = line.split("uvicorn", 1)[1].replace('"$@"', "")
    words = shlex.split(re.sub(r"\$\{?\w+\}?", "1", arguments))  # shell variables: any number
    command = importlib.import_module("uvicorn.main").main  # the package shadows its module
    context = command.make_context("uvicorn", words)
    assert context.params["server_header"] is False, line


def test_a_secret_in_the_query_string_is_not_logged(api, make: Factory, caplog, capsys) -> None:
    """A client that wrongly puts credentials in the URL: the access log writes the path only."""
    client = make.client(["summaries:read"], secret="cs_query-string-secret-4471")
    caplog.set_level(logging.DEBUG)
    answer = api.post("/api/v1/auth/token?client_secret=cs_query-string-secret-4471&password=pw-in-url-8812",
                      data={"grant_type": "client_credentials", "client_id": str(client.id),
                            "client_secret": "cs_query-string-secret-4471"})
    assert answer.status_code == 200
    # The service's own records; httpx (the test's client) logs the URL it was asked to call.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(logging.Formatter().format(r) + str(vars(r)) for r in records)
    logged += capsys.readouterr().out
    assert any(r.getMessage() == "request" for r in records)
    for secret in ("cs_query-string-secret-4471", "pw-in-url-8812", answer.json()["access_token"]):
        assert secret not in logged
