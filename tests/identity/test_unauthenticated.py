"""Without a token, every /api/v1 operation but the token endpoint is a 401 with
WWW-Authenticate; the operational endpoints and the docs stay open."""

import re
import uuid

import pytest

from app.main import app as default_app
from tests.identity.conftest import assert_unauthorized

OPEN = {"issueToken"}


def _operations():
    document = default_app.openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/") and operation["operationId"] not in OPEN:
                yield pytest.param(method.upper(), path, id=operation["operationId"])


def _concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        return "1234567" if match.group(1) == "code" and "by-code" in path else (
            "HGIOS4" if match.group(1) == "code" else str(uuid.uuid4()))
    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.mark.parametrize("method,path", list(_operations()))
def test_every_operation_needs_a_token(api, method, path):
    url = _concrete(path)
    assert_unauthorized(api.request(method, url))
    # A body does not change that, of whatever type it is.
    if method in ("POST", "PUT", "PATCH"):
        assert_unauthorized(api.request(method, url, json={"name": "x"}))
        assert_unauthorized(api.request(method, url, content=b"name=x",
                                        headers={"Content-Type": "text/plain"}))
    assert_unauthorized(api.request(method, url, headers={"Authorization": "Bearer nonsense"}))


def test_the_token_endpoint_is_open(api):
    answer = api.post("/api/v1/auth/token", data={"grant_type": "password",
                                                  "username": "x@test.sih.scot", "password": "y" * 12})
    assert answer.status_code == 400  # refused for the credentials, not for want of a token


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/docs", "/openapi.json"])
def test_operational_endpoints_and_docs_are_open(api, path):
    assert api.get(path).status_code == 200


def test_the_contract_declares_the_oauth2_scheme_on_protected_operations(app):
    document = app.openapi()
    assert "OAuth2" in document["components"]["securitySchemes"]
    for path, item in document["paths"].items():
        for operation in item.values():
            if path.startswith("/api/v1/") and operation["operationId"] not in OPEN:
                assert operation.get("security"), operation["operationId"]
                assert "401" in operation["responses"], operation["operationId"]
