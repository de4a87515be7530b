"""The people around CLPL events: North Lanarkshire (West Partnership) with its authority
admin, a plain officer and two headteachers; the West Partnership's regional lead; and the
South East's lead and an Edinburgh headteacher, who see none of it."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import Factory

EVENTS = "/api/v1/clpl-events"


@dataclass
class World:
    authority: Any  # North Lanarkshire
    region: Any  # the West Partnership
    other_region: Any  # the South East
    school: Any
    other_school: Any
    admin: dict[str, str]
    authority_admin: dict[str, str]
    officer: dict[str, str]
    head: dict[str, str]
    other_head: dict[str, str]
    lead: dict[str, str]
    other_lead: dict[str, str]
    far_head: dict[str, str]  # an Edinburgh headteacher


@pytest.fixture
def world(make: Factory) -> World:
    authority = make.authority("S12000050")
    region, other_region = make.region("west-partnership"), make.region("south-east")
    school, other_school = make.establishment(authority), make.establishment(authority)
    edinburgh = make.establishment(make.authority("S12000036"))
    return World(
        authority=authority, region=region, other_region=other_region, school=school,
        other_school=other_school,
        admin=make.headers(make.admin()),
        authority_admin=make.headers(make.user("officer", authority=authority, authority_admin=True)),
        officer=make.headers(make.user("officer", authority=authority)),
        head=make.headers(make.user("headteacher", establishments=[school])),
        other_head=make.headers(make.user("headteacher", establishments=[other_school])),
        lead=make.headers(make.user("regional_lead", region=region)),
        other_lead=make.headers(make.user("regional_lead", region=other_region)),
        far_head=make.headers(make.user("headteacher", establishments=[edinburgh])),
    )


def at(days: float, hours: float = 0) -> str:
    """An RFC 3339 time this many days from now (negative: in the past)."""
    moment = datetime.now(UTC) + timedelta(days=days, hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def event_body(owner: dict[str, str], **changes: Any) -> dict[str, Any]:
    return {"title": "Moderation of writing at second level", "level": "additional",
            "provider": "North Lanarkshire Council", "audience": ["teachers", "middle_leaders"],
            "indicator_codes": ["2.3"], "nif_drivers": ["Teacher and practitioner professionalism"],
            "starts_at": at(30), "ends_at": at(30, 2), "location": "Motherwell Civic Centre",
            "capacity": 20, **owner, **changes}


def create_event(api: Any, world: World, headers: dict[str, str] | None = None, *,
                 regional: bool = False, **changes: Any) -> dict[str, Any]:
    owner = ({"region_id": str(world.region.id)} if regional
             else {"authority_id": str(world.authority.id)})
    answer = api.post(EVENTS, json=event_body(owner, **changes),
                      headers=headers or (world.lead if regional else world.authority_admin))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def person(name: str, school: Any | None = None, role: str = "Class teacher",
           email: str | None = None) -> dict[str, Any]:
    return {"participant": {
        "name": name, "email": email or f"{name.lower().replace(' ', '.')}@school.example.scot",
        "establishment_id": str(school.id) if school is not None else None, "role": role}}


def book(api: Any, event: dict[str, Any], headers: dict[str, str], name: str,
         school: Any | None = None, **options: Any) -> Any:
    return api.post(f"{EVENTS}/{event['id']}/registrations", json=person(name, school, **options),
                    headers=headers)


def booked(api: Any, event: dict[str, Any], headers: dict[str, str], name: str,
           school: Any | None = None, **options: Any) -> dict[str, Any]:
    answer = book(api, event, headers, name, school, **options)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def registrations(api: Any, event: dict[str, Any], headers: dict[str, str],
                  **params: Any) -> list[dict[str, Any]]:
    answer = api.get(f"{EVENTS}/{event['id']}/registrations", params={"limit": 500, **params},
                     headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def cancel(api: Any, event: dict[str, Any], registration: dict[str, Any],
           headers: dict[str, str], *, if_match: str | None = None) -> Any:
    """DELETE a registration with If-Match, as every DELETE needs: the given ETag, or the one
    the registration has now (read first, as a client would; where the caller may not read it,
    the refusal is what the test is about)."""
    url = f"{EVENTS}/{event['id']}/registrations/{registration['id']}"
    if if_match is None:
        if_match = api.get(url, headers=headers).headers.get("ETag", '"1"')
    return api.delete(url, headers={**headers, "If-Match": if_match})


def patch_event(api: Any, event: dict[str, Any], body: dict[str, Any],
                headers: dict[str, str]) -> Any:
    etag = api.get(f"{EVENTS}/{event['id']}", headers=headers).headers["ETag"]
    return api.patch(f"{EVENTS}/{event['id']}", json=body, headers={**headers, "If-Match": etag})
