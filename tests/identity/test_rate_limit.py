"""Rate limits on POST /auth/token, per IP and per account and source, counted in the database."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.identity.models import RateLimitCounter
from tests.factories import FACTORY_PASSWORD
from tests.identity.conftest import token_request

WINDOW = {"auth_rate_limit_window_seconds": 3600}


def _password(api, email, password="a-wrong-password-2025"):
    return token_request(api, grant_type="password", username=email, password=password)


def _assert_limited(answer):
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 429
    retry_after = int(answer.headers["retry-after"])
    assert 0 < retry_after <= 3600


def test_per_account_limit(api, make, tuned, steady_clock):
    tuned(auth_rate_limit_per_account=3, auth_rate_limit_per_ip=1000, **WINDOW)
    victim = make.user("officer")
    assert [_password(api, victim.email).status_code for _ in range(3)] == [400, 400, 400]
    _assert_limited(_password(api, victim.email))
    # From the source that failed, checked before the password (tests/identity/test_lockout.py:
    # the user from another source is not locked out).
    _assert_limited(_password(api, victim.email, FACTORY_PASSWORD))
    _assert_limited(_password(api, victim.email.upper()))  # the same account, however it is spelt
    # Other accounts from the same address are not locked out by it.
    assert _password(api, make.user("officer").email, FACTORY_PASSWORD).status_code == 200


def test_per_ip_limit(api, make, tuned, steady_clock):
    tuned(auth_rate_limit_per_ip=4, auth_rate_limit_per_account=1000, **WINDOW)
    statuses = [_password(api, f"spray{n}@test.sih.scot").status_code for n in range(4)]
    assert statuses == [400] * 4
    _assert_limited(_password(api, "spray-last@test.sih.scot"))
    _assert_limited(token_request(api, grant_type="refresh_token", refresh_token="rt_guess"))
    _assert_limited(token_request(api, grant_type="client_credentials", client_id=str(make.id()),
                                  client_secret="guess"))


def test_counters_live_in_the_database(api, make, db, tuned, steady_clock):
    tuned(auth_rate_limit_per_ip=1000, auth_rate_limit_per_account=1000, **WINDOW)
    officer = make.user("officer")
    for _ in range(2):
        _password(api, officer.email)
    counters = {row.key: row.hits for row in db.scalars(select(RateLimitCounter))}
    # Failures per account and source, keyed by a hash: the table holds no email.
    failures = {key: hits for key, hits in counters.items() if key.startswith("token:failures:")}
    assert list(failures.values()) == [2]
    assert not [key for key in counters if officer.email in key]
    assert counters["token:ip:testclient"] == 2


def test_replicas_share_one_count(api, make, tuned, steady_clock, other_app):
    """Two app instances on one database: hits on either count against the same limit."""
    limits = {"auth_rate_limit_per_account": 3, "auth_rate_limit_per_ip": 1000, **WINDOW}
    tuned(**limits)
    replica = other_app(**limits)
    victim = make.user("officer")
    with TestClient(replica) as second:
        assert _password(api, victim.email).status_code == 400
        assert _password(second, victim.email).status_code == 400
        assert _password(api, victim.email).status_code == 400
        _assert_limited(_password(second, victim.email))
        _assert_limited(_password(api, victim.email))


def test_the_default_limits_are_modest(settings):
    from app.core.config import Settings

    defaults = Settings(database_url=settings.database_url)
    assert defaults.auth_rate_limit_per_account <= 20
    assert defaults.auth_rate_limit_per_ip <= 100
    assert defaults.auth_rate_limit_window_seconds >= 60
