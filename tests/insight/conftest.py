from dataclasses import dataclass

import pytest
from sqlmodel import Session

from tests.factories import Factory
from tests.insight.world import NL, World, build


@pytest.fixture
def world(make: Factory, db: Session) -> World:
    return build(make, db)


@dataclass
class Callers:
    admin: dict[str, str]
    nl_officer: dict[str, str]
    nl_admin: dict[str, str]
    gc_admin: dict[str, str]
    lead: dict[str, str]
    other_lead: dict[str, str]
    headteacher: dict[str, str]
    region_client: dict[str, str]
    nl_client: dict[str, str]
    unscoped_client: dict[str, str]


@pytest.fixture
def callers(make: Factory, world: World) -> Callers:
    return Callers(
        admin=make.headers(make.admin()),
        nl_officer=make.headers(make.user("officer", authority=world.nl)),
        nl_admin=make.headers(make.user("officer", authority=world.nl, authority_admin=True)),
        gc_admin=make.headers(make.user("officer", authority=world.gc, authority_admin=True)),
        lead=make.headers(make.user("regional_lead", region=world.region)),
        other_lead=make.headers(make.user("regional_lead", region=world.other_region)),
        headteacher=make.headers(make.user("headteacher", establishments=[world.schools["A1"]])),
        region_client=make.headers(make.client(["summaries:read"], region=world.region)),
        nl_client=make.headers(make.client(["summaries:read"], authority=make.authority(NL))),
        unscoped_client=make.headers(make.client(["establishments:read"], region=world.region)),
    )


def authority_url(authority_id: object, session: str = "2024-25") -> str:
    return f"/api/v1/summaries/authorities/{authority_id}?session={session}"


def region_url(region_id: object, session: str = "2024-25") -> str:
    return f"/api/v1/summaries/regions/{region_id}?session={session}"
