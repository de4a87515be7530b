"""POST /trios/proposals: groups that keep every rule, the unplaced with their reasons, the same
answer for the same input, and groups that can be formed as they are."""

from decimal import Decimal

from tests.core.problems import assert_problem
from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    create_trio,
    db_releases_around_requests,
    world_fixture,
)

PROPOSALS = f"{TRIOS}/proposals"


def _opted_in(world, make):
    """Twelve more Airdrie schools over the five clusters, beside the world's seven."""
    more = [make.establishment(world.authority, cluster_id=world.clusters[n % 5].id,
                               area="Airdrie", roll=120 + 35 * n,
                               simd_q1_percent=Decimal(str(5 + 6 * n)))
            for n in range(12)]
    return [*world.schools, *more]


def _request(world, schools, **changes):
    return {"session": "2025-26", "authority_id": str(world.authority.id),
            "establishment_ids": [str(s.id) for s in schools], "indicator_codes": ["2.3"],
            **changes}


def test_a_proposal_keeps_every_rule_and_explains_itself(api, world, make, db):
    schools = _opted_in(world, make)
    closed = make.establishment(world.authority, cluster_id=world.clusters[0].id, area="Airdrie",
                                status="closed")
    taken = create_trio(api, world, (0, 1, 2))
    unknown = "00000000-0000-4000-8000-000000000000"
    body = _request(world, [*schools, closed, world.elsewhere])
    body["establishment_ids"].append(unknown)
    answer = api.post(PROPOSALS, json=body, headers=world.headers(world.officer))
    assert answer.status_code == 200, answer.text
    proposal = answer.json()
    reasons = {u["establishment_id"]: u["reason"] for u in proposal["unplaced"]}
    assert reasons[str(closed.id)] == "closed"
    assert reasons[unknown] == "not_found"  # the other authority's school too: not theirs to see
    assert reasons[str(world.elsewhere.id)] == "not_found"
    for member in taken["members"]:
        assert reasons[member["establishment_id"]] == "already_in_trio"
    assert reasons[str(world.schools[5].id)] == "area_too_small"  # alone in Coatbridge
    assert all(u["detail"] for u in proposal["unplaced"])
    clusters = {str(s.id): s.cluster_id for s in schools}
    placed = [m["establishment_id"] for g in proposal["groups"] for m in g["members"]]
    # 19 offered, 3 in a trio, 1 alone in its area: 15 in Airdrie, all placed, five trios.
    assert len(placed) == len(set(placed)) == proposal["placed"] == 15
    assert [g["kind"] for g in proposal["groups"]] == ["trio"] * 5
    for group in proposal["groups"]:
        assert group["area"] == "Airdrie" and group["indicator_codes"] == ["2.3"]
        assert len({clusters[m["establishment_id"]] for m in group["members"]}) == 3
        assert len(group["pairings"]) == 3 and all(p["reason"] for p in group["pairings"])
        assert 0 <= group["score"] <= 1 and group["reason"].startswith("Same area (Airdrie)")
    assert 0 < proposal["score"] <= 1
    # Each group can be formed as proposed.
    group = proposal["groups"][0]
    formed = api.post(TRIOS, headers=world.headers(world.officer), json={
        "session": "2025-26", "kind": group["kind"], "indicator_codes": group["indicator_codes"],
        "members": [{"establishment_id": m["establishment_id"],
                     "headteacher_id": m["headteacher_id"]} for m in group["members"]]})
    assert formed.status_code == 201, formed.text


def test_the_same_opted_in_schools_give_the_same_proposal(api, world, make):
    schools = _opted_in(world, make)
    officer = world.headers(world.officer)
    first = api.post(PROPOSALS, json=_request(world, schools), headers=officer).json()
    again = api.post(PROPOSALS, json=_request(world, list(reversed(schools))), headers=officer)
    assert again.json() == first
    with_repeats = _request(world, [*schools, *schools[:4]])
    assert api.post(PROPOSALS, json=with_repeats, headers=officer).json() == first


def test_focus_indicators_not_in_a_schools_framework_leave_it_out(api, world, make):
    nursery = make.establishment(world.authority, sector="elc", cluster_id=world.clusters[4].id,
                                 area="Airdrie")
    body = _request(world, [*world.schools[:4], nursery], indicator_codes=["1.3"])
    proposal = api.post(PROPOSALS, json=body, headers=world.headers(world.officer)).json()
    assert proposal["unplaced"] == [] or all(
        u["reason"] != "framework_mismatch" for u in proposal["unplaced"])  # HGIOELC has 1.3
    assert_problem(api.post(PROPOSALS, json=_request(world, world.schools, indicator_codes=[]),
                            headers=world.headers(world.officer)), 422)


def test_only_the_authoritys_officers_ask_for_proposals(api, world):
    body = _request(world, world.schools)
    for who in (world.heads[0], world.lead, world.other_officer):
        assert_problem(api.post(PROPOSALS, json=body, headers=world.headers(who)), 403)
    assert api.post(PROPOSALS, json=body, headers=world.headers(world.authority_admin)
                    ).status_code == 200
    unknown = {**body, "authority_id": "00000000-0000-4000-8000-000000000000"}
    assert_problem(api.post(PROPOSALS, json=unknown, headers=world.headers(world.admin)), 422,
                   loc=["body", "authority_id"])
