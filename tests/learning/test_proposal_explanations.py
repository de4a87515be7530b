"""POST /trios/proposals explains itself from the figures the grouping used, and a proposal
can be accepted as it stands: each group's `trio` is a body POST /trios accepts, and what the
rules would lack (the focus indicators) is said, not left for POST /trios to refuse."""

import re
from decimal import Decimal

from tests.learning.trio_world import (  # noqa: F401 - fixtures
    TRIOS,
    db_releases_around_requests,
    world_fixture,
)

PROPOSALS = f"{TRIOS}/proposals"


def _school(world, area, cluster=None, roll=200, simd=None):
    return world.make.establishment(
        world.authority, area=area, cluster_id=cluster.id if cluster else None, roll=roll,
        simd_q1_percent=Decimal(simd) if simd is not None else None)


def _propose(api, world, schools, **changes):
    body = {"session": "2025-26", "authority_id": str(world.authority.id),
            "establishment_ids": [str(s.id) for s in schools], "indicator_codes": ["2.3"],
            **changes}
    answer = api.post(PROPOSALS, json=body, headers=world.headers(world.officer))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_school_left_out_for_its_cluster_is_told_the_groups_actually_made(api, world):
    """Three of six Shotts schools share a cluster: six schools would make two trios, but with
    two of those three left out, the four left make one quad. Both are told so."""
    make = world.make
    crowded = make.cluster(world.authority, name="Shotts crowded cluster", area="Shotts")
    others = [make.cluster(world.authority, name=f"Shotts cluster {n}", area="Shotts")
              for n in range(3)]
    schools = [_school(world, "Shotts", crowded, roll=150 + 40 * n, simd="20") for n in range(3)]
    schools += [_school(world, "Shotts", c, roll=170 + 10 * n, simd="22") for n, c in enumerate(others)]
    proposal = _propose(api, world, schools)
    groups = [g for g in proposal["groups"] if g["area"] == "Shotts"]
    assert [g["kind"] for g in groups] == ["quad"]
    left = [u for u in proposal["unplaced"] if u["reason"] == "cluster_saturated"]
    assert len(left) == 2
    for u in left:
        assert "one of 3 opted-in schools of Shotts crowded cluster in Shotts" in u["detail"]
        made = re.search(r"make (\d+) groups?", u["detail"])
        assert made and int(made.group(1)) == len(groups), u["detail"]
        assert "1 of the 3 is placed and 2 left out" in u["detail"], u["detail"]


def test_a_group_without_simd_figures_says_so_and_gives_no_range(api, world):
    make = world.make
    clusters = [make.cluster(world.authority, name=f"Wishaw cluster {n}", area="Wishaw")
                for n in range(3)]
    schools = [_school(world, "Wishaw", clusters[0], roll=210, simd="42.5"),
               _school(world, "Wishaw", clusters[1], roll=220),
               _school(world, "Wishaw", clusters[2], roll=230)]
    proposal = _propose(api, world, [*schools, *world.schools[:3]])
    [group] = [g for g in proposal["groups"] if g["area"] == "Wishaw"]
    reason = group["reason"]
    assert "42.5-42.5" not in reason
    assert f"SIMD Q1 {schools[0].name} 42.5%" in reason
    assert "no SIMD figure for 2 of 3 schools" in reason
    # The stand-in the grouping used: the median of the schools offered with a figure.
    offered = sorted(float(s.simd_q1_percent) for s in [*schools, *world.schools[:3]]
                     if s.simd_q1_percent is not None)
    assert f"compared at {offered[len(offered) // 2]:g}%" in reason
    pair = next(p for p in group["pairings"]
                if set(p["establishment_ids"]) == {str(schools[1].id), str(schools[2].id)})
    assert "no SIMD figure for either" in pair["reason"]


def test_a_school_in_no_cluster_is_not_said_to_come_from_a_cluster(api, world):
    alone = _school(world, "Kilsyth")
    proposal = _propose(api, world, [alone, *world.schools[:3]])
    [told] = [u for u in proposal["unplaced"] if u["establishment_id"] == str(alone.id)]
    assert told["reason"] == "area_too_small"
    assert "1 cluster" not in told["detail"], told["detail"]
    assert "Only 1 school was offered in Kilsyth (1 in no cluster)" in told["detail"]
    # Schools with no cluster are grouped as the rule allows: each counts as its own.
    loose = [_school(world, "Kilsyth", roll=200 + n) for n in range(2)]
    proposal = _propose(api, world, [alone, *loose])
    [group] = proposal["groups"]
    assert "Same area (Kilsyth); 3 schools in no cluster;" in group["reason"], group["reason"]


def test_every_proposed_group_is_formed_by_posting_its_trio(api, world, make):
    """The proposal as it stands: each group's `trio`, sent to POST /trios, is a trio."""
    more = [make.establishment(world.authority, cluster_id=world.clusters[n % 5].id,
                               area="Airdrie", roll=120 + 35 * n,
                               simd_q1_percent=None if n % 4 == 0 else Decimal(5 + 6 * n))
            for n in range(12)]
    proposal = _propose(api, world, [*world.schools, *more], indicator_codes=["1.3", "3.2"])
    assert proposal["ready"] is True and proposal["missing"] == []
    assert len(proposal["groups"]) >= 4
    officer = world.headers(world.officer)
    for group in proposal["groups"]:
        trio = group["trio"]
        assert trio["area"] == group["area"] == "Airdrie" and trio["kind"] == group["kind"]
        assert [m["establishment_id"] for m in trio["members"]] == [
            m["establishment_id"] for m in group["members"]]
        formed = api.post(TRIOS, json=trio, headers=officer)
        assert formed.status_code == 201, formed.text
        assert formed.json()["area"] == "Airdrie"


def test_a_proposal_without_a_focus_says_what_is_missing(api, world):
    proposal = _propose(api, world, world.schools, indicator_codes=None)
    assert proposal["ready"] is False
    assert len(proposal["missing"]) == 1 and proposal["missing"][0].startswith("indicator_codes")
    assert proposal["groups"] and all(g["trio"]["indicator_codes"] == [] for g in proposal["groups"])
    # Given the focus, the same group is formed as it stands.
    trio = {**proposal["groups"][0]["trio"], "indicator_codes": ["2.3"]}
    formed = api.post(TRIOS, json=trio, headers=world.headers(world.officer))
    assert formed.status_code == 201, formed.text
