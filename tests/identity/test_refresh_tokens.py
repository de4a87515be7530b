"""Refresh tokens: rotated on use, reuse revokes the family, stored hashed, and cut off by
deactivation and password change."""

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select, text, update

from app.core.types import utcnow
from app.identity.models import RefreshToken
from tests.identity.conftest import bearer, login, refresh


def _assert_invalid_grant(answer):
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["error"] == "invalid_grant"


def _patch_user(api, make, actor, user, body):
    current = api.get(f"/api/v1/users/{user.id}", headers=make.headers(actor))
    assert current.status_code == 200, current.text
    return api.patch(f"/api/v1/users/{user.id}", json=body,
                     headers=make.headers(actor, **{"If-Match": current.headers["etag"]}))


def test_a_refresh_rotates_the_token_and_the_old_one_is_then_invalid(api, make):
    officer = make.user("officer")
    first = login(api, officer)
    second = refresh(api, first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["refresh_token"] and body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert api.get("/api/v1/me", headers=bearer(body["access_token"])).json()["id"] == str(officer.id)
    _assert_invalid_grant(refresh(api, first["refresh_token"]))


def test_reusing_a_used_refresh_token_revokes_the_whole_family(api, make):
    officer = make.user("officer")
    first = login(api, officer)["refresh_token"]
    second = refresh(api, first).json()["refresh_token"]
    third = refresh(api, second).json()["refresh_token"]
    other_login = login(api, officer)["refresh_token"]  # another family: another device

    _assert_invalid_grant(refresh(api, first))  # the stolen, already used token comes back
    _assert_invalid_grant(refresh(api, third))  # the newest of that family is dead too
    assert refresh(api, other_login).status_code == 200  # other sessions are untouched


def test_racing_refreshes_with_one_token_let_at_most_one_through(api, make):
    officer = make.user("officer")
    token = login(api, officer)["refresh_token"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: refresh(api, token), range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1, statuses  # never two; and the rightful one gets through
    assert set(statuses) <= {200, 400}, [a.text for a in answers]


def test_racing_refreshes_at_the_service_level(engine, make, app):
    """The same race without HTTP in between: separate sessions, committed independently."""
    from sqlmodel import Session

    from app.core.errors import OAuthError
    from app.identity.tokens import TokenContext, password_grant, refresh_grant

    ctx = TokenContext(app.state.settings, app.state.keys, engine, "10.0.0.1")
    officer = make.user("officer")
    with Session(engine) as session:
        issued = password_grant(session, ctx, officer.email, "factory-password-2025")
        session.commit()

    # Six at once, released together: the losers revoke the same user concurrently, and each must
    # still get the refusal (once a stale user version made one of them a 412).
    start = threading.Barrier(6)

    def attempt(_: int) -> str:
        with Session(engine) as session:
            start.wait()
            try:
                refresh_grant(session, ctx, issued.refresh_token)
                session.commit()
                return "ok"
            except OAuthError:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert sorted(results) == ["ok"] + ["refused"] * 5, results


def test_deactivating_a_user_stops_their_refresh_token_at_once(api, make):
    admin = make.admin()
    officer = make.user("officer")
    tokens = login(api, officer)
    answer = _patch_user(api, make, admin, officer, {"active": False})
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False
    _assert_invalid_grant(refresh(api, tokens["refresh_token"]))


def test_reactivating_a_user_does_not_revive_old_refresh_tokens(api, make):
    admin = make.admin()
    officer = make.user("officer")
    tokens = login(api, officer)
    assert _patch_user(api, make, admin, officer, {"active": False}).status_code == 200
    assert _patch_user(api, make, admin, officer, {"active": True}).status_code == 200
    _assert_invalid_grant(refresh(api, tokens["refresh_token"]))
    assert login(api, officer)["access_token"]


def test_deleting_a_user_stops_their_refresh_token(api, make):
    authority_admin = make.user("officer", authority_admin=True)
    officer = make.user("officer")
    tokens = login(api, officer)
    url = f"/api/v1/users/{officer.id}"
    etag = api.get(url, headers=make.headers(authority_admin)).headers["ETag"]  # signed in since
    assert api.delete(url, headers=make.headers(authority_admin, **{"If-Match": etag})).status_code == 204
    _assert_invalid_grant(refresh(api, tokens["refresh_token"]))


def test_a_password_change_revokes_refresh_tokens(api, make):
    authority_admin = make.user("officer", authority_admin=True)
    officer = make.user("officer")
    before = [login(api, officer)["refresh_token"] for _ in range(2)]
    answer = _patch_user(api, make, authority_admin, officer, {"password": "a-brand-new-passphrase"})
    assert answer.status_code == 200, answer.text
    for token in before:
        _assert_invalid_grant(refresh(api, token))
    assert login(api, officer, "a-brand-new-passphrase")["refresh_token"]


def test_a_user_revokes_their_own_refresh_token_family(api, make):
    officer = make.user("officer")
    tokens = login(api, officer)
    rotated = refresh(api, tokens["refresh_token"]).json()
    answer = api.post("/api/v1/auth/revoke", data={"token": rotated["refresh_token"]},
                      headers=bearer(rotated["access_token"]))
    assert answer.status_code == 200
    _assert_invalid_grant(refresh(api, rotated["refresh_token"]))


def test_nobody_revokes_another_users_refresh_token(api, make):
    victim, attacker = make.user("officer"), make.user("officer")
    victim_refresh = login(api, victim)["refresh_token"]
    answer = api.post("/api/v1/auth/revoke", data={"token": victim_refresh},
                      headers=make.headers(attacker))
    assert answer.status_code == 200
    assert refresh(api, victim_refresh).status_code == 200


def test_an_expired_refresh_token_is_refused(api, make, db):
    officer = make.user("officer")
    token = login(api, officer)["refresh_token"]
    db.execute(update(RefreshToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    _assert_invalid_grant(refresh(api, token))


def test_unknown_and_access_tokens_are_not_refresh_tokens(api, make):
    officer = make.user("officer")
    tokens = login(api, officer)
    _assert_invalid_grant(refresh(api, "rt_made-up"))
    _assert_invalid_grant(refresh(api, tokens["access_token"]))
    missing = api.post("/api/v1/auth/token", data={"grant_type": "refresh_token"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


def test_refresh_tokens_are_stored_hashed(api, make, db):
    officer = make.user("officer")
    tokens = login(api, officer)
    rotated = refresh(api, tokens["refresh_token"]).json()
    rows = list(db.scalars(select(RefreshToken).where(RefreshToken.user_id == officer.id)))
    assert len(rows) == 2
    stored = {row.token_hash for row in rows}
    for token in (tokens["refresh_token"], rotated["refresh_token"]):
        assert hashlib.sha256(token.encode()).hexdigest() in stored
    # Nowhere in the table, in any column, is a token itself.
    raw = [" ".join(str(v) for v in row) for row in db.execute(text("SELECT * FROM refresh_token"))]
    for token in (tokens["refresh_token"], rotated["refresh_token"], tokens["access_token"]):
        assert all(token not in line for line in raw)
