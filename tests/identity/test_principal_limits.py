"""Rate limits per principal on every authenticated request (SIH_RATE_LIMIT_PER_PRINCIPAL)."""

import pytest

from app.core.config import Settings

ESTABLISHMENTS = "/api/v1/establishments"


def test_a_caller_past_its_budget_gets_429_with_retry_after(api, make, tuned):
    tuned(rate_limit_per_principal="3/minute")
    officer = make.user("officer")
    headers = make.headers(officer)
    assert [api.get(ESTABLISHMENTS, headers=headers).status_code for _ in range(3)] == [200] * 3
    refused = api.get(ESTABLISHMENTS, headers=headers)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(refused.headers["retry-after"]) <= 60
    # Writes count too, and are refused before anything is done.
    created = api.post(ESTABLISHMENTS, headers=headers, json={
        "code": "8123456", "name": "Never Written Primary", "sector": "primary"})
    assert created.status_code == 429
    assert api.get(f"{ESTABLISHMENTS}?q=Never+Written", headers=make.headers(make.admin())
                   ).json()["items"] == []


def test_each_caller_has_its_own_budget(api, make, tuned):
    tuned(rate_limit_per_principal="2/minute")
    busy, other = make.headers(make.user("officer")), make.headers(make.user("officer"))
    for _ in range(2):
        api.get(ESTABLISHMENTS, headers=busy)
    assert api.get(ESTABLISHMENTS, headers=busy).status_code == 429
    assert api.get(ESTABLISHMENTS, headers=other).status_code == 200
    client = make.headers(make.client(["establishments:read"]))
    assert [api.get(ESTABLISHMENTS, headers=client).status_code for _ in range(3)] == [200, 200, 429]


def test_an_empty_rule_turns_the_limit_off(api, make, tuned):
    tuned(rate_limit_per_principal="")
    headers = make.headers(make.user("officer"))
    assert {api.get(ESTABLISHMENTS, headers=headers).status_code for _ in range(30)} == {200}


@pytest.mark.parametrize("rule", ["lots", "10/fortnight", "-1/minute", "0/minute"])
def test_a_rule_that_cannot_be_read_is_refused_at_start(rule):
    with pytest.raises(ValueError, match="rate_limit_per_principal"):
        Settings(rate_limit_per_principal=rule)
