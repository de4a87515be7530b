"""Rate-limit headers (IETF draft-ietf-httpapi-ratelimit-headers): a caller with a request
budget can pace itself before a 429. `RateLimit-Policy` names the budget (`q` requests per `w`
seconds), `RateLimit` what is left of it (`r`) and when the window turns (`t` seconds)."""

import re

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

ESTABLISHMENTS = "/api/v1/establishments"
POLICY = re.compile(r'^"principal";q=(\d+);w=(\d+)$')
STATE = re.compile(r'^"principal";r=(\d+);t=(\d+)$')


def _remaining(response) -> int:
    match = STATE.match(response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    assert 0 < int(match.group(2)) <= 60
    return int(match.group(1))


def test_answers_carry_the_budget_and_count_down(api, make, tuned):
    tuned(rate_limit_per_principal="5/minute")
    headers = make.headers(make.user("officer"))
    answers = [api.get(ESTABLISHMENTS, headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    for answer in answers:
        assert POLICY.match(answer.headers["ratelimit-policy"]).groups() == ("5", "60")
    assert [_remaining(a) for a in answers] == [4, 3, 2, 1, 0]
    # Error answers after the budget is counted carry them too (a 404 here) ...
    missing = api.get(f"{ESTABLISHMENTS}/0b6f1c9e-3f52-4d8a-9a7e-5c2d1e8f4a10", headers=headers)
    assert missing.status_code == 429  # ... and so does the refusal, with nothing left
    assert _remaining(missing) == 0
    assert "retry-after" in missing.headers


def test_an_error_answer_within_the_budget_carries_the_headers(api, make, tuned):
    tuned(rate_limit_per_principal="10/minute")
    headers = make.headers(make.user("officer"))
    missing = api.get(f"{ESTABLISHMENTS}/0b6f1c9e-3f52-4d8a-9a7e-5c2d1e8f4a10", headers=headers)
    assert missing.status_code == 404
    assert _remaining(missing) == 9


def test_no_headers_without_a_budget(api, make, tuned):
    tuned(rate_limit_per_principal="")
    answer = api.get(ESTABLISHMENTS, headers=make.headers(make.user("officer")))
    assert answer.status_code == 200
    assert "ratelimit" not in answer.headers and "ratelimit-policy" not in answer.headers
    # Nor on answers to no caller: the probes have no budget.
    tuned(rate_limit_per_principal="5/minute")
    assert "ratelimit" not in api.get("/healthz").headers


def test_browsers_may_read_them(settings: Settings) -> None:
    """CORS exposes them, or a browser's script could not see them."""
    configured = settings.model_copy(update={"cors_origins": ["https://portal.example.org"]})
    with TestClient(create_app(configured)) as client:
        answer = client.get("/healthz", headers={"Origin": "https://portal.example.org"})
    exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
    assert {"ratelimit", "ratelimit-policy", "retry-after"} <= exposed


def test_the_contract_declares_them_on_every_answer():
    document = create_app().openapi()
    headers = document["components"]["headers"]
    assert {"RateLimit", "RateLimit-Policy", "Access-Control-Allow-Origin"} <= set(headers)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, answer in operation["responses"].items():
                declared = answer.get("headers", {})
                assert "Access-Control-Allow-Origin" in declared, (path, method, code)
                if operation["operationId"] in {"issueToken", "getHealth", "getReadiness",
                                                "getMetrics"}:
                    continue
                assert {"RateLimit", "RateLimit-Policy"} <= set(declared), (path, method, code)
                if code == "429":
                    assert "Retry-After" in declared
