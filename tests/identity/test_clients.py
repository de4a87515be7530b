"""Integration clients: registration, the client_credentials grant, scopes, deletion."""

import base64
import hashlib

import pytest
from sqlalchemy import text

from app.identity.models import IntegrationClient
from tests.identity.conftest import (
    assert_unauthorized,
    bearer,
    token_request,
    unverified_claims,
)

CLIENTS = "/api/v1/clients"


@pytest.fixture
def registered(api, make, db):
    """A client registered through the API by an admin: (admin, answer body)."""
    admin = make.admin()
    authority = make.authority()
    db.commit()  # end the test session's read: on SQLite it would hold the write lock
    answer = api.post(CLIENTS, headers=make.headers(admin), json={
        "name": "North Lanarkshire SEEMiS sync",
        "scopes": ["establishments:write", "imports:write"],
        "authority_id": str(authority.id),
    })
    assert answer.status_code == 201, answer.text
    return admin, answer.json()


def _grant(api, client_id, secret, scope=None):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        form["scope"] = scope
    return token_request(api, **form)


def test_registration_shows_the_secret_once(api, make, registered):
    admin, created = registered
    assert created["client_id"] == created["id"]
    assert created["client_secret"]
    assert created["scopes"] == ["establishments:write", "imports:write"]
    secret = created["client_secret"]
    one = api.get(f"{CLIENTS}/{created['id']}", headers=make.headers(admin))
    assert one.status_code == 200
    assert "client_secret" not in one.json() and "secret_hash" not in one.json()
    assert secret not in one.text
    listed = api.get(CLIENTS, headers=make.headers(admin))
    assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
    assert secret not in listed.text and "secret_hash" not in listed.text


def test_only_a_hash_of_the_secret_is_stored(api, db, registered):
    _admin, created = registered
    secret = created["client_secret"]
    stored = db.get(IntegrationClient, __import__("uuid").UUID(created["id"]))
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    rows = db.execute(text("SELECT * FROM integration_client")).all()
    assert all(secret not in " ".join(str(v) for v in row) for row in rows)


def test_client_credentials_in_the_form_issue_a_token_with_the_held_scopes(api, registered, settings):
    _admin, created = registered
    answer = _grant(api, created["client_id"], created["client_secret"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"] == "establishments:write imports:write"
    assert body.get("refresh_token") is None  # machines authenticate again instead
    claims = unverified_claims(body["access_token"])
    assert claims["sub"] == f"client:{created['id']}"
    assert claims["scope"] == "establishments:write imports:write"
    me = token_me(api, body["access_token"])
    assert me["kind"] == "client" and me["scopes"] == ["establishments:write", "imports:write"]


def token_me(api, token):
    answer = api.get("/api/v1/me", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_client_credentials_with_http_basic(api, registered):
    _admin, created = registered
    basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode()).decode()
    answer = api.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                      headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "establishments:write imports:write"
    wrong = base64.b64encode(f"{created['client_id']}:nope".encode()).decode()
    refused = api.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": f"Basic {wrong}"})
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_asking_for_more_scopes_yields_only_the_held_ones(api, registered):
    _admin, created = registered
    answer = _grant(api, created["client_id"], created["client_secret"],
                    "establishments:write summaries:read changes:read")
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "establishments:write"
    assert unverified_claims(answer.json()["access_token"])["scope"] == "establishments:write"
    assert token_me(api, answer.json()["access_token"])["scopes"] == ["establishments:write"]


def test_asking_only_for_scopes_it_lacks_is_invalid_scope(api, registered):
    _admin, created = registered
    answer = _grant(api, created["client_id"], created["client_secret"], "summaries:read changes:read")
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_scope"
    assert "access_token" not in answer.json()


def test_a_token_never_carries_more_than_the_client_holds_now(api, make, db):
    client = make.client(["establishments:write", "summaries:read"])
    token = make.token(client)
    client.scopes = ["summaries:read"]  # an admin narrowed it after the token was issued
    db.add(client)
    db.commit()
    assert token_me(api, token)["scopes"] == ["summaries:read"]


def test_a_wrong_secret_is_invalid_client(api, registered):
    _admin, created = registered
    for client_id, secret in ((created["client_id"], "cs_wrong"),
                              (created["client_id"], created["client_secret"] + "x"),
                              (str(__import__("uuid").uuid4()), created["client_secret"]),
                              ("not-a-uuid", created["client_secret"])):
        answer = _grant(api, client_id, secret)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "invalid_client"
        assert answer.headers["www-authenticate"].startswith("Basic")
    missing = token_request(api, grant_type="client_credentials", client_id=created["client_id"])
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_client"


def test_a_deleted_clients_token_stops_working(api, make, registered):
    admin, created = registered
    token = _grant(api, created["client_id"], created["client_secret"]).json()["access_token"]
    assert token_me(api, token)["id"] == created["id"]
    answer = api.delete(f"{CLIENTS}/{created['id']}", headers=make.headers(admin))
    assert answer.status_code == 204, answer.text
    assert_unauthorized(api.get("/api/v1/me", headers=bearer(token)))
    assert _grant(api, created["client_id"], created["client_secret"]).status_code == 401
    assert api.get(f"{CLIENTS}/{created['id']}", headers=make.headers(admin)).status_code == 404


def test_an_inactive_client_cannot_get_or_use_tokens(api, make, db):
    client = make.client(["summaries:read"], secret="a-secret-for-this-client")
    token = make.token(client)
    client.active = False
    db.add(client)
    db.commit()
    assert_unauthorized(api.get("/api/v1/me", headers=bearer(token)))
    assert _grant(api, str(client.id), "a-secret-for-this-client").status_code == 401


def test_a_client_cannot_use_the_password_or_refresh_grants(api, registered):
    _admin, created = registered
    answer = token_request(api, grant_type="password", username=created["client_id"],
                           password=created["client_secret"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_authority_admins_register_clients_for_their_own_authority_only(api, make, db):
    authority_admin = make.user("officer", authority_admin=True)
    glasgow_id, region_id = make.authority("S12000049").id, make.region().id
    db.commit()
    own = {"name": "Own MIS", "scopes": ["establishments:write"],
           "authority_id": str(authority_admin.authority_id)}
    assert api.post(CLIENTS, json=own, headers=make.headers(authority_admin)).status_code == 201
    glasgow = {**own, "authority_id": str(glasgow_id)}
    assert api.post(CLIENTS, json=glasgow, headers=make.headers(authority_admin)).status_code == 403
    region = {"name": "Regional portal", "scopes": ["summaries:read"], "region_id": str(region_id)}
    assert api.post(CLIENTS, json=region, headers=make.headers(authority_admin)).status_code == 403


def test_a_client_is_bound_to_exactly_one_authority_or_region(api, make, db):
    admin = make.admin()
    both = {"name": "Both", "scopes": ["summaries:read"],
            "authority_id": str(make.authority().id), "region_id": str(make.region().id)}
    db.commit()
    assert api.post(CLIENTS, json=both, headers=make.headers(admin)).status_code == 422
    neither = {"name": "Neither", "scopes": ["summaries:read"]}
    assert api.post(CLIENTS, json=neither, headers=make.headers(admin)).status_code == 422
    unknown_scope = {"name": "Odd", "scopes": ["everything:write"], "authority_id": both["authority_id"]}
    assert api.post(CLIENTS, json=unknown_scope, headers=make.headers(admin)).status_code == 422


def test_plain_officers_and_others_cannot_register_or_see_clients(api, make, db):
    existing = make.client(["summaries:read"])
    body = {"name": "Sneaky", "scopes": ["establishments:write"],
            "authority_id": str(make.authority().id)}
    db.commit()
    for who in (make.user("officer"), make.user("headteacher"), make.user("regional_lead"),
                make.client(["establishments:write"])):
        assert api.post(CLIENTS, json=body, headers=make.headers(who)).status_code == 403
        assert api.get(CLIENTS, headers=make.headers(who)).json()["items"] == []
        assert api.get(f"{CLIENTS}/{existing.id}", headers=make.headers(who)).status_code == 404
        assert api.delete(f"{CLIENTS}/{existing.id}", headers=make.headers(who)).status_code == 404


def test_client_secret_guessing_is_rate_limited(api, make, tuned, steady_clock):
    client = make.client(["summaries:read"], secret="the-real-secret-of-the-client")
    tuned(auth_rate_limit_per_account=3, auth_rate_limit_per_ip=1000,
          auth_rate_limit_window_seconds=3600)
    statuses = [_grant(api, str(client.id), f"guess-{n}").status_code for n in range(3)]
    assert statuses == [401, 401, 401]
    limited = _grant(api, str(client.id), "guess-4")
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["retry-after"]) > 0
    assert limited.headers["content-type"].startswith("application/problem+json")
    # Even the right secret waits now: the limit is checked before the secret.
    assert _grant(api, str(client.id), "the-real-secret-of-the-client").status_code == 429


def test_users_write_is_no_scope_a_client_can_be_given_or_ask_for(api, make, registered):
    """It granted nothing (clients manage no people): removed in 3.0.0 (issue #19, point 13)."""
    admin, created = registered
    refused = api.post(CLIENTS, headers=make.headers(admin), json={
        "name": "Staff sync", "scopes": ["users:write"], "authority_id": created["authority_id"]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"][:2] == ["body", "scopes"]
    answer = _grant(api, created["client_id"], created["client_secret"], "users:write")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
