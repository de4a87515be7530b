"""Access tokens end at once, not after their TTL, when a user's password changes, a refresh
token of theirs is used twice, or an administrator signs them out everywhere (issue 19,
point 6). A per-user counter, read with the caller's row on every request, says which
tokens still count: one issued before the cut-off is refused, one issued after it works, even
within the same second."""

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.identity.conftest import assert_unauthorized, bearer, login, refresh

USERS = "/api/v1/users"
ME = "/api/v1/me"


def _sign_out_everywhere(api, make, actor, user):
    return api.post(f"{USERS}/{user.id}/sign-out-everywhere", headers=make.headers(actor))


def test_a_password_change_ends_the_users_access_tokens_at_once(api, make):
    admin, officer = make.admin(), make.user("officer")
    old = login(api, officer)
    assert api.get(ME, headers=bearer(old["access_token"])).status_code == 200
    current = api.get(f"{USERS}/{officer.id}", headers=make.headers(admin))
    changed = api.patch(f"{USERS}/{officer.id}", json={"password": "a-brand-new-passphrase"},
                        headers=make.headers(admin, **{"If-Match": current.headers["etag"]}))
    assert changed.status_code == 200, changed.text
    assert_unauthorized(api.get(ME, headers=bearer(old["access_token"])))
    # Signing in again with the new password, within the same second, works.
    fresh = login(api, officer, "a-brand-new-passphrase")
    assert api.get(ME, headers=bearer(fresh["access_token"])).status_code == 200


def test_a_reused_refresh_token_ends_every_access_token_of_the_user(api, make):
    officer = make.user("officer")
    first = login(api, officer)
    other_device = login(api, officer)
    rotated = refresh(api, first["refresh_token"])
    assert rotated.status_code == 200
    assert refresh(api, first["refresh_token"]).status_code == 400  # stolen and replayed
    for token in (first["access_token"], other_device["access_token"],
                  rotated.json()["access_token"]):
        assert_unauthorized(api.get(ME, headers=bearer(token)))


def test_an_admin_signs_a_user_out_everywhere(api, make, db):
    admin, officer = make.admin(), make.user("officer")
    session = login(api, officer)
    answer = _sign_out_everywhere(api, make, admin, officer)
    assert answer.status_code == 204, answer.text
    assert_unauthorized(api.get(ME, headers=bearer(session["access_token"])))
    assert refresh(api, session["refresh_token"]).status_code == 400
    assert api.get(ME, headers=bearer(login(api, officer)["access_token"])).status_code == 200
    db.expire_all()
    # Refreshing a revoked (not stolen) token does not end the new session again.
    event = db.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.sign_out_everywhere")).one()
    assert (event.actor_id, event.resource_id) == (admin.id, str(officer.id))


def test_who_may_sign_whom_out_everywhere(api, make):
    ours, theirs = make.authority(), make.authority("S12000049")
    authority_admin = make.user("officer", authority=ours, authority_admin=True)
    officer = make.user("officer", authority=ours)
    assert _sign_out_everywhere(api, make, authority_admin, officer).status_code == 204
    assert _sign_out_everywhere(api, make, authority_admin,
                                make.user("officer", authority=theirs)).status_code == 404
    assert _sign_out_everywhere(api, make, authority_admin, make.admin()).status_code == 404
    # The factory's token of `officer` was issued before the sign-out above: refused.
    assert_unauthorized(api.get(ME, headers=make.headers(officer)))
    colleague = make.user("officer", authority=ours)
    assert _sign_out_everywhere(api, make, colleague, authority_admin).status_code == 403
    # Anyone may end their own sessions (a lost laptop), their current token included.
    session = login(api, officer)
    mine = api.post(f"{USERS}/{officer.id}/sign-out-everywhere",
                    headers=bearer(session["access_token"]))
    assert mine.status_code == 204
    assert_unauthorized(api.get(ME, headers=bearer(session["access_token"])))


def test_other_users_tokens_are_untouched(api, make):
    admin, officer, colleague = make.admin(), make.user("officer"), make.user("officer")
    kept = login(api, colleague)
    assert _sign_out_everywhere(api, make, admin, officer).status_code == 204
    assert api.get(ME, headers=bearer(kept["access_token"])).status_code == 200
