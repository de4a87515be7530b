from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import Factory, PlanningFactory


@dataclass
class School:
    """A primary school in North Lanarkshire with the people around it."""

    establishment: Any
    head: dict[str, str]
    link_officer: dict[str, str]
    authority_admin: dict[str, str]
    other_officer: dict[str, str]
    other_head: dict[str, str]
    lead: dict[str, str]


@pytest.fixture
def school(make: Factory) -> School:
    link = make.user("officer")
    establishment = make.establishment(link_officer_id=link.id)
    return School(
        establishment=establishment,
        head=make.headers(make.user("headteacher", establishments=[establishment])),
        link_officer=make.headers(link),
        authority_admin=make.headers(make.user("officer", authority_admin=True)),
        other_officer=make.headers(make.user("officer")),
        other_head=make.headers(make.user("headteacher")),
        lead=make.headers(make.user("regional_lead")),
    )


@pytest.fixture
def planning(make: Factory) -> PlanningFactory:
    return PlanningFactory(make)


PRIORITY = {
    "title": "Raise attainment in numeracy",
    "nif_priorities": ["Improvement in achievement, particularly in literacy and numeracy"],
    "nif_drivers": ["Curriculum and assessment"],
    "indicator_codes": ["2.3", "3.2"],
    "rationale": "64% of P4 on track in numeracy.",
    "outcomes": [{"description": "P4 on track", "measure": "%", "baseline": "64",
                  "target": "75"}],
    "actions": [{"description": "Number talks", "lead": "DHT", "due": "2026-03-31",
                 "resources": "Twilight CLPL", "pef_funded": True}],
    "pef_allocation": "12500.50",
}
