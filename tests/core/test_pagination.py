"""Cursor pagination: walk any list page by page and see every row exactly once."""

import pytest

from tests.core.problems import assert_problem
from tests.factories import Factory

URL = "/api/v1/establishments"


def _walk(api, headers, url: str, **params) -> list[dict]:
    seen: list[dict] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = api.get(url, params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


def test_default_page_is_50_with_a_cursor_to_the_rest(api, make: Factory):
    for _ in range(51):
        make.establishment()
    answer = api.get(URL, headers=make.headers(make.admin()))
    page = answer.json()
    assert len(page["items"]) == 50 and page["next_cursor"]


def test_limit_up_to_500_is_honoured(api, make: Factory):
    for _ in range(7):
        make.establishment()
    headers = make.headers(make.admin())
    assert len(api.get(URL, params={"limit": 3}, headers=headers).json()["items"]) == 3
    whole = api.get(URL, params={"limit": 500}, headers=headers).json()
    assert len(whole["items"]) == 7 and whole["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_limit_outside_1_to_500_is_422(api, make: Factory, limit):
    answer = api.get(URL, params={"limit": limit}, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["query", "limit"])


def test_walking_pages_returns_every_row_once_in_a_stable_order(api, make: Factory):
    # Same names on purpose: the order must break ties (by id), or rows would repeat or vanish.
    expected = {str(make.establishment(name=f"School {i % 3}").id) for i in range(23)}
    headers = make.headers(make.admin())
    walked = _walk(api, headers, URL, limit=5)
    ids = [e["id"] for e in walked]
    assert len(ids) == len(set(ids)) == 23 and set(ids) == expected
    keys = [(e["name"], e["id"]) for e in walked]
    assert keys == sorted(keys)
    assert [e["id"] for e in _walk(api, headers, URL, limit=5)] == ids  # same order again


def test_last_page_has_no_cursor(api, make: Factory):
    for _ in range(4):
        make.establishment()
    headers = make.headers(make.admin())
    first = api.get(URL, params={"limit": 2}, headers=headers).json()
    last = api.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers).json()
    assert len(last["items"]) == 2 and last["next_cursor"] is None


def test_pages_keep_filters_and_visibility(api, make: Factory):
    for _ in range(6):
        make.establishment(sector="secondary")
        make.establishment(make.authority("S12000049"), sector="secondary")
        make.establishment(sector="primary")
    walked = _walk(api, make.headers(make.user("officer")), URL, limit=4, sector="secondary")
    assert len(walked) == 6 and {e["sector"] for e in walked} == {"secondary"}
    assert {e["authority_id"] for e in walked} == {str(make.authority().id)}


def test_every_list_walks_to_the_end(api, make: Factory):
    headers = make.headers(make.admin())
    for _ in range(3):
        make.cluster()
    assert len(_walk(api, headers, "/api/v1/authorities", limit=7)) == 32
    assert len(_walk(api, headers, "/api/v1/regions", limit=4)) == 6
    assert len(_walk(api, headers, "/api/v1/clusters", limit=2)) == 3


@pytest.mark.parametrize("cursor", ["garbage", "abc.def", "", "e30.00000000000000000000000000000000",
                                    "%%%.!!!", "ünïcödé.x"])
def test_garbage_cursor_is_422(api, make: Factory, cursor):
    answer = api.get(URL, params={"cursor": cursor or "."}, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["query", "cursor"])


def test_tampered_cursor_is_422(api, make: Factory):
    for _ in range(3):
        make.establishment()
    headers = make.headers(make.admin())
    cursor = api.get(URL, params={"limit": 1}, headers=headers).json()["next_cursor"]
    token, signature = cursor.rsplit(".", 1)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (f"{flipped}.{signature}", f"{token}.{signature[::-1]}", token):
        assert_problem(api.get(URL, params={"cursor": bad}, headers=headers), 422,
                       loc=["query", "cursor"])


def test_cursor_from_one_list_is_refused_by_another(api, make: Factory):
    headers = make.headers(make.admin())
    cursor = api.get("/api/v1/authorities", params={"limit": 1}, headers=headers).json()["next_cursor"]
    assert cursor
    assert_problem(api.get(URL, params={"cursor": cursor}, headers=headers), 422,
                   loc=["query", "cursor"])
    assert_problem(api.get("/api/v1/regions", params={"cursor": cursor}, headers=headers), 422,
                   loc=["query", "cursor"])


def test_overlong_cursor_is_422(api, make: Factory):
    answer = api.get(URL, params={"cursor": "a" * 2000}, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["query", "cursor"])
