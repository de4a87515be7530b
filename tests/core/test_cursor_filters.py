"""A cursor is good only for the list and the filters that made it, and a cursor that is not
good is a 422 at `cursor`, like any other bad query parameter: forged, tampered, another list's,
made under other filters, or issued before cursors carried their filters."""

from typing import Any

import pytest

from tests.core.problems import assert_problem
from tests.factories import Factory, PlanningFactory

API = "/api/v1"
SCHOOLS = f"{API}/establishments"
PLANS = f"{API}/improvement-plans"
OTHER_FILTERS = "This cursor was made for other filters; start again without it."


def _refused(answer: Any, kind: str) -> dict[str, Any]:
    body = assert_problem(answer, 422, loc=["query", "cursor"])
    assert [e["type"] for e in body["errors"]] == [f"cursor.{kind}"], body
    assert "start again without it" in body["detail"]
    return body


@pytest.fixture
def schools(make: Factory) -> dict[str, str]:
    for n in range(3):
        make.establishment(sector="primary", name=f"Primary {n}")
        make.establishment(sector="secondary", name=f"Secondary {n}", gaelic_medium=n == 0)
    return make.headers(make.admin())


def test_a_cursor_under_other_filters_is_422(api, schools):
    first = api.get(SCHOOLS, params={"sector": "primary", "limit": 1}, headers=schools).json()
    cursor = first["next_cursor"]
    assert cursor
    for other in ({"sector": "secondary"}, {}, {"sector": "primary", "q": "Primary 2"},
                  {"sector": "primary", "gaelic_medium": "false"}):
        answer = api.get(SCHOOLS, params={**other, "cursor": cursor}, headers=schools)
        assert _refused(answer, "other_filters")["detail"] == OTHER_FILTERS, other
    again = api.get(SCHOOLS, params={"sector": "primary", "limit": 1, "cursor": cursor},
                    headers=schools)
    assert again.status_code == 200
    assert [s["name"] for s in again.json()["items"]] == ["Primary 1"]


def test_the_same_filters_in_another_order_or_with_another_limit_keep_the_cursor(api, schools):
    """Filters are compared as a set of name=value pairs; limit, blanks and parameters the list
    does not read are no filters."""
    url = f"{SCHOOLS}?sector=secondary&status=open&limit=1"
    cursor = api.get(url, headers=schools).json()["next_cursor"]
    assert cursor
    for query in ({"status": "open", "sector": "secondary"},
                  {"status": "open", "sector": "secondary", "limit": 5, "q": ""},
                  {"sector": "secondary", "status": "open", "cache_buster": "17"}):
        answer = api.get(SCHOOLS, params={**query, "cursor": cursor}, headers=schools)
        assert answer.status_code == 200, (query, answer.text)
        assert [s["name"] for s in answer.json()["items"]][:1] == ["Secondary 1"]


def test_filters_declared_by_a_shared_dependency_are_bound_too(api, make: Factory):
    """Plans take their filters through one dependency (planning.router.document_filters)."""
    planning = PlanningFactory(make)
    for _ in range(3):
        planning.plan(make.establishment(), status="draft")
    planning.plan(make.establishment(), status="submitted")
    admin = make.headers(make.admin())
    cursor = api.get(PLANS, params={"status": "draft", "limit": 1}, headers=admin).json()["next_cursor"]
    assert cursor
    _refused(api.get(PLANS, params={"status": "submitted", "cursor": cursor}, headers=admin),
             "other_filters")
    _refused(api.get(PLANS, params={"cursor": cursor}, headers=admin), "other_filters")
    page = api.get(PLANS, params={"status": "draft", "limit": 1, "cursor": cursor}, headers=admin)
    assert page.status_code == 200 and page.json()["items"][0]["status"] == "draft"


def test_a_cursor_issued_before_cursors_carried_their_filters_is_422(api, app, schools):
    """Such a cursor (signed, [scope, values] alone) cannot say what it was made for: paging
    starts again without it, once."""
    first = api.get(SCHOOLS, params={"limit": 1}, headers=schools).json()["items"][0]
    old = app.state.paginator.encode("establishments", [first["name"], first["id"]])
    _refused(api.get(SCHOOLS, params={"cursor": old}, headers=schools), "outdated")


@pytest.mark.parametrize("cursor", ["garbage", "abc.def", "e30.00000000000000000000000000000000"])
def test_a_bad_cursor_is_422_on_every_kind_of_list(api, make: Factory, cursor):
    """The async list (establishments), the sync lists, and a list under a parent."""
    plan = PlanningFactory(make).plan(make.establishment())
    admin = make.headers(make.admin())
    for url in (SCHOOLS, f"{API}/users", f"{API}/visits", f"{API}/frameworks",
                f"{API}/audit-events", f"{PLANS}/{plan.id}/priorities", f"{PLANS}/{plan.id}/history"):
        _refused(api.get(url, params={"cursor": cursor}, headers=admin), "invalid")


def test_a_cursor_from_another_list_is_422(api, make: Factory, schools):
    cursor = api.get(f"{API}/authorities", params={"limit": 1}, headers=schools).json()["next_cursor"]
    _refused(api.get(SCHOOLS, params={"cursor": cursor}, headers=schools), "invalid")
    _refused(api.get(f"{API}/regions", params={"cursor": cursor}, headers=schools), "invalid")


def test_a_tampered_cursor_is_422(api, schools):
    cursor = api.get(SCHOOLS, params={"limit": 1}, headers=schools).json()["next_cursor"]
    token, signature = cursor.rsplit(".", 1)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (f"{flipped}.{signature}", f"{token}.{signature[::-1]}", token):
        _refused(api.get(SCHOOLS, params={"cursor": bad}, headers=schools), "invalid")


def test_the_change_feed_position_is_good_under_any_kinds(api, make: Factory):
    """The feed's `since` is a place in commit order, not a page of a filtered list: a consumer
    may follow other kinds from where it is. A forged one is a 422 too."""
    admin = make.headers(make.admin())
    make.cluster()
    since = api.get(f"{API}/changes", params={"kinds": "cluster"}, headers=admin).json()["next_cursor"]
    answer = api.get(f"{API}/changes", params={"kinds": "establishment", "since": since},
                     headers=admin)
    assert answer.status_code == 200, answer.text
    assert_problem(api.get(f"{API}/changes", params={"since": "forged.cursor"}, headers=admin), 422)
