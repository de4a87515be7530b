"""POST /auth/token (password grant) and GET /me."""

import time

from jose import jwt

from tests.factories import FACTORY_PASSWORD
from tests.identity.conftest import bearer, login, token_request, unverified_claims


def test_password_grant_issues_a_signed_access_token_and_a_refresh_token(api, make, settings):
    officer = make.user("officer")
    body = login(api, officer)
    assert set(body) >= {"access_token", "refresh_token", "expires_in", "token_type"}
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["refresh_token"] and body["refresh_token"] != body["access_token"]

    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == "test-1"
    claims = unverified_claims(body["access_token"])
    assert {"exp", "iat", "iss", "aud", "sub", "jti"} <= set(claims)
    assert claims["sub"] == f"user:{officer.id}"
    assert claims["iss"] == settings.jwt_issuer
    assert claims["aud"] == settings.jwt_audience
    assert claims["iat"] <= time.time() + 1
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds


def test_the_token_answer_is_never_cached(api, make):
    answer = token_request(api, grant_type="password", username=make.user("officer").email,
                           password=FACTORY_PASSWORD)
    assert answer.headers["cache-control"] == "no-store"


def test_each_login_gets_its_own_token_id(api, make):
    officer = make.user("officer")
    first, second = login(api, officer), login(api, officer)
    assert unverified_claims(first["access_token"])["jti"] != unverified_claims(second["access_token"])["jti"]
    assert first["refresh_token"] != second["refresh_token"]


def test_login_is_case_insensitive_on_the_email(api, make):
    officer = make.user("officer")
    assert login(api, officer.email.upper())["access_token"]


def test_wrong_password_and_unknown_user_get_the_same_answer(api, make):
    officer = make.user("officer")
    wrong = token_request(api, grant_type="password", username=officer.email,
                          password="not-the-password-2025")
    unknown = token_request(api, grant_type="password", username="nobody@test.sih.scot",
                            password=FACTORY_PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["error"] == "invalid_grant"
        assert "access_token" not in answer.json()
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["title"] == unknown.json()["title"]


def test_a_deactivated_user_cannot_log_in(api, make):
    inactive = make.user("officer", active=False)
    answer = token_request(api, grant_type="password", username=inactive.email,
                           password=FACTORY_PASSWORD)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    unknown = token_request(api, grant_type="password", username="nobody@test.sih.scot",
                            password=FACTORY_PASSWORD)
    assert answer.json()["detail"] == unknown.json()["detail"]  # no hint that the account exists


def test_a_deleted_user_cannot_log_in(api, make):
    from app.core.types import utcnow

    gone = make.user("officer", active=False, deleted_at=utcnow())
    answer = token_request(api, grant_type="password", username=gone.email, password=FACTORY_PASSWORD)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_missing_credentials_and_unknown_grants_are_refused(api):
    missing = token_request(api, grant_type="password", username="someone@test.sih.scot")
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    odd = token_request(api, grant_type="implicit")
    assert odd.status_code == 400
    assert odd.json()["error"] == "unsupported_grant_type"
    no_grant = api.post("/api/v1/auth/token", data={})
    assert no_grant.status_code == 422


def test_me_answers_role_and_bindings_of_an_officer(api, make):
    authority = make.authority()
    officer = make.user("officer", authority=authority, authority_admin=True)
    me = api.get("/api/v1/me", headers=bearer(login(api, officer)["access_token"]))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["kind"] == "user"
    assert body["id"] == str(officer.id)
    assert body["role"] == "officer"
    assert body["authority_id"] == str(authority.id)
    assert body["region_id"] is None
    assert body["establishment_ids"] == []
    assert body["is_authority_admin"] is True
    assert body["scopes"] == []


def test_me_answers_the_establishments_of_a_headteacher(api, make):
    first, second = make.establishment(), make.establishment()
    head = make.user("headteacher", establishments=[first, second])
    body = api.get("/api/v1/me", headers=make.headers(head)).json()
    assert body["role"] == "headteacher"
    assert sorted(body["establishment_ids"]) == sorted([str(first.id), str(second.id)])
    assert body["authority_id"] == str(first.authority_id)
    assert body["is_authority_admin"] is False


def test_me_answers_the_region_of_a_regional_lead(api, make):
    region = make.region()
    lead = make.user("regional_lead", region=region)
    body = api.get("/api/v1/me", headers=make.headers(lead)).json()
    assert body["role"] == "regional_lead"
    assert body["region_id"] == str(region.id)
    assert body["authority_id"] is None


def test_me_answers_the_scopes_and_binding_of_a_client(api, make):
    client = make.client(["establishments:write", "summaries:read"])
    body = api.get("/api/v1/me", headers=make.headers(client)).json()
    assert body["kind"] == "client"
    assert body["role"] == "client"
    assert body["scopes"] == ["establishments:write", "summaries:read"]
    assert body["authority_id"] == str(client.authority_id)


def test_the_role_comes_from_the_database_not_from_the_token(api, make, db):
    officer = make.user("officer")
    token = login(api, officer)["access_token"]
    db.refresh(officer)  # the login wrote last_login_at
    officer.role = "headteacher"  # demoted after login (no establishments: sees nothing)
    db.add(officer)
    db.commit()
    assert api.get("/api/v1/me", headers=bearer(token)).json()["role"] == "headteacher"
