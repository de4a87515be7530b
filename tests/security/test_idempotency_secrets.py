"""Issue #19, points 4 and 11: the idempotency store never keeps a secret or a token, the
token endpoints are never replayed, and an oversize chunked body with a key is a 413."""

import json
from collections.abc import Iterator

from sqlalchemy import select

from app.core.idempotency import IdempotencyRecord
from tests.factories import FACTORY_PASSWORD

CLIENTS = "/api/v1/clients"
TOKEN = "/api/v1/auth/token"
REVOKE = "/api/v1/auth/revoke"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _stored(engine) -> list[bytes]:
    """Every idempotency record as the raw bytes it is stored with: any column, any form."""
    with engine.connect() as connection:
        rows = connection.execute(select(IdempotencyRecord.__table__)).all()  # type: ignore[attr-defined]
    return [b"|".join(v if isinstance(v, bytes) else json.dumps(v, default=str).encode()
                      for v in row) for row in rows]


def _register(api, make, headers, key="client-once"):
    return api.post(CLIENTS, headers={**headers, "Idempotency-Key": key}, json={
        "name": "Nightly sync", "scopes": ["establishments:read"],
        "authority_id": str(make.authority().id)})


def test_a_client_secret_is_never_stored_and_a_replay_says_it_was_shown_once(api, make, db,
                                                                             engine):
    admin = make.headers(make.admin())
    db.commit()
    first = _register(api, make, admin)
    assert first.status_code == 201, first.text
    secret = first.json()["client_secret"]
    assert _stored(engine), "the key is remembered (the work must not be done twice)"
    assert not any(secret.encode() in row for row in _stored(engine))

    again = _register(api, make, admin)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["type"].endswith("/secret-shown-once")
    assert secret not in again.text
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = api.get(CLIENTS, headers=admin).json()["items"]
    assert len(listed) == 1  # registered once


def test_a_refused_registration_is_still_replayed(api, make, db):
    """Only answers that carry a secret are withheld: a 422 (no secret in it) replays."""
    admin = make.headers(make.admin())
    body = {"name": "Nightly sync", "scopes": ["no:such-scope"]}
    headers = {**admin, "Idempotency-Key": "bad-scopes"}
    assert api.post(CLIENTS, headers=headers, json=body).status_code == 422
    again = api.post(CLIENTS, headers=headers, json=body)
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"


def _form(**fields: str) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def test_the_token_endpoint_is_never_replayed_nor_stored(api, make, db, engine):
    """A client that sends its bearer token and a key to /auth/token (a generic HTTP layer
    adds both to every POST) gets a fresh answer each time; no token reaches the store."""
    user = make.user("officer")
    headers = {**make.headers(user), **FORM, "Idempotency-Key": "sign-in"}
    body = _form(grant_type="password", username=user.email, password=FACTORY_PASSWORD)
    first = api.post(TOKEN, content=body, headers=headers)
    second = api.post(TOKEN, content=body, headers=headers)
    assert first.status_code == second.status_code == 200, second.text
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["refresh_token"] != second.json()["refresh_token"]

    refresh = _form(grant_type="refresh_token", refresh_token=second.json()["refresh_token"])
    rotated = api.post(TOKEN, content=refresh, headers={**headers, "Idempotency-Key": "rotate"})
    assert rotated.status_code == 200, rotated.text
    issued = [first.json(), second.json(), rotated.json()]
    for row in _stored(engine):
        for answer in issued:
            assert answer["access_token"].encode() not in row
            assert answer["refresh_token"].encode() not in row

    revoke = {**make.headers(user), **FORM, "Idempotency-Key": "sign-out"}
    token = _form(token=rotated.json()["refresh_token"], token_type_hint="refresh_token")
    for _ in range(2):
        answer = api.post(REVOKE, content=token, headers=revoke)
        assert answer.status_code == 200 and "Idempotent-Replayed" not in answer.headers
    assert _stored(engine) == []


def _chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"name": "'
    for _ in range(size // chunk):
        yield b"x" * chunk
    yield b'"}'


def test_a_chunked_body_over_the_cap_with_a_key_is_413(api, make, app):
    cap = app.state.settings.max_json_body_bytes
    answer = api.post("/api/v1/clusters", content=_chunks(cap + 128 * 1024), headers={
        **make.headers(make.admin()), "Idempotency-Key": "too-big",
        "Content-Type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith("/body-too-large")


def test_the_contract_says_how_keys_behave_where_secrets_are_answered(app):
    document = app.openapi()
    paths = document["paths"]
    assert "secret-shown-once" in paths["/api/v1/clients"]["post"]["description"]
    for path in (TOKEN, REVOKE):
        names = [p["name"] for p in paths[path]["post"].get("parameters", [])]
        assert "Idempotency-Key" not in names, path
    assert "Idempotency-Key is ignored" in paths[TOKEN]["post"]["description"]
