"""A school's address, contact details and location (issue #16, point 1): written through the
API under the contract's rules, answered by every read (one school, a page, a write), and the
authority's to change, as the rest of a school's register entry is."""

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from app.organisations.models import Establishment
from app.organisations.schemas import SchoolYear
from app.organisations.service import _establishment_read
from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.organisations.payloads import establishment_body

URL = "/api/v1/establishments"
# Made up, in the shape the Scottish Government's register writes them.
DETAILS: dict[str, Any] = {
    "denomination": "roman_catholic", "address_lines": ["12 Example Drive", "GLASGOW"],
    "postcode": "G41 5DU", "phone": "0141 496 0123", "email": "headteacher@school.example.org",
    "website": "https://school.example.org/", "uprn": "906700190750", "data_zone": "S01009871",
    "urban_rural_6fold": 1, "urban_rural_8fold": 1, "latitude": 55.8460777,
    "longitude": -4.2840245,
}
STORED = {**DETAILS, "latitude": Decimal("55.8460777"), "longitude": Decimal("-4.2840245")}


def _patch(api, make: Factory, who, school: Establishment, body: dict, version: int = 1):
    return api.patch(f"{URL}/{school.id}", json=body,
                     headers=make.headers(who, **{"If-Match": f'"{version}"'}))


def _stored(db: Session, school: Establishment) -> Establishment:
    db.expire_all()
    found = db.get(Establishment, school.id)
    assert found is not None
    return found


def test_a_school_is_created_with_its_details_and_reads_them_back(api, make: Factory):
    admin = make.headers(make.admin())
    body = establishment_body(make.authority(), **{
        **DETAILS, "postcode": "g41  5du", "email": "HeadTeacher@School.Example.org",
        "latitude": "55.84607774"})
    answer = api.post(URL, json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    # Written as stored: the postcode as Royal Mail writes it, the mailbox in lower case, the
    # coordinates to 7 places.
    assert {k: answer.json()[k] for k in DETAILS} == DETAILS
    read = api.get(answer.headers["Location"], headers=admin).json()
    assert {k: read[k] for k in DETAILS} == DETAILS
    listed = api.get(URL, params={"q": body["code"]}, headers=admin).json()["items"]
    assert {k: listed[0][k] for k in DETAILS} == DETAILS


def test_a_school_without_them_has_nulls(api, make: Factory):
    school = make.establishment()
    answer = api.get(f"{URL}/{school.id}", headers=make.headers(make.admin()))
    assert {k: answer.json()[k] for k in DETAILS} == dict.fromkeys(DETAILS)


def test_the_reads_write_them_as_the_read_model_does(api, make: Factory, db: Session):
    """The hot reads build the document from driver values: with every detail set (a JSON
    list, decimals, a StrEnum), byte for byte what EstablishmentRead writes."""
    school = make.establishment(**STORED)
    bare = make.establishment(name="Zz Last Primary")
    officer = make.user("officer")
    expected = []
    for record in (school, bare):
        db.refresh(record)
        answer = api.get(f"{URL}/{record.id}", headers=make.headers(officer))
        # The school's year is the reads' own (tests/organisations/test_school_year.py).
        year = SchoolYear.model_validate(answer.json()["current"])
        read = _establishment_read(db, record).model_copy(update={"current": year})
        expected.append(read.__pydantic_serializer__.to_json(read))
        assert answer.content == expected[-1]
    page = api.get(URL, headers=make.headers(officer))
    assert page.content == b'{"items":[' + b",".join(expected) + b'],"next_cursor":null}'


def test_the_upsert_by_code_keeps_what_it_leaves_out(api, make: Factory, db: Session):
    school = make.establishment(**STORED)
    client = make.client(["establishments:write"])
    answer = api.put(f"{URL}/by-code/{school.code}", headers=make.headers(client), json={
        "name": school.name, "sector": "primary", "phone": "0141 496 0999"})
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in DETAILS} == {**DETAILS, "phone": "0141 496 0999"}
    assert _stored(db, school).version == 2


@pytest.mark.parametrize(("field", "value"), [
    ("email", "headteacher.school.example.org"),
    ("email", "head teacher@school.example.org"),
    ("data_zone", "S02009871"),
    ("data_zone", "S0100987"),
    ("latitude", 51.4545),  # Bristol: not in Scotland
    ("latitude", -4.2840245),  # the longitude, swapped in
    ("longitude", 55.8460777),
    ("longitude", 275178),  # a grid easting
    ("postcode", "GLASGOW"),
    ("postcode", "G41 5D"),
    ("website", "www.school.example.org"),
    ("website", "ftp://school.example.org/"),
    ("website", "javascript:alert(1)"),
    ("uprn", "9067001907501"),
    ("uprn", "UPRN906700"),
    ("phone", "not available yet"),
    ("denomination", "Church of Scotland"),
    ("denomination", "Roman Catholic"),  # the API takes the vocabulary; imports read the texts
    ("urban_rural_6fold", 7),
    ("urban_rural_8fold", 0),
    ("urban_rural_6fold", "1"),
    ("address_lines", ["12 Example Drive\nGLASGOW"]),
    ("address_lines", ["1", "2", "3", "4", "5"]),
    ("address_lines", [" "]),
    ("address_lines", "12 Example Drive"),
])
def test_a_value_outside_the_contract_is_refused_and_nothing_is_written(
        api, make: Factory, db: Session, field: str, value: Any):
    school = make.establishment(**STORED)
    answer = _patch(api, make, make.admin(), school, {"roll": 321, field: value})
    problem = assert_problem(answer, 422)
    assert [e["loc"][:2] for e in problem["errors"]] == [["body", field]], problem["errors"]
    stored = _stored(db, school)
    assert (stored.version, stored.roll) == (1, school.roll)
    assert {k: getattr(stored, k) for k in STORED} == STORED


def test_null_clears_a_detail_and_an_empty_address_is_none(api, make: Factory, db: Session):
    school = make.establishment(**STORED)
    answer = _patch(api, make, make.admin(), school, {"website": None, "address_lines": []})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["website"], answer.json()["address_lines"]) == (None, None)
    stored = _stored(db, school)
    assert (stored.website, stored.address_lines, stored.phone) == (None, None, DETAILS["phone"])


@pytest.mark.parametrize("who", ["admin", "authority_admin", "client"])
def test_the_authority_keeps_them(api, make: Factory, db: Session, who: str):
    school = make.establishment()
    caller = {"admin": lambda: make.admin(),
              "authority_admin": lambda: make.user("officer", authority_admin=True),
              "client": lambda: make.client(["establishments:write"])}[who]()
    answer = _patch(api, make, caller, school, DETAILS)
    assert answer.status_code == 200, answer.text
    assert {k: getattr(_stored(db, school), k) for k in STORED} == STORED


def test_a_link_officer_may_not_change_them(api, make: Factory, db: Session):
    """They come from the council's register and every visiting officer relies on them: the
    link officer's own fields (policy LINK_OFFICER_FIELDS) do not include them."""
    officer = make.user("officer")
    school = make.establishment(link_officer_id=officer.id, **STORED)
    answer = _patch(api, make, officer, school, {
        "roll": 321, "phone": "0141 496 0999", "denomination": "non_denominational",
        "latitude": 55.9})
    problem = assert_problem(answer, 403)
    assert sorted(e["loc"][-1] for e in problem["errors"]) == ["denomination", "latitude", "phone"]
    stored = _stored(db, school)
    assert (stored.version, stored.phone, stored.roll) == (1, DETAILS["phone"], school.roll)
    # Sent back as GET answers them, unchanged, they are no change: accepted.
    echoed = api.get(f"{URL}/{school.id}", headers=make.headers(officer)).json()
    again = _patch(api, make, officer, school, {**{k: echoed[k] for k in DETAILS}, "roll": 321})
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 2


def test_a_headteacher_may_not_change_them(api, make: Factory, db: Session):
    school = make.establishment(**STORED)
    head = make.user("headteacher", establishments=[school])
    answer = _patch(api, make, head, school, {"phone": "0141 496 0999"})
    assert_problem(answer, 403)
    assert _stored(db, school).phone == DETAILS["phone"]


def test_the_etag_changes_with_them(api, make: Factory):
    school = make.establishment(**STORED)
    admin = make.admin()
    first = api.get(f"{URL}/{school.id}", headers=make.headers(admin))
    etag = first.headers["ETag"]
    assert api.get(f"{URL}/{school.id}",
                   headers=make.headers(admin, **{"If-None-Match": etag})).status_code == 304
    same = _patch(api, make, admin, school, {"postcode": "g415du", "latitude": "55.8460777"})
    # Stored as it was: no change, the same version (the read's tag adds the school's year).
    assert (same.status_code, same.headers["ETag"]) == (200, '"1"')
    assert etag.startswith('"1.')
    moved = _patch(api, make, admin, school, {"latitude": 55.8460778})
    assert moved.status_code == 200, moved.text
    assert moved.headers["ETag"] == '"2"'
    fresh = api.get(f"{URL}/{school.id}", headers=make.headers(admin, **{"If-None-Match": etag}))
    assert fresh.status_code == 200
    assert fresh.json()["latitude"] == 55.8460778
    assert fresh.headers["ETag"] == etag.replace('"1.', '"2.')


def test_the_contract_documents_them(api):
    document = api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    update = schemas["EstablishmentUpdate"]["properties"]
    read = schemas["EstablishmentRead"]
    assert set(DETAILS) <= set(update) and set(DETAILS) <= set(read["required"])
    assert "6 Remote Rural Areas" in json.dumps(read["properties"]["urban_rural_6fold"])
    operation = document["paths"]["/api/v1/establishments/{establishment_id}"]["patch"]
    for field in DETAILS:
        assert f"`{field}`" in operation["description"], field
