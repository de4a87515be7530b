"""Helpers for the identity tests: the token endpoint, forged JWTs, and a second app
instance (another replica, or the same service after a settings change)."""

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from jose import jwt

from app.core.config import Settings
from app.identity.models import User
from app.main import create_app
from tests.factories import FACTORY_PASSWORD

TOKEN_PATH = "/api/v1/auth/token"


def token_request(api: TestClient, **form: str) -> Response:
    return api.post(TOKEN_PATH, data=form)


def login(api: TestClient, user: User | str, password: str = FACTORY_PASSWORD) -> dict[str, Any]:
    email = user if isinstance(user, str) else user.email
    answer = token_request(api, grant_type="password", username=email, password=password)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refresh(api: TestClient, refresh_token: str) -> Response:
    return token_request(api, grant_type="refresh_token", refresh_token=refresh_token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def claims_for(settings: Settings, subject: str, **overrides: Any) -> dict[str, Any]:
    """A complete, valid claim set; overrides replace (None removes) a claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject, "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": now, "nbf": now, "exp": now + 600, "jti": str(uuid.uuid4()), "role": "admin",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def sign(claims: dict[str, Any], private_pem: str, kid: str) -> str:
    token: str = jwt.encode(claims, private_pem, algorithm="RS256", headers={"kid": kid})
    return token


def assert_unauthorized(answer: Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers.get("www-authenticate", "").startswith("Bearer"), answer.headers
    assert answer.json()["status"] == 401


@pytest.fixture
def other_app(settings: Settings) -> Iterator[Callable[..., FastAPI]]:
    """Build further app instances on the same database (replicas, rotated keys). Their
    engines are disposed and the root logger put back afterwards (create_app configures it)."""
    built: list[FastAPI] = []
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def build(**overrides: Any) -> FastAPI:
        application = create_app(settings.model_copy(update=overrides))
        root.handlers[:] = handlers
        root.setLevel(level)
        built.append(application)
        return application

    yield build
    for application in built:
        application.state.engine.dispose()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate-limit windows are fixed; freeze their clock mid-window so no test straddles two."""
    import app.identity.ratelimit as ratelimit

    frozen = (int(time.time()) // 3600) * 3600 + 1800.0

    class Clock:
        @staticmethod
        def time() -> float:
            return frozen

    monkeypatch.setattr(ratelimit, "time", Clock)
