"""Who reads whose summaries: aggregates for the caller's own authority or region only; 404
outside it (as for any record the caller cannot see); 403 for those who never read them."""

import uuid

import pytest

from tests.core.problems import assert_problem
from tests.insight.conftest import Callers, authority_url, region_url
from tests.insight.world import World

# caller -> (NL summary, GC summary, West Partnership summary, Tayside summary)
EXPECTED = {
    "admin": (200, 200, 200, 200),
    "nl_officer": (200, 404, 404, 404),
    "nl_admin": (200, 404, 404, 404),
    "lead": (200, 200, 200, 404),
    "other_lead": (404, 404, 404, 200),
    "region_client": (200, 200, 200, 404),
    "nl_client": (200, 404, 404, 404),
    "headteacher": (403, 403, 403, 403),
    "unscoped_client": (403, 403, 403, 403),
}


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_who_reads_which_summary(api, world: World, callers: Callers, caller: str) -> None:
    headers = getattr(callers, caller)
    urls = (authority_url(world.nl.id), authority_url(world.gc.id), region_url(world.region.id),
            region_url(world.other_region.id))
    for url, expected in zip(urls, EXPECTED[caller], strict=True):
        answer = api.get(url, headers=headers)
        if expected == 200:
            assert answer.status_code == 200, (url, answer.text)
        else:
            assert_problem(answer, expected)


def test_unknown_ids_are_404_and_no_token_is_401(api, world: World, callers: Callers) -> None:
    assert_problem(api.get(authority_url(uuid.uuid4()), headers=callers.admin), 404)
    assert_problem(api.get(region_url(uuid.uuid4()), headers=callers.lead), 404)
    answer = api.get(region_url(world.region.id))
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")


def test_a_client_needs_the_scope_in_its_token_too(api, make, world: World) -> None:
    client = make.client(["summaries:read", "changes:read"], region=world.region)
    narrowed = {"Authorization": f"Bearer {make.token(client, scopes=['changes:read'])}"}
    assert_problem(api.get(region_url(world.region.id), headers=narrowed), 403)
    full = {"Authorization": f"Bearer {make.token(client, scopes=['summaries:read'])}"}
    assert api.get(region_url(world.region.id), headers=full).status_code == 200
