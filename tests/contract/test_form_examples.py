"""The form bodies (POST /auth/token and /auth/revoke) carry named examples like every JSON body
(tests/contract/test_examples.py checks that each example fits its schema): one per grant, and
each, sent as written to a server that holds the demo user and the documented client, gets the
answer the contract promises."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.security import digest, hash_password
from app.identity.models import IntegrationClient
from tests.factories import Factory

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
FORM = "application/x-www-form-urlencoded"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_FILE.read_text("utf-8"))
    return loaded


def _form_examples(document: dict[str, Any], path: str) -> dict[str, Any]:
    examples: dict[str, Any] = document["paths"][path]["post"]["requestBody"]["content"][FORM]["examples"]
    return {name: example["value"] for name, example in examples.items()}


def test_every_request_body_of_any_media_type_has_an_example(document):
    missing = [f"{method.upper()} {path} {media_type}"
               for path, item in document["paths"].items()
               for method, operation in item.items() if method in METHODS
               for media_type, media in operation.get("requestBody", {}).get("content", {}).items()
               if not ("example" in media or "examples" in media)]
    assert missing == []


def test_the_token_examples_show_every_grant_and_revoke_shows_one(document):
    token = _form_examples(document, "/api/v1/auth/token")
    assert sorted(example["grant_type"] for example in token.values()) == [
        "client_credentials", "password", "refresh_token"]
    assert len(_form_examples(document, "/api/v1/auth/revoke")) == 1


def test_the_form_examples_work_as_written(document, api, make: Factory, db: Session):
    token = _form_examples(document, "/api/v1/auth/token")
    password, refresh, client = token["password"], token["refresh_token"], token["client_credentials"]
    # The demo officer (seed-demo), and the client of ClientCreated's example.
    officer = make.user("officer", email=password["username"])
    officer.password_hash = hash_password(password["password"])
    db.add(officer)
    db.add(IntegrationClient(id=uuid.UUID(client["client_id"]), name="SEEMiS nightly sync",
                             secret_hash=digest(client["client_secret"]),
                             scopes=client["scope"].split(), authority_id=make.authority().id))
    db.commit()

    signed_in = api.post("/api/v1/auth/token", data=password)
    assert signed_in.status_code == 200, signed_in.text
    as_client = api.post("/api/v1/auth/token", data=client)
    assert as_client.status_code == 200, as_client.text
    assert as_client.json()["scope"] == client["scope"]
    # The example's refresh token is not one this server issued; the officer's own is.
    stale = api.post("/api/v1/auth/token", data=refresh)
    assert (stale.status_code, stale.json()["error"]) == (400, "invalid_grant")
    own = signed_in.json()["refresh_token"]
    rotated = api.post("/api/v1/auth/token", data={**refresh, "refresh_token": own})
    assert rotated.status_code == 200, rotated.text

    (revoke,) = _form_examples(document, "/api/v1/auth/revoke").values()
    bearer = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    answer = api.post("/api/v1/auth/revoke", data=revoke, headers=bearer)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
    mine = {**revoke, "token": rotated.json()["refresh_token"]}
    assert api.post("/api/v1/auth/revoke", data=mine, headers=bearer).status_code == 200
    signed_out = api.post("/api/v1/auth/token", data={**refresh, "refresh_token": mine["token"]})
    assert (signed_out.status_code, signed_out.json()["error"]) == (400, "invalid_grant")
