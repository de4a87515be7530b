"""A small authority for trio tests: schools in two areas and five clusters, their
headteachers, officers, and one school of another authority."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory

TRIOS = "/api/v1/trios"


@dataclass
class TrioWorld:
    """`schools[0..3]`: Airdrie, clusters 0..3; `schools[4]`: Airdrie, cluster 0 (like 0);
    `schools[5]`: Coatbridge; `schools[6]`: Airdrie, cluster 4; `elsewhere`: another authority."""

    make: Factory
    authority: Any
    clusters: list[Any]
    schools: list[Any]
    heads: list[Any]
    elsewhere: Any
    officer: Any
    authority_admin: Any
    other_officer: Any
    lead: Any
    admin: Any
    outsider_head: Any
    headers_cache: dict[Any, dict[str, str]] = field(default_factory=dict)

    def headers(self, who: Any, **extra: str) -> dict[str, str]:
        if who.id not in self.headers_cache:
            self.headers_cache[who.id] = self.make.headers(who)
        return {**self.headers_cache[who.id], **extra}

    def body(self, picks: tuple[int, ...] = (0, 1, 2), **changes: Any) -> dict[str, Any]:
        kind = "quad" if len(picks) == 4 else "trio"
        return {"session": "2025-26", "kind": kind, "indicator_codes": ["1.3", "3.2"],
                "members": [{"establishment_id": str(self.schools[i].id)} for i in picks],
                **changes}


@pytest.fixture(name="world")
def world_fixture(make: Factory) -> TrioWorld:
    authority = make.authority()
    clusters = [make.cluster(authority, name=f"Trio cluster {n}", area="Airdrie")
                for n in range(5)]
    coatbridge = make.cluster(authority, name="Coatbridge cluster", area="Coatbridge")
    spec = [(0, "Airdrie", 210, "12.5"), (1, "Airdrie", 230, "20.0"), (2, "Airdrie", 250, "15.0"),
            (3, "Airdrie", 400, "40.0"), (0, "Airdrie", 220, "14.0"), (None, "Coatbridge", 240, "18.0"),
            (4, "Airdrie", 260, "22.0")]
    schools = []
    for cluster, area, roll, simd in spec:
        chosen = coatbridge if cluster is None else clusters[cluster]
        schools.append(make.establishment(authority, cluster_id=chosen.id, area=area, roll=roll,
                                          simd_q1_percent=Decimal(simd)))
    heads = [make.user("headteacher", establishments=[s]) for s in schools]
    other = make.authority("S12000049")
    elsewhere = make.establishment(other, cluster_id=make.cluster(other, area="Airdrie").id,
                                   area="Airdrie", roll=230)
    return TrioWorld(
        make=make, authority=authority, clusters=clusters, schools=schools, heads=heads,
        elsewhere=elsewhere, officer=make.user("officer", authority=authority),
        authority_admin=make.user("officer", authority=authority, authority_admin=True),
        other_officer=make.user("officer", authority=other), lead=make.user("regional_lead"),
        admin=make.admin(), outsider_head=make.user("headteacher", establishments=[elsewhere]),
    )


def create_trio(api: Any, world: TrioWorld, picks: tuple[int, ...] = (0, 1, 2),
                who: Any = None, **changes: Any) -> dict[str, Any]:
    answer = api.post(TRIOS, json=world.body(picks, **changes),
                      headers=world.headers(who or world.officer))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def rules_of(answer: Any) -> dict[str, set[str]]:
    """{rule: {establishment ids named}} from a 422."""
    assert answer.status_code == 422, answer.text
    found: dict[str, set[str]] = {}
    for violation in answer.json()["violations"]:
        found.setdefault(violation["rule"], set()).update(violation["establishment_ids"])
    return found
