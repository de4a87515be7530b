"""Forged, stale and revoked access tokens: every one is a 401 with WWW-Authenticate."""

import hashlib
import hmac
import json
import time

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.security import (
    InvalidToken,
    KeyRing,
    generate_private_pem,
    issue_access_token,
    public_pem_of,
    verify_access_token,
)
from app.core.types import utcnow
from tests.conftest import TEST_KEY
from tests.identity.conftest import (
    assert_unauthorized,
    b64json,
    b64url,
    bearer,
    claims_for,
    login,
    sign,
)

ME = "/api/v1/me"
OTHER_KEY = generate_private_pem()


def _hs256(header_and_claims: tuple[dict, dict], secret: bytes) -> str:
    header, claims = header_and_claims
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@pytest.fixture
def admin(make):
    return make.admin()


def test_a_valid_token_is_accepted(api, make, settings, admin):
    """The control for every attack below: the same claims, properly signed, work."""
    token = sign(claims_for(settings, f"user:{admin.id}"), TEST_KEY, "test-1")
    assert api.get(ME, headers=bearer(token)).status_code == 200


def test_alg_none_is_refused(api, settings, admin):
    claims = claims_for(settings, f"user:{admin.id}")
    for alg in ("none", "None", "NONE"):
        token = f"{b64json({'alg': alg, 'typ': 'JWT', 'kid': 'test-1'})}.{b64json(claims)}."
        assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_hs256_signed_with_the_public_key_is_refused(api, settings, admin):
    """Algorithm confusion: the public key PEM used as an HMAC secret."""
    claims = claims_for(settings, f"user:{admin.id}")
    public = public_pem_of(TEST_KEY)
    for secret in (public.encode(), public.strip().encode()):
        token = _hs256(({"alg": "HS256", "typ": "JWT", "kid": "test-1"}, claims), secret)
        assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_hs256_with_a_random_secret_is_refused(api, settings, admin):
    claims = claims_for(settings, f"user:{admin.id}")
    token = _hs256(({"alg": "HS256", "typ": "JWT", "kid": "test-1"}, claims), b"guessed")
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_hs256_with_the_service_secret_key_is_refused(api, settings, admin):
    claims = claims_for(settings, f"user:{admin.id}")
    token = _hs256(({"alg": "HS256", "typ": "JWT"}, claims), settings.secret_key.encode())
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_an_expired_token_is_refused(api, settings, admin):
    now = int(time.time())
    token = sign(claims_for(settings, f"user:{admin.id}", iat=now - 1000, nbf=now - 1000,
                            exp=now - 10), TEST_KEY, "test-1")
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_a_token_not_yet_valid_is_refused(api, settings, admin):
    now = int(time.time())
    token = sign(claims_for(settings, f"user:{admin.id}", nbf=now + 300, exp=now + 900),
                 TEST_KEY, "test-1")
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_a_token_issued_in_the_future_is_refused(api, settings, admin):
    now = int(time.time())
    token = sign(claims_for(settings, f"user:{admin.id}", iat=now + 300, nbf=None, exp=now + 900),
                 TEST_KEY, "test-1")
    assert_unauthorized(api.get(ME, headers=bearer(token)))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti", "aud", "iss"])
def test_a_token_missing_a_required_claim_is_refused(api, settings, admin, claim):
    token = sign(claims_for(settings, f"user:{admin.id}", **{claim: None}), TEST_KEY, "test-1")
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_a_token_for_another_audience_is_refused(api, settings, admin):
    for audience in ("another-api", ["another-api"]):
        token = sign(claims_for(settings, f"user:{admin.id}", aud=audience), TEST_KEY, "test-1")
        assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_a_token_from_another_issuer_is_refused(api, settings, admin):
    token = sign(claims_for(settings, f"user:{admin.id}", iss="https://evil.example"),
                 TEST_KEY, "test-1")
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_a_tampered_payload_is_refused(api, make, settings):
    headteacher = make.user("headteacher")
    admin = make.admin()
    header, payload, signature = make.token(headteacher).split(".")
    claims = json.loads(__import__("base64").urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for change in ({"role": "admin"}, {"sub": f"user:{admin.id}"}, {"exp": claims["exp"] + 86400}):
        forged = f"{header}.{b64json({**claims, **change})}.{signature}"
        assert_unauthorized(api.get(ME, headers=bearer(forged)))


def test_a_token_signed_with_an_unknown_key_is_refused(api, settings, admin):
    claims = claims_for(settings, f"user:{admin.id}")
    assert_unauthorized(api.get(ME, headers=bearer(sign(claims, OTHER_KEY, "rogue"))))
    # A known kid with a signature from another key: the kid does not choose the key's trust.
    assert_unauthorized(api.get(ME, headers=bearer(sign(claims, OTHER_KEY, "test-1"))))
    # No kid at all.
    token = jwt_without_kid(claims)
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def jwt_without_kid(claims: dict) -> str:
    from jose import jwt

    token: str = jwt.encode(claims, TEST_KEY, algorithm="RS256")
    return token


@pytest.mark.parametrize("garbage", [
    "garbage", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9", "eyJhbGciOiJSUzI1NiJ9.e30.",
    "x" * 5000,
])
def test_garbage_is_refused(api, garbage):
    assert_unauthorized(api.get(ME, headers=bearer(garbage)))


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer"])
def test_other_schemes_and_empty_bearers_are_refused(api, header):
    assert_unauthorized(api.get(ME, headers={"Authorization": header}))


def test_a_subject_of_an_unknown_kind_is_refused(api, settings, admin):
    for subject in (f"robot:{admin.id}", str(admin.id), "user:not-a-uuid", "user:"):
        token = sign(claims_for(settings, subject), TEST_KEY, "test-1")
        assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_the_token_of_a_deleted_user_stops_working(api, make, db):
    officer = make.user("officer")
    token = make.token(officer)
    assert api.get(ME, headers=bearer(token)).status_code == 200
    officer.deleted_at = utcnow()
    db.add(officer)
    db.commit()
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_the_token_of_a_user_deleted_through_the_api_stops_working(api, make):
    authority_admin = make.user("officer", authority_admin=True)
    officer = make.user("officer")
    token = make.token(officer)
    answer = api.delete(f"/api/v1/users/{officer.id}",
                        headers=make.headers(authority_admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 204, answer.text
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_the_token_of_a_user_erased_from_the_database_stops_working(api, make, db):
    officer = make.user("officer")
    token = make.token(officer)
    db.delete(officer)
    db.commit()
    assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_deactivation_ends_access_at_once(api, make):
    admin = make.admin()
    officer = make.user("officer")
    token = login(api, officer)["access_token"]
    assert api.get(ME, headers=bearer(token)).status_code == 200
    current = api.get(f"/api/v1/users/{officer.id}", headers=make.headers(admin))
    answer = api.patch(f"/api/v1/users/{officer.id}", json={"active": False},
                       headers=make.headers(admin, **{"If-Match": current.headers["etag"]}))
    assert answer.status_code == 200, answer.text
    assert_unauthorized(api.get(ME, headers=bearer(token)))
    assert_unauthorized(api.get("/api/v1/establishments", headers=bearer(token)))


def test_a_revoked_access_token_stops_working(api, make):
    officer = make.user("officer")
    token = login(api, officer)["access_token"]
    other_session = login(api, officer)["access_token"]
    answer = api.post("/api/v1/auth/revoke", data={"token": token}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert_unauthorized(api.get(ME, headers=bearer(token)))
    # Only that token: the user's other session goes on.
    assert api.get(ME, headers=bearer(other_session)).status_code == 200


def test_nobody_revokes_another_callers_access_token(api, make):
    victim, attacker = make.user("officer"), make.user("officer")
    victim_token = make.token(victim)
    answer = api.post("/api/v1/auth/revoke", data={"token": victim_token},
                      headers=make.headers(attacker))
    assert answer.status_code == 200  # the same answer, so it reveals nothing ...
    assert api.get(ME, headers=bearer(victim_token)).status_code == 200  # ... and does nothing


def test_a_client_revokes_its_own_access_token(api, make):
    client = make.client(["summaries:read"])
    token = make.token(client)
    assert api.post("/api/v1/auth/revoke", data={"token": token}, headers=bearer(token)).status_code == 200
    assert_unauthorized(api.get(ME, headers=bearer(token)))


# Key rotation ---------------------------------------------------------------------------


def _rotated_settings(settings: Settings, **changes: str) -> Settings:
    return settings.model_copy(update=changes)


def test_rotation_keeps_old_tokens_valid_while_the_old_key_is_listed(settings):
    old_ring = KeyRing.from_settings(settings)
    token, _jti, _ttl = issue_access_token(old_ring, settings, "user:x", {})

    new_key = generate_private_pem()
    both = _rotated_settings(settings, jwt_private_keys=json.dumps({"test-1": TEST_KEY, "test-2": new_key}),
                             jwt_active_kid="test-2")
    ring = KeyRing.from_settings(both)
    assert ring.active_kid == "test-2"
    assert verify_access_token(ring, both, token)["sub"] == "user:x"
    new_token, _jti, _ttl = issue_access_token(ring, both, "user:y", {})
    assert __import__("jose").jwt.get_unverified_header(new_token)["kid"] == "test-2"
    assert verify_access_token(ring, both, new_token)["sub"] == "user:y"


def test_rotation_with_the_old_key_retired_to_its_public_half(settings):
    token, _jti, _ttl = issue_access_token(KeyRing.from_settings(settings), settings, "user:x", {})
    rotated = _rotated_settings(
        settings, jwt_private_keys=json.dumps({"test-2": generate_private_pem()}),
        jwt_active_kid="test-2",
        jwt_retired_public_keys=json.dumps({"test-1": public_pem_of(TEST_KEY)}))
    ring = KeyRing.from_settings(rotated)
    assert verify_access_token(ring, rotated, token)["sub"] == "user:x"
    # Once the old key is dropped altogether, its tokens fail.
    dropped = _rotated_settings(rotated, jwt_retired_public_keys="")
    with pytest.raises(InvalidToken):
        verify_access_token(KeyRing.from_settings(dropped), dropped, token)


def test_a_kid_that_is_not_configured_fails_after_rotation(settings):
    rotated = _rotated_settings(
        settings, jwt_private_keys=json.dumps({"test-2": generate_private_pem()}),
        jwt_active_kid="test-2",
        jwt_retired_public_keys=json.dumps({"test-1": public_pem_of(TEST_KEY)}))
    ring = KeyRing.from_settings(rotated)
    stranger = sign(claims_for(rotated, "user:x"), OTHER_KEY, "test-3")
    with pytest.raises(InvalidToken):
        verify_access_token(ring, rotated, stranger)
    # A retired kid only verifies with its own public key.
    impostor = sign(claims_for(rotated, "user:x"), OTHER_KEY, "test-1")
    with pytest.raises(InvalidToken):
        verify_access_token(ring, rotated, impostor)


def test_rotation_end_to_end_between_two_replicas(api, make, settings, other_app):
    """The running service signs with test-1. A replica rotated to test-2, keeping test-1's
    public key, still accepts the old tokens; a replica that never heard of test-2 refuses
    the new ones."""
    officer = make.user("officer")
    old_token = login(api, officer)["access_token"]
    rotated = other_app(
        jwt_private_keys=json.dumps({"test-2": generate_private_pem()}), jwt_active_kid="test-2",
        jwt_retired_public_keys=json.dumps({"test-1": public_pem_of(TEST_KEY)}))
    with TestClient(rotated) as replica:
        assert replica.get(ME, headers=bearer(old_token)).status_code == 200
        new_token = login(replica, officer)["access_token"]
        assert replica.get(ME, headers=bearer(new_token)).status_code == 200
    assert_unauthorized(api.get(ME, headers=bearer(new_token)))


def test_a_retired_entry_cannot_replace_the_public_half_of_a_held_key(settings):
    """A misconfigured (or planted) retired key under a live kid must not let its private
    holder sign tokens that verify."""
    planted = _rotated_settings(
        settings, jwt_retired_public_keys=json.dumps({"test-1": public_pem_of(OTHER_KEY)}))
    ring = KeyRing.from_settings(planted)
    forged = sign(claims_for(planted, "user:x"), OTHER_KEY, "test-1")
    with pytest.raises(InvalidToken):
        verify_access_token(ring, planted, forged)
    genuine, _jti, _ttl = issue_access_token(ring, planted, "user:x", {})
    assert verify_access_token(ring, planted, genuine)["sub"] == "user:x"


def test_an_active_kid_without_a_key_is_refused_at_startup(settings):
    broken = _rotated_settings(settings, jwt_active_kid="test-9")
    with pytest.raises(ValueError, match="test-9"):
        KeyRing.from_settings(broken)


def test_keys_are_parsed_once_not_per_token(settings, monkeypatch):
    ring = KeyRing.from_settings(settings)
    from cryptography.hazmat.primitives import serialization

    def refuse(*_args, **_kwargs):
        raise AssertionError("a key was parsed again")

    import jose.backends.cryptography_backend as jose_backend

    for module in (serialization, jose_backend):
        monkeypatch.setattr(module, "load_pem_private_key", refuse)
        monkeypatch.setattr(module, "load_pem_public_key", refuse)
    token, _jti, _ttl = issue_access_token(ring, settings, "user:x", {})
    assert verify_access_token(ring, settings, token)["sub"] == "user:x"
