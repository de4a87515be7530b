"""GET /establishments/{id} answered ahead of FastAPI's routing (organisations/fast_reads.py)
says exactly what the route says, whatever the request."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from tests.factories import Factory

URL = "/api/v1/establishments"
# What may differ between two answers to one request: which request they answer.
PER_REQUEST = {"x-request-id", "date"}


@pytest.fixture
def routed(settings: Settings, app: FastAPI) -> Iterator[TestClient]:
    """The same service with every request taking the FastAPI route."""
    plain = create_app(settings.model_copy(update={"fast_reads": False}))
    plain.state.principal_limits = app.state.principal_limits  # one budget per caller
    with TestClient(plain, raise_server_exceptions=False) as client:
        yield client
    plain.state.engine.dispose()


def _same(fast: TestClient, routed: TestClient, path: str, headers: dict[str, str]) -> int:
    answers = [client.get(path, headers=headers) for client in (fast, routed)]
    (one, other) = answers
    assert one.status_code == other.status_code, (one.text, other.text)
    body = [a.json() if a.content else None for a in answers]
    if one.status_code >= 400:
        for problem in body:
            problem.pop("request_id", None)
    assert body[0] == body[1]
    assert {k: v for k, v in one.headers.items() if k not in PER_REQUEST} == \
        {k: v for k, v in other.headers.items() if k not in PER_REQUEST}
    return one.status_code


def test_every_kind_of_request_gets_the_routes_answer(api, routed, make: Factory, db: Session):
    ours, elsewhere = make.establishment(), make.establishment(make.authority("S12000049"))
    officer = make.user("officer")
    db.commit()
    headers = make.headers(officer)
    tag = api.get(f"{URL}/{ours.id}", headers=headers).headers["etag"]
    cases = [
        (f"{URL}/{ours.id}", headers, 200),
        (f"{URL}/{ours.id}", {**headers, "If-None-Match": tag}, 304),
        (f"{URL}/{ours.id}", {**headers, "If-None-Match": '"999"'}, 200),
        (f"{URL}/{elsewhere.id}", headers, 404),  # another council's: not in reach
        (f"{URL}/{make.id()}", headers, 404),
        (f"{URL}/not-a-uuid", headers, 422),
        (f"{URL}/{ours.id}", {}, 401),
        (f"{URL}/{ours.id}", {"Authorization": "Bearer not.a.token"}, 401),
        (f"{URL}/{ours.id}?unused=1", headers, 200),
    ]
    assert [_same(api, routed, path, h) for path, h, _ in cases] == [s for _, _, s in cases]


def test_a_deactivated_account_is_refused_at_once(api, routed, make: Factory, db: Session):
    school, officer = make.establishment(), make.user("officer")
    db.commit()
    headers = make.headers(officer)
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 200
    officer.active = False
    db.add(officer)
    db.commit()
    assert _same(api, routed, f"{URL}/{school.id}", headers) == 401


def test_the_callers_budget_counts_each_request_once(api, app: FastAPI, make: Factory, db: Session):
    school, missing = make.establishment(), make.id()
    db.commit()
    headers = make.headers(make.user("officer"))
    original = app.state.settings
    app.state.settings = original.model_copy(update={"rate_limit_per_principal": "3/minute"})
    try:
        statuses = [api.get(f"{URL}/{school.id}", headers=headers).status_code,
                    api.get(f"{URL}/{missing}", headers=headers).status_code,  # passed to the route
                    api.get(f"{URL}/{school.id}", headers=headers).status_code,
                    api.get(f"{URL}/{school.id}", headers=headers).status_code]
    finally:
        app.state.settings = original
    assert statuses == [200, 404, 200, 429]


def test_metrics_name_the_route(api, make: Factory, db: Session):
    school = make.establishment()
    db.commit()
    assert api.get(f"{URL}/{school.id}", headers=make.headers(make.admin())).status_code == 200
    metrics = api.get("/metrics").text
    assert 'route="/api/v1/establishments/{establishment_id}",status="200"' in metrics
