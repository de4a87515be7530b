"""Rate limits per principal on every authenticated request (SIH_RATE_LIMIT_PER_PRINCIPAL)."""

import uuid

import pytest

from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.identity.principal import Principal
from app.identity.request_limits import LocalWindows, PrincipalLimits

ESTABLISHMENTS = "/api/v1/establishments"


def test_a_caller_past_its_budget_gets_429_with_retry_after(api, make, tuned):
    tuned(rate_limit_per_principal="3/minute")
    officer = make.user("officer")
    headers = make.headers(officer)
    assert [api.get(ESTABLISHMENTS, headers=headers).status_code for _ in range(3)] == [200] * 3
    refused = api.get(ESTABLISHMENTS, headers=headers)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    # A sliding window: a budget spent early in a minute frees up during the next one.
    assert 0 < int(refused.headers["retry-after"]) <= 120
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


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_previous_window_counts_by_the_share_still_inside():
    clock = Clock(1000 * 60 + 30)  # half way through a minute
    windows = LocalWindows(clock)
    assert [windows.hit("k", 4, 60) for _ in range(4)] == [0, 0, 0, 0]
    # Refused until the 4 weigh 3 in the next minute: 15 s into it, 45 s from now.
    assert windows.hit("k", 4, 60) == pytest.approx(45)
    clock.now += 45  # 15 s into the next minute: 4 x 45/60 = 3 still count, room for 1
    assert windows.hit("k", 4, 60) == 0
    assert windows.hit("k", 4, 60) == pytest.approx(15)  # 4 x 30/60 + 1 + 1 fits at 30 s
    assert windows.hit("other", 4, 60) == 0  # each key its own budget
    clock.now += 15
    assert windows.hit("k", 4, 60) == 0
    clock.now += 180  # long idle: nothing carries over
    assert [windows.hit("k", 4, 60) for _ in range(5)][-1] > 0


@pytest.mark.parametrize("amount", [1, 2, 5])
@pytest.mark.parametrize("start", [0.0, 7.5, 59.0])
def test_waiting_retry_after_is_exactly_enough(amount: int, start: float):
    clock = Clock(600 + start)
    windows = LocalWindows(clock)
    while (wait := windows.hit("k", amount, 60)) == 0:
        clock.now += 1
    refused_at = clock.now
    clock.now = refused_at + wait - 0.5
    assert windows.hit("k", amount, 60) > 0  # a moment early: still refused
    clock.now = refused_at + wait
    assert windows.hit("k", amount, 60) == 0


def test_idle_callers_are_forgotten_beyond_the_bound(monkeypatch):
    monkeypatch.setattr(LocalWindows, "KEPT", 10)
    clock = Clock(0)
    windows = LocalWindows(clock)
    for n in range(10):
        windows.hit(n, 5, 60)
    clock.now += 180
    windows.hit("new", 5, 60)
    assert len(windows._counts) == 1


def test_a_shared_store_is_counted_by_the_library():
    settings = Settings(rate_limit_per_principal="2/minute", rate_limit_storage_uri="memory://x")
    limits, caller = PrincipalLimits(settings), Principal(kind="user", id=uuid.uuid4(), label="a",
                                                          role="officer")
    limits.hit(settings, caller)
    limits.hit(settings, caller)
    with pytest.raises(TooManyRequests) as refused:
        limits.hit(settings, caller)
    assert 0 < int(refused.value.headers["Retry-After"]) <= 60
