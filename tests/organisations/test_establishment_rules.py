"""Establishment writes that break a rule: a 422 naming the field (or 409), and nothing stored."""

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.organisations.payloads import establishment_body

URL = "/api/v1/establishments"
GLASGOW = "S12000049"


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def admin(make: Factory):
    return make.user("officer", authority_admin=True)


def _create(api, make: Factory, who, **fields):
    return api.post(URL, json=establishment_body(make.authority(), **fields), headers=make.headers(who))


@pytest.mark.parametrize(("code", "scheme"), [("8000001", "seed"), ("100000", "urn")])
def test_seed_codes_and_urns_are_accepted(api, make: Factory, admin, code, scheme):
    answer = _create(api, make, admin, code=code)
    assert answer.status_code == 201, answer.text
    assert answer.json()["code_scheme"] == scheme


FULL_WIDTH_SEED = "\uff18\uff10\uff10\uff10\uff10\uff10\uff11"  # looks like 8000001


@pytest.mark.parametrize("code", ["12345", "12345678", "80000a1", "", " 8000001", FULL_WIDTH_SEED])
def test_codes_that_are_neither_seed_nor_urn_are_422(api, make: Factory, db: Session, admin, code):
    assert_problem(_create(api, make, admin, code=code), 422, loc=["body", "code"])
    assert _count(db, Establishment) == 0


@pytest.mark.parametrize(("field", "value"), [
    ("sector", "college"),
    ("roll", -1),
    ("roll", "many"),
    ("simd_q1_percent", -0.01),
    ("simd_q1_percent", 100.01),
    ("status", "demolished"),
    ("name", ""),
    ("name", "x" * 201),
    ("gaelic_medium", "perhaps"),
    ("gaelic_medium", 0),  # JSON types are taken at their word
    ("roll", "210"),
    ("roll", True),
])
def test_out_of_range_fields_are_422_naming_the_field(api, make: Factory, db: Session, admin,
                                                      field, value):
    body = assert_problem(_create(api, make, admin, **{field: value}), 422, loc=["body", field])
    assert body["errors"][0]["msg"]
    assert _count(db, Establishment) == 0


@pytest.mark.parametrize("percent", [0, 100, "37.25"])
def test_simd_percent_boundaries_are_accepted(api, make: Factory, admin, percent):
    answer = _create(api, make, admin, simd_q1_percent=percent)
    assert answer.status_code == 201, answer.text
    assert answer.json()["simd_q1_percent"] == float(percent)


@pytest.mark.parametrize("sector", ["elc", "primary", "secondary", "special", "all_through"])
def test_every_listed_sector_is_accepted(api, make: Factory, admin, sector):
    assert _create(api, make, admin, sector=sector).status_code == 201


def test_unknown_fields_are_rejected_not_ignored(api, make: Factory, db: Session, admin):
    assert_problem(_create(api, make, admin, headteacher="Mrs Smith"), 422, loc=["body", "headteacher"])
    assert _count(db, Establishment) == 0
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 5, "colour": "blue"},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422, loc=["body", "colour"])
    assert db.get(Establishment, school.id).roll != 5


@pytest.mark.parametrize("field", ["name", "sector", "roll", "status", "gaelic_medium", "code"])
def test_explicit_null_for_a_required_field_is_422(api, make: Factory, db: Session, admin, field):
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={field: None},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422, loc=["body", field])
    assert db.get(Establishment, school.id).version == 1


def test_cluster_of_another_authority_is_422_on_create(api, make: Factory, db: Session, admin):
    foreign = make.cluster(make.authority(GLASGOW))
    assert_problem(_create(api, make, admin, cluster_id=str(foreign.id)), 422, loc=["body", "cluster_id"])
    assert _count(db, Establishment) == 0


def test_cluster_of_another_authority_is_422_on_patch(api, make: Factory, db: Session, admin):
    school = make.establishment()
    foreign = make.cluster(make.authority(GLASGOW))
    answer = api.patch(f"{URL}/{school.id}", json={"cluster_id": str(foreign.id)},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422, loc=["body", "cluster_id"])
    assert db.get(Establishment, school.id).cluster_id is None


def test_unknown_cluster_is_422(api, make: Factory, admin):
    assert_problem(_create(api, make, admin, cluster_id=str(make.id())), 422, loc=["body", "cluster_id"])


def test_own_cluster_is_accepted(api, make: Factory, admin):
    cluster = make.cluster()
    answer = _create(api, make, admin, cluster_id=str(cluster.id))
    assert answer.status_code == 201, answer.text
    assert answer.json()["cluster_id"] == str(cluster.id)


def test_link_officer_from_another_authority_is_422(api, make: Factory, admin):
    foreign = make.user("officer", authority=make.authority(GLASGOW))
    answer = _create(api, make, admin, link_officer_id=str(foreign.id))
    assert_problem(answer, 422, loc=["body", "link_officer_id"])


def test_link_officer_who_is_not_an_officer_is_422(api, make: Factory, db: Session, admin):
    head = make.user("headteacher")
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"link_officer_id": str(head.id)},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422, loc=["body", "link_officer_id"])
    assert db.get(Establishment, school.id).link_officer_id is None


def test_unknown_link_officer_is_422(api, make: Factory, admin):
    answer = _create(api, make, admin, link_officer_id=str(make.id()))
    assert_problem(answer, 422, loc=["body", "link_officer_id"])


def test_unknown_authority_is_422(api, make: Factory):
    body = establishment_body(make.authority(), authority_id=str(make.id()))
    answer = api.post(URL, json=body, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", "authority_id"])


def test_duplicate_code_is_409_and_writes_nothing(api, make: Factory, db: Session, admin):
    existing = make.establishment()
    answer = _create(api, make, admin, code=existing.code)
    assert_problem(answer, 409)
    assert _count(db, Establishment) == 1
    assert _count(db, AuditEvent) == 0


def test_patching_to_a_taken_code_is_409(api, make: Factory, db: Session, admin):
    taken = make.establishment()
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"code": taken.code},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 409)
    assert db.get(Establishment, school.id).code != taken.code


@pytest.mark.parametrize("name", ["Bad\x00Name", "Bell\x07School", "Esc\x1b[31mape"])
def test_control_characters_in_names_are_422_never_500(api, make: Factory, db: Session, admin, name):
    assert_problem(_create(api, make, admin, name=name), 422, loc=["body", "name"])
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"area": name},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422, loc=["body", "area"])
    assert _count(db, AuditEvent) == 0


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "bell\x07"])
def test_control_characters_in_a_search_are_422_never_500(api, make: Factory, q):
    answer = api.get(URL, params={"q": q}, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["query", "q"])


@pytest.mark.parametrize("name", [
    "Sgoil Ghàidhlig Ghlaschu", "Bun-sgoil Ìle", "Ysgol Gymraeg Aberystwyth \u2013 Ŵ", "学校 🏫",
])
def test_unicode_names_round_trip_exactly(api, make: Factory, admin, name):
    make.area(make.authority(), "Gàidhealtachd")
    answer = _create(api, make, admin, name=name, area="Gàidhealtachd")
    assert answer.status_code == 201, answer.text
    fetched = api.get(f"{URL}/{answer.json()['id']}", headers=make.headers(admin)).json()
    assert fetched["name"] == name and fetched["area"] == "Gàidhealtachd"


@pytest.mark.parametrize("text", [
    "Robert'); DROP TABLE establishment;--",
    "<script>alert(1)</script>",
    "\" OR 1=1 --",
    "{{7*7}} ${7*7}",
])
def test_sql_and_markup_are_stored_and_returned_verbatim(api, make: Factory, db: Session, admin, text):
    make.area(make.authority(), text)
    answer = _create(api, make, admin, name=text, area=text)
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    fetched = api.get(f"{URL}/{answer.json()['id']}", headers=make.headers(admin))
    assert fetched.json()["name"] == text and fetched.json()["area"] == text
    listed = api.get(URL, params={"q": text[:20]}, headers=make.headers(admin)).json()["items"]
    assert [e["name"] for e in listed] == [text]
    assert _count(db, Establishment) == 1  # the table still exists, with the row in it
