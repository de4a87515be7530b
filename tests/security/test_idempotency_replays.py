"""Issue #19, point 12: a replay is answered only to a caller who passes the same checks as
any request (an active account, a token not revoked), it counts against the caller's request
budget, and what one caller may keep in the idempotency store is bounded."""


import pytest
from sqlalchemy import func, select

from app.core.idempotency import IdempotencyRecord
from app.identity.models import User
from app.organisations.models import Cluster

CLUSTERS = "/api/v1/clusters"


@pytest.fixture(autouse=True)
def _area(make):
    make.area(make.authority(), "Coatbridge")


def _post(api, make, headers, key, name="Coatbridge cluster"):
    body = {"authority_id": str(make.authority().id), "name": name, "area": "Coatbridge"}
    return api.post(CLUSTERS, json=body, headers={**headers, "Idempotency-Key": key})


def test_a_deactivated_callers_replay_is_401(api, make, db):
    admin = make.admin()
    headers = make.headers(admin)  # an access token that has not expired
    assert _post(api, make, headers, "before-leaving").status_code == 201
    db.get(User, admin.id).active = False
    db.commit()
    replay = _post(api, make, headers, "before-leaving")
    assert replay.status_code == 401, replay.text
    assert "Idempotent-Replayed" not in replay.headers
    assert replay.headers["content-type"].startswith("application/problem+json")


def test_a_revoked_tokens_replay_is_401(api, make, db):
    admin = make.admin()
    headers = make.headers(admin)
    assert _post(api, make, headers, "then-revoked").status_code == 201
    token = headers["Authorization"].split()[1]
    revoked = api.post("/api/v1/auth/revoke", headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"}, content=f"token={token}")
    assert revoked.status_code == 200, revoked.text
    assert _post(api, make, headers, "then-revoked").status_code == 401


def test_replays_count_against_the_callers_budget(api, make, tuned):
    tuned(rate_limit_per_principal="3/minute")
    headers = make.headers(make.admin())
    answers = [_post(api, make, headers, "counted").status_code for _ in range(3)]
    assert answers == [201, 201, 201]
    refused = _post(api, make, headers, "counted")
    assert refused.status_code == 429, refused.text
    assert "Idempotent-Replayed" not in refused.headers
    assert int(refused.headers["Retry-After"]) >= 1
    assert api.get(CLUSTERS, headers=headers).status_code == 429


def test_the_keys_one_caller_may_store_a_day_are_bounded(api, make, db, tuned):
    tuned(idempotency_keys_per_caller_per_day=2)
    headers = make.headers(make.admin())
    assert _post(api, make, headers, "k1", name="One").status_code == 201
    assert _post(api, make, headers, "k2", name="Two").status_code == 201
    full = _post(api, make, headers, "k3", name="Three")
    assert full.status_code == 429, full.text
    assert full.headers["content-type"].startswith("application/problem+json")
    assert full.json()["type"].endswith("/idempotency-store-full")
    assert 1 <= int(full.headers["Retry-After"]) <= 24 * 3600
    db.commit()
    assert db.execute(select(func.count()).select_from(Cluster)).scalar_one() == 2  # nothing done
    # What is stored is still replayed; without a key the work is still done.
    assert _post(api, make, headers, "k1", name="One").headers["Idempotent-Replayed"] == "true"
    body = {"authority_id": str(make.authority().id), "name": "Four", "area": "Coatbridge"}
    assert api.post(CLUSTERS, json=body, headers=headers).status_code == 201
    # Another caller has a store of its own.
    assert _post(api, make, make.headers(make.admin()), "k3", name="Five").status_code == 201


def test_the_bytes_one_caller_may_store_a_day_are_bounded(api, make, engine, tuned):
    tuned(idempotency_bytes_per_caller_per_day=100)
    headers = make.headers(make.admin())
    first = _post(api, make, headers, "b1", name="One")
    assert first.status_code == 201 and len(first.content) > 100
    full = _post(api, make, headers, "b2", name="Two")
    assert full.status_code == 429, full.text
    assert full.json()["type"].endswith("/idempotency-store-full")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(
            IdempotencyRecord.__table__)).scalar() == 1  # type: ignore[attr-defined]
