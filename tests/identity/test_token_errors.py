"""Token errors a client can act on (issue #20, point 14): the token endpoint says it takes a
form, and a 401 tells an expired access token (refresh it) from an invalid one (sign in
again), in WWW-Authenticate (RFC 6750) and in the problem's `code`."""

import re
import time

import pytest

from tests.conftest import TEST_KEY
from tests.core.problems import assert_problem
from tests.factories import FACTORY_PASSWORD
from tests.identity.conftest import TOKEN_PATH, b64json, bearer, claims_for, login, sign
from tests.identity.test_token_attacks import OTHER_KEY

ME = "/api/v1/me"
EXPIRED = "The access token has expired; refresh it or sign in again"


def _challenge(answer) -> dict[str, str]:
    """The WWW-Authenticate Bearer challenge's parameters."""
    header = answer.headers["www-authenticate"]
    assert header.startswith("Bearer "), header
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _refused(answer, code: str) -> dict:
    body = assert_problem(answer, 401)
    challenge = _challenge(answer)
    assert body["code"] == code, body
    assert body["error"] == challenge["error"]
    assert body["error_description"] == challenge["error_description"]
    return body


# The token endpoint takes a form -----------------------------------------------------------


def test_a_json_token_request_is_told_to_send_a_form(api, make):
    user = make.user("officer")
    answer = api.post(TOKEN_PATH, json={"grant_type": "password", "username": user.email,
                                        "password": FACTORY_PASSWORD})
    body = assert_problem(answer, 415)
    assert body["type"].endswith("/unsupported-media-type")
    assert "application/x-www-form-urlencoded" in body["detail"]
    for grant in ("password", "client_credentials", "refresh_token"):
        assert f"grant_type={grant}" in body["detail"]
    assert "not application/json" in body["detail"]


def test_other_bodies_that_are_not_forms_are_415_too(api):
    for content_type in ("text/plain", "application/xml", None):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = api.post(TOKEN_PATH, content=b"grant_type=password", headers=headers)
        assert_problem(answer, 415)


def test_both_form_encodings_still_work(api, make):
    user = make.user("officer")
    form = {"grant_type": "password", "username": user.email, "password": FACTORY_PASSWORD}
    assert api.post(TOKEN_PATH, data=form).status_code == 200
    multipart = api.post(TOKEN_PATH, data=form, files={"unused": ("a.txt", b"x", "text/plain")})
    assert multipart.status_code == 200, multipart.text
    assert api.post(TOKEN_PATH, data={}).status_code == 422  # an empty form: grant_type missing


# Expired is not invalid --------------------------------------------------------------------


@pytest.fixture
def admin(make):
    return make.admin()


def _expired(settings, subject, **overrides):
    now = int(time.time())
    return claims_for(settings, subject, iat=now - 1000, nbf=now - 1000, exp=now - 10,
                      **overrides)


def test_an_expired_token_says_refresh(api, settings, admin):
    token = sign(_expired(settings, f"user:{admin.id}"), TEST_KEY, "test-1")
    answer = api.get(ME, headers=bearer(token))
    body = _refused(answer, "token_expired")
    assert _challenge(answer) == {"realm": "school-improvement-hub", "error": "invalid_token",
                                  "error_description": EXPIRED}
    assert body["detail"] == EXPIRED + "."
    assert body["type"].endswith("/unauthorized") and body["title"] == "Not authenticated"


def test_forged_tokens_say_invalid_not_expired(api, settings, admin):
    subject = f"user:{admin.id}"
    claims = claims_for(settings, subject)
    forged = {
        "another key": sign(claims, OTHER_KEY, "test-1"),
        "alg none": f"{b64json({'alg': 'none', 'typ': 'JWT', 'kid': 'test-1'})}.{b64json(claims)}.",
        "garbage": "not-a-token",
        # Expired as well: the signature is judged first, so it is still a forgery.
        "expired and forged": sign(_expired(settings, subject), OTHER_KEY, "test-1"),
        # Genuinely signed and expired, but never ours to accept: not "refresh it".
        "expired, another audience": sign(_expired(settings, subject, aud="another-api"),
                                          TEST_KEY, "test-1"),
    }
    for name, token in forged.items():
        answer = api.get(ME, headers=bearer(token))
        body = _refused(answer, "token_invalid")
        assert _challenge(answer)["error"] == "invalid_token", name
        assert "expired" not in body["detail"] and "sign in again" in body["detail"], name


def test_a_revoked_token_says_sign_in_again(api, make):
    officer = make.user("officer")
    token = login(api, officer)["access_token"]
    assert api.post("/api/v1/auth/revoke", data={"token": token},
                    headers=bearer(token)).status_code == 200
    body = _refused(api.get(ME, headers=bearer(token)), "token_invalid")
    assert "revoked" in body["detail"] and "sign in again" in body["detail"]


def test_a_deactivated_account_says_sign_in_again(api, make):
    admin = make.admin()
    officer = make.user("officer")
    token = login(api, officer)["access_token"]
    current = api.get(f"/api/v1/users/{officer.id}", headers=make.headers(admin))
    assert api.patch(f"/api/v1/users/{officer.id}", json={"active": False},
                     headers=make.headers(admin, **{"If-Match": current.headers["etag"]})
                     ).status_code == 200
    body = _refused(api.get(ME, headers=bearer(token)), "token_invalid")
    assert "no longer active" in body["detail"] and "sign in again" in body["detail"]


def test_no_token_says_send_one(api):
    answer = api.get(ME)
    body = _refused(answer, "token_missing")
    assert _challenge(answer)["error"] == "invalid_request"
    assert "Bearer" in body["detail"]
