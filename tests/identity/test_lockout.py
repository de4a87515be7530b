"""Sign-in failures are counted per account and source together (issue 19, point 5): someone who
knows a user's email cannot keep them out by failing to sign in as them from elsewhere, while
the guesser's own source is stopped, and the per-IP limit still holds for everyone."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import FACTORY_PASSWORD
from tests.identity.conftest import token_request

WINDOW = {"auth_rate_limit_window_seconds": 3600}
ATTACKER, USER = "203.0.113.66", "198.51.100.7"  # documentation addresses (RFC 5737)


@pytest.fixture
def from_address(app: FastAPI) -> Iterator[object]:
    """A client whose requests come from a given address (what uvicorn's --proxy-headers makes
    of X-Forwarded-For behind the load balancer, or the peer's address without one)."""
    clients: list[TestClient] = []

    def client(host: str) -> TestClient:
        made = TestClient(app, base_url="http://testserver", raise_server_exceptions=False,
                          client=(host, 40000))
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()


def _sign_in(client: TestClient, email: str, password: str = "a-wrong-password-2025") -> int:
    return token_request(client, grant_type="password", username=email,
                         password=password).status_code


def test_an_attackers_failures_do_not_lock_the_user_out_elsewhere(api, make, tuned, steady_clock,
                                                                  from_address):
    tuned(auth_rate_limit_per_account=3, auth_rate_limit_per_ip=1000, **WINDOW)
    victim = make.user("officer")
    attacker, user = from_address(ATTACKER), from_address(USER)
    assert [_sign_in(attacker, victim.email) for _ in range(3)] == [400, 400, 400]
    # The guesser's source is stopped for this account, right password or not ...
    assert _sign_in(attacker, victim.email) == 429
    assert _sign_in(attacker, victim.email, FACTORY_PASSWORD) == 429
    # ... while the user, from where they are, signs in as ever.
    assert _sign_in(user, victim.email, FACTORY_PASSWORD) == 200
    # A typo of their own does not lock them out either.
    assert _sign_in(user, victim.email) == 400
    assert _sign_in(user, victim.email, FACTORY_PASSWORD) == 200


def test_successful_sign_ins_are_not_counted_against_the_account(api, make, tuned, steady_clock):
    tuned(auth_rate_limit_per_account=3, auth_rate_limit_per_ip=1000, **WINDOW)
    user = make.user("officer")
    assert [_sign_in(api, user.email, FACTORY_PASSWORD) for _ in range(6)] == [200] * 6


def test_a_clients_secret_guessed_elsewhere_does_not_lock_the_client_out(
        api, make, tuned, steady_clock, from_address):
    tuned(auth_rate_limit_per_account=3, auth_rate_limit_per_ip=1000, **WINDOW)
    client = make.client(["summaries:read"])
    attacker, mis = from_address(ATTACKER), from_address(USER)

    def grant(source: TestClient, secret: str) -> int:
        return token_request(source, grant_type="client_credentials", client_id=str(client.id),
                             client_secret=secret).status_code

    assert [grant(attacker, "guess") for _ in range(3)] == [401, 401, 401]
    assert grant(attacker, "client-secret-for-tests") == 429
    assert grant(mis, "client-secret-for-tests") == 200


def test_the_per_ip_limit_still_counts_every_attempt(api, make, tuned, steady_clock, from_address):
    tuned(auth_rate_limit_per_ip=4, auth_rate_limit_per_account=1000, **WINDOW)
    user = make.user("officer")
    sprayer = from_address(ATTACKER)
    assert [_sign_in(sprayer, user.email, FACTORY_PASSWORD) for _ in range(4)] == [200] * 4
    assert _sign_in(sprayer, user.email, FACTORY_PASSWORD) == 429
    assert _sign_in(from_address(USER), user.email, FACTORY_PASSWORD) == 200
