"""What a production server shows to someone holding no token (security issue #19, point 13):
metrics only with the metrics token, readiness without the migration revisions, no
documentation pages unless switched on. Development keeps all three open."""

from collections.abc import Iterator

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.core.config import Settings
from app.main import create_app
from tests.factories import Factory

METRICS_TOKEN = "metrics-token-for-the-scraper-0123456789"


@pytest.fixture
def production(settings: Settings, make: Factory) -> Iterator[TestClient]:
    make.user("admin")  # production refuses to start with demo users, not with none
    yield from _served(settings.model_copy(update={"environment": "production"}))


def _served(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_production_serves_no_metrics_without_a_metrics_token(production: TestClient) -> None:
    answer = production.get("/metrics")
    assert answer.status_code == 404
    assert "sih_http_requests_total" not in answer.text


def test_metrics_answer_only_the_bearer_of_the_metrics_token(settings: Settings,
                                                             make: Factory) -> None:
    make.user("admin")
    configured = settings.model_copy(update={"environment": "production",
                                             "metrics_token": SecretStr(METRICS_TOKEN)})
    for client in _served(configured):
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"].startswith("application/problem+json")
        assert "sih_http_requests_total" not in wrong.text
        # A user's access token is not the metrics token either.
        user_token = make.token(make.admin())
        assert client.get("/metrics", headers={"Authorization": f"Bearer {user_token}"}
                          ).status_code == 401
        right = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert right.status_code == 200 and "sih_http_requests_total" in right.text


def test_production_readiness_names_no_migration_revision(settings: Settings, make: Factory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    make.user("admin")
    monkeypatch.setattr(ScriptDirectory, "get_heads", lambda self: ["9999"])
    for client in _served(settings.model_copy(update={"environment": "production"})):
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["detail"] == "migrations not at head"
        assert "9999" not in answer.text and "0015" not in answer.text


def test_development_readiness_still_names_the_revisions(api, monkeypatch) -> None:
    monkeypatch.setattr(ScriptDirectory, "get_heads", lambda self: ["9999"])
    answer = api.get("/readyz")
    assert answer.status_code == 503 and "9999" in answer.json()["detail"]


def test_production_serves_no_documentation_pages(production: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        assert production.get(page).status_code == 404, page
    # The contract stays readable: clients are generated from it.
    assert production.get("/openapi.json").status_code == 200


def test_a_setting_turns_the_documentation_on_in_production(settings: Settings,
                                                             make: Factory) -> None:
    make.user("admin")
    for client in _served(settings.model_copy(update={"environment": "production",
                                                      "docs_enabled": True})):
        assert client.get("/docs").status_code == 200


def test_development_serves_docs_and_open_metrics(api) -> None:
    assert api.get("/docs").status_code == 200
    assert api.get("/metrics").status_code == 200
