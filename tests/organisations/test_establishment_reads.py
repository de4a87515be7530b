"""The hot reads (the caller behind a token, one school, a page of schools) run on the read
connections (core/reads.py) and cache nothing but compiled SQL: a revocation, a deactivation,
a lost headteacher link and every write are seen by the very next request."""

import asyncio
import uuid

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from app.identity.models import HeadteacherEstablishment
from tests.factories import Factory

URL = "/api/v1/establishments"


def test_a_revoked_access_token_is_refused_on_the_next_read(api, make: Factory):
    school = make.establishment()
    token = make.token(make.user("officer"))
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get(f"{URL}/{school.id}", headers=bearer).status_code == 200
    assert api.post("/api/v1/auth/revoke", data={"token": token}, headers=bearer).status_code == 200
    assert api.get(f"{URL}/{school.id}", headers=bearer).status_code == 401
    assert api.get(URL, headers=bearer).status_code == 401


def test_a_deactivated_account_is_refused_on_the_next_read(api, make: Factory, db: Session):
    school = make.establishment()
    officer = make.user("officer")
    headers = make.headers(officer)
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 200
    officer.active = False
    db.add(officer)
    db.commit()
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 401


def test_a_headteacher_who_loses_a_school_stops_reading_it_at_once(api, make: Factory,
                                                                   db: Session):
    school = make.establishment()
    head = make.user("headteacher", establishments=[school])
    headers = make.headers(head)
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 200
    link = db.get(HeadteacherEstablishment, (head.id, school.id))
    db.delete(link)
    db.commit()
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 404
    assert api.get(URL, headers=headers).json()["items"] == []


def test_a_write_is_read_back_at_once_with_its_new_version(api, make: Factory):
    school = make.establishment()
    admin = make.headers(make.admin())
    first = api.get(f"{URL}/{school.id}", headers=admin)
    changed = api.patch(f"{URL}/{school.id}", json={"name": "Renamed Primary"},
                        headers={**admin, "If-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    again = api.get(f"{URL}/{school.id}", headers={**admin, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.json()["name"] == "Renamed Primary"
    assert again.headers["ETag"] != first.headers["ETag"]
    assert again.headers["ETag"].startswith(changed.headers["ETag"].rstrip('"') + ".")
    assert [s["name"] for s in api.get(URL, headers=admin).json()["items"]] == ["Renamed Primary"]


def test_a_new_headteacher_shows_on_the_school_at_once(api, make: Factory):
    school = make.establishment()
    officer = make.headers(make.user("officer"))
    assert api.get(f"{URL}/{school.id}", headers=officer).json()["headteacher_ids"] == []
    head = make.user("headteacher", establishments=[school])
    assert api.get(f"{URL}/{school.id}", headers=officer).json()["headteacher_ids"] == [str(head.id)]


def test_a_regional_lead_and_a_regional_client_read_the_schools_of_their_region(api, make: Factory):
    """The caller's reach (the region's authorities) comes with the caller, in one statement."""
    ours = [make.establishment(make.authority(code)) for code in ("S12000050", "S12000049")]
    elsewhere = make.establishment(make.authority("S12000036"))  # Edinburgh: another region
    lead = make.headers(make.user("regional_lead"))
    client = make.headers(make.client(["establishments:read"], region=make.region()))
    for headers in (lead, client):
        listed = {s["id"] for s in api.get(URL, params={"limit": 500}, headers=headers).json()["items"]}
        assert listed == {str(s.id) for s in ours}
        assert api.get(f"{URL}/{elsewhere.id}", headers=headers).status_code == 404
        assert api.get(f"{URL}/{ours[1].id}", headers=headers).status_code == 200


def test_a_client_losing_a_scope_or_deactivated_is_refused_at_once(api, make: Factory, db: Session):
    school = make.establishment()
    client = make.client(["establishments:read"])
    headers = make.headers(client)
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 200
    client.scopes = ["visits:write"]
    db.add(client)
    db.commit()
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 404
    client.active = False
    db.add(client)
    db.commit()
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 401


def test_more_concurrent_reads_than_read_connections_all_answer(app: FastAPI, make: Factory):
    """Four times as many reads at once as the read pool holds: slower, never refused."""
    schools = [make.establishment() for _ in range(4)]
    headers = make.headers(make.user("officer"))
    many = 4 * app.state.settings.db_read_pool_size

    async def read_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            try:
                answers = await asyncio.gather(*[
                    client.get(f"{URL}/{schools[n % 4].id}" if n % 2 else URL, headers=headers)
                    for n in range(many)])
            finally:
                await app.state.reads.close()
        return [a.status_code for a in answers]

    assert asyncio.run(read_all()) == [200] * many


def test_an_unknown_school_is_404_and_a_malformed_cursor_422(api, make: Factory):
    headers = make.headers(make.admin())
    assert api.get(f"{URL}/{uuid.uuid4()}", headers=headers).status_code == 404
    answer = api.get(URL, params={"cursor": "not-ours"}, headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_pages_filters_and_bounds_of_the_list(api, make: Factory):
    """A cursor gives the next page, a filter its schools, a limit out of bounds 422."""
    schools = sorted((make.establishment() for _ in range(3)), key=lambda s: s.name)
    headers = make.headers(make.user("officer"))
    api.get(URL, headers=headers)
    first = api.get(URL, params={"limit": 1}, headers=headers).json()
    assert [s["id"] for s in first["items"]] == [str(schools[0].id)]
    second = api.get(URL, params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers)
    assert [s["id"] for s in second.json()["items"]] == [str(schools[1].id)]
    assert api.get(URL, params={"limit": 0}, headers=headers).status_code == 422
    assert api.get(URL, params={"limit": 100_000}, headers=headers).status_code == 422
    named = api.get(URL, params={"q": schools[2].name}, headers=headers).json()["items"]
    assert [s["id"] for s in named] == [str(schools[2].id)]
