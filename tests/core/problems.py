"""Assertions on RFC 9457 problem+json answers, shared by every domain's tests."""

from typing import Any

import httpx

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(answer: httpx.Response, status: int, *, loc: list[Any] | None = None) -> dict[str, Any]:
    """The answer is problem+json with the given status (and, for 422, an error at `loc`)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
    body: dict[str, Any] = answer.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["instance"] == answer.request.url.path
    assert "Traceback" not in answer.text and "sqlalchemy" not in answer.text.lower()
    if loc is not None:
        locs = [e["loc"] for e in body.get("errors") or []]
        assert any(found[-len(loc):] == loc for found in locs), f"no error at {loc}: {locs}"
    return body
