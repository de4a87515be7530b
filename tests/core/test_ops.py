"""Operations: probes for load balancers, request ids for support, safe default headers."""

import uuid

from sqlmodel import create_engine

from app.core.db import database_ready
from tests.factories import Factory


def test_healthz_is_200_without_a_token(api):
    answer = api.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_readyz_is_200_on_a_migrated_database(api):
    answer = api.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "detail": "ok"}


def test_database_ready_says_no_on_an_empty_database(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        ready, detail = database_ready(engine)
    finally:
        engine.dispose()
    assert ready is False and "migrations not at head" in detail


def test_database_ready_says_no_when_unreachable(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'nope.db'}")
    try:
        ready, detail = database_ready(engine)
    finally:
        engine.dispose()
    assert ready is False and detail.startswith("database unreachable")


def test_database_ready_says_yes_on_the_test_database(engine):
    assert database_ready(engine) == (True, "ok")


def test_metrics_are_prometheus_text(api):
    api.get("/healthz")
    answer = api.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "sih_http_requests_total" in answer.text


def test_request_id_is_echoed_when_sent(api, make: Factory):
    request_id = "mis-sync-2025-08-18.0042"
    answer = api.get("/api/v1/regions", headers=make.headers(make.admin(), **{"X-Request-ID": request_id}))
    assert answer.headers["X-Request-ID"] == request_id


def test_request_id_is_generated_when_absent(api):
    first = api.get("/healthz").headers["X-Request-ID"]
    second = api.get("/healthz").headers["X-Request-ID"]
    assert uuid.UUID(first) and uuid.UUID(second) and first != second


def test_unsafe_request_id_is_replaced(api):
    answer = api.get("/healthz", headers={"X-Request-ID": "bad id\twith <script>"})
    assert uuid.UUID(answer.headers["X-Request-ID"])


def test_request_id_is_on_error_answers_too(api):
    answer = api.get("/api/v1/regions", headers={"X-Request-ID": "trace-401"})
    assert answer.status_code == 401 and answer.headers["X-Request-ID"] == "trace-401"


def test_request_id_is_written_to_the_audit_log(api, make: Factory, db):
    from app.audit.models import AuditEvent

    answer = api.post("/api/v1/regions", json={"code": "traced-region", "name": "Traced"},
                      headers=make.headers(make.admin(), **{"X-Request-ID": "audit-trace-1"}))
    assert answer.status_code == 201, answer.text
    assert db.query(AuditEvent).one().request_id == "audit-trace-1"


def test_security_headers_on_every_answer(api, make: Factory):
    for answer in (api.get("/healthz"), api.get("/api/v1/nothing"),
                   api.get("/api/v1/regions", headers=make.headers(make.admin()))):
        headers = answer.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "max-age=" in headers["Strict-Transport-Security"]
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"
        assert "server" not in headers


def test_docs_page_gets_a_csp_that_lets_it_load_from_this_server_only(api):
    answer = api.get("/docs")
    assert answer.status_code == 200
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "cdn.jsdelivr.net" not in csp
