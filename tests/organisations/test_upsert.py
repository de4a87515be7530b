"""PUT /establishments/by-code/{code}: the idempotent upsert council MIS integrations rely on."""

import uuid

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory

URL = "/api/v1/establishments/by-code"
GLASGOW = "S12000049"


def _body(**fields) -> dict:
    return {"name": "Sgoil Ghàidhlig Ghlaschu", "sector": "primary", "roll": 412,
            "simd_q1_percent": "23.50", "gaelic_medium": True, "area": "Glasgow North", **fields}


@pytest.fixture(autouse=True)
def glasgow_north(make: Factory):
    """The area the bodies name: an area of North Lanarkshire (writes name existing areas)."""
    return make.area(make.authority(), "Glasgow North")


@pytest.fixture
def mis(make: Factory):
    """A council MIS: an integration client bound to North Lanarkshire that writes establishments."""
    return make.client(["establishments:write"])


def test_first_put_creates_with_201_and_location(api, make: Factory, mis, db: Session):
    answer = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(mis))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["Location"] == f"/api/v1/establishments/{created['id']}"
    assert answer.headers["ETag"] == '"1"'
    assert created["code"] == "8000001" and created["version"] == 1
    assert created["authority_id"] == str(make.authority().id)  # the client's own authority
    assert db.get(Establishment, uuid.UUID(created["id"])).name == "Sgoil Ghàidhlig Ghlaschu"


def test_second_put_with_changes_updates_with_200(api, make: Factory, mis):
    first = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(mis)).json()
    answer = api.put(f"{URL}/8000001", json=_body(roll=430), headers=make.headers(mis))
    assert answer.status_code == 200, answer.text
    assert "Location" not in answer.headers
    assert answer.json()["id"] == first["id"]
    assert answer.json()["roll"] == 430 and answer.json()["version"] == 2
    assert answer.headers["ETag"] == '"2"'


def test_same_body_again_changes_nothing(api, make: Factory, mis, db: Session):
    first = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(mis)).json()
    audited = db.scalar(select(func.count()).select_from(AuditEvent))
    again = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(mis))
    assert again.status_code == 200, again.text
    assert again.json()["version"] == first["version"] == 1
    assert again.json()["updated_at"] == first["updated_at"]
    assert again.headers["ETag"] == '"1"'
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_put_keeps_what_it_leaves_out_and_clears_only_what_it_sends_as_null(
        api, make: Factory, mis):
    """A council MIS knows names, sectors and rolls, not the hub's clusters or link officers:
    its PUT must not wipe them."""
    cluster = make.cluster()
    officer = make.user("officer")
    created = api.put(f"{URL}/8000001", json=_body(cluster_id=str(cluster.id),
                                                   link_officer_id=str(officer.id)),
                      headers=make.headers(mis)).json()
    answer = api.put(f"{URL}/8000001", json={"name": "Renamed", "sector": "primary"},
                     headers=make.headers(mis))
    assert answer.status_code == 200, answer.text
    kept = answer.json()
    assert kept["name"] == "Renamed"
    for name in ("cluster_id", "link_officer_id", "area", "roll", "simd_q1_percent",
                 "gaelic_medium", "authority_id"):
        assert kept[name] == created[name], name
    cleared = api.put(f"{URL}/8000001", json={"name": "Renamed", "sector": "primary", "area": None},
                      headers=make.headers(mis)).json()
    assert cleared["area"] is None and cleared["roll"] == 412


def test_if_match_on_a_code_with_no_establishment_is_412_and_creates_nothing(
        api, make: Factory, mis, db: Session):
    answer = api.put(f"{URL}/8000009", json=_body(), headers=make.headers(mis, **{"If-Match": '"1"'}))
    assert_problem(answer, 412)
    assert db.scalars(select(Establishment)).all() == []


def test_if_match_is_optional_but_checked_when_sent(api, make: Factory, mis, db: Session):
    api.put(f"{URL}/8000001", json=_body(), headers=make.headers(mis))
    stale = api.put(f"{URL}/8000001", json=_body(roll=1),
                    headers=make.headers(mis, **{"If-Match": '"9"'}))
    assert_problem(stale, 412)
    assert db.scalars(select(Establishment)).one().roll == 412
    fresh = api.put(f"{URL}/8000001", json=_body(roll=2),
                    headers=make.headers(mis, **{"If-Match": '"1"'}))
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["roll"] == 2


def test_urn_codes_are_accepted(api, make: Factory, mis):
    answer = api.put(f"{URL}/100000", json=_body(), headers=make.headers(mis))
    assert answer.status_code == 201, answer.text
    assert answer.json()["code_scheme"] == "urn"


@pytest.mark.parametrize("code", ["12345", "12345678", "80000x1", "%20800000"])
def test_codes_in_the_path_that_are_neither_seed_nor_urn_are_422(api, make: Factory, mis, code):
    assert_problem(api.put(f"{URL}/{code}", json=_body(), headers=make.headers(mis)), 422,
                   loc=["path", "code"])


def test_a_code_in_the_body_is_rejected(api, make: Factory, mis):
    answer = api.put(f"{URL}/8000001", json=_body(code="8000002"), headers=make.headers(mis))
    assert_problem(answer, 422, loc=["body", "code"])


def test_client_without_establishments_write_gets_403(api, make: Factory, db: Session):
    reader = make.client(["establishments:read", "summaries:read"])
    assert_problem(api.put(f"{URL}/8000001", json=_body(), headers=make.headers(reader)), 403)
    assert db.scalar(select(func.count()).select_from(Establishment)) == 0


def test_client_without_establishments_write_gets_403_on_existing(api, make: Factory, db: Session):
    school = make.establishment(code="8000001")
    reader = make.client(["establishments:read"])
    assert_problem(api.put(f"{URL}/8000001", json=_body(), headers=make.headers(reader)), 403)
    assert db.get(Establishment, school.id).name == school.name


def test_client_without_any_establishment_scope_gets_403_even_if_the_code_exists(
        api, make: Factory, db: Session):
    school = make.establishment(code="8000001")
    portal = make.client(["summaries:read"])
    assert_problem(api.put(f"{URL}/8000001", json=_body(), headers=make.headers(portal)), 403)
    assert db.get(Establishment, school.id).name == school.name


def test_client_may_not_upsert_into_another_authority(api, make: Factory, mis, db: Session):
    glasgow = make.authority(GLASGOW)
    answer = api.put(f"{URL}/8000001", json=_body(authority_id=str(glasgow.id)),
                     headers=make.headers(mis))
    assert_problem(answer, 403)
    assert db.scalar(select(func.count()).select_from(Establishment)) == 0


def test_client_may_not_take_over_another_authoritys_code(api, make: Factory, mis, db: Session):
    glasgow_school = make.establishment(make.authority(GLASGOW), code="8000001")
    answer = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(mis))
    assert_problem(answer, 409)
    assert db.get(Establishment, glasgow_school.id).name == glasgow_school.name
    assert db.get(Establishment, glasgow_school.id).authority_id == make.authority(GLASGOW).id


def test_client_may_not_move_a_school_to_another_authority(api, make: Factory, mis, db: Session):
    school = make.establishment(code="8000001")
    answer = api.put(f"{URL}/8000001", json=_body(authority_id=str(make.authority(GLASGOW).id)),
                     headers=make.headers(mis))
    assert_problem(answer, 403)
    assert db.get(Establishment, school.id).authority_id == make.authority().id


def test_authority_admin_upserts_in_own_authority(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    answer = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(admin))
    assert answer.status_code == 201, answer.text
    assert answer.json()["authority_id"] == str(make.authority().id)


def test_service_admin_bound_to_no_authority_must_name_one(api, make: Factory):
    answer = api.put(f"{URL}/8000001", json=_body(), headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", "authority_id"])


def test_upsert_checks_the_same_rules_as_create(api, make: Factory, mis):
    foreign = make.cluster(make.authority(GLASGOW))
    answer = api.put(f"{URL}/8000001", json=_body(cluster_id=str(foreign.id)), headers=make.headers(mis))
    assert_problem(answer, 422, loc=["body", "cluster_id"])
    assert_problem(api.put(f"{URL}/8000001", json=_body(roll=-5), headers=make.headers(mis)), 422,
                   loc=["body", "roll"])
    assert_problem(api.put(f"{URL}/8000001", json=_body(extra=1), headers=make.headers(mis)), 422,
                   loc=["body", "extra"])
