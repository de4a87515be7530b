"""Regions (RICs) and local authorities: read by every user, created by the service admin;
authority admins keep their own authority's settings."""

import pytest
from sqlmodel import Session

from app.organisations.models import Authority, Region
from tests.core.problems import assert_problem
from tests.factories import Factory

REGIONS = "/api/v1/regions"
AUTHORITIES = "/api/v1/authorities"
NORTH_LANARKSHIRE = "S12000050"
GLASGOW = "S12000049"


def test_every_user_lists_the_six_collaboratives(api, make: Factory):
    head = make.user("headteacher")
    answer = api.get(REGIONS, headers=make.headers(head))
    assert answer.status_code == 200, answer.text
    regions = answer.json()["items"]
    assert len(regions) == 6 and answer.json()["next_cursor"] is None
    west = next(r for r in regions if r["code"] == "west-partnership")
    assert len(west["authority_ids"]) == 8
    assert str(make.authority(GLASGOW).id) in west["authority_ids"]


def test_every_user_lists_the_32_councils(api, make: Factory):
    answer = api.get(AUTHORITIES, params={"limit": 500}, headers=make.headers(make.user("officer")))
    assert answer.status_code == 200, answer.text
    authorities = answer.json()["items"]
    assert len(authorities) == 32
    codes = [a["code"] for a in authorities]
    assert codes == sorted(codes)


def test_authorities_filter_by_region_and_name(api, make: Factory):
    west = make.region("west-partnership")
    headers = make.headers(make.user("officer"))
    in_west = api.get(AUTHORITIES, params={"region_id": str(west.id)}, headers=headers).json()["items"]
    assert len(in_west) == 8 and {a["region_id"] for a in in_west} == {str(west.id)}
    found = api.get(AUTHORITIES, params={"q": "lanark"}, headers=headers).json()["items"]
    assert {a["name"] for a in found} == {"North Lanarkshire", "South Lanarkshire"}


def test_get_region_and_authority_carry_an_etag(api, make: Factory):
    headers = make.headers(make.user("regional_lead"))
    region = api.get(f"{REGIONS}/{make.region().id}", headers=headers)
    assert region.status_code == 200 and region.headers["ETag"] == f'"{region.json()["version"]}"'
    authority = api.get(f"{AUTHORITIES}/{make.authority().id}", headers=headers)
    assert authority.status_code == 200
    assert authority.json()["code"] == NORTH_LANARKSHIRE
    assert authority.json()["min_visits_per_session"] == 4
    assert authority.headers["ETag"] == f'"{authority.json()["version"]}"'


def test_unknown_region_is_404(api, make: Factory):
    assert_problem(api.get(f"{REGIONS}/{make.id()}", headers=make.headers(make.admin())), 404)


def test_admin_creates_a_region(api, make: Factory, db: Session):
    answer = api.post(REGIONS, json={"code": "test-collaborative", "name": "Test Collaborative"},
                      headers=make.headers(make.admin()))
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"{REGIONS}/{answer.json()['id']}"
    assert answer.json()["authority_ids"] == []
    assert db.query(Region).filter(Region.code == "test-collaborative").count() == 1


@pytest.mark.parametrize("role", ["officer", "headteacher", "regional_lead"])
def test_only_admin_creates_regions(api, make: Factory, role):
    who = make.user(role, authority_admin=role == "officer")
    answer = api.post(REGIONS, json={"code": "rogue", "name": "Rogue"}, headers=make.headers(who))
    assert_problem(answer, 403)


def test_duplicate_region_code_is_409(api, make: Factory):
    answer = api.post(REGIONS, json={"code": "west-partnership", "name": "Again"},
                      headers=make.headers(make.admin()))
    assert_problem(answer, 409)


@pytest.mark.parametrize("code", ["West", "x", "has space", "-leading"])
def test_region_codes_are_lowercase_slugs(api, make: Factory, code):
    answer = api.post(REGIONS, json={"code": code, "name": "Bad"}, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", "code"])


def _new_region(api, make: Factory) -> dict:
    """A region of the test's own, so reference rows stay as every other test expects them."""
    answer = api.post(REGIONS, json={"code": "test-collaborative", "name": "Test Collaborative"},
                      headers=make.headers(make.admin()))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _new_authority(api, make: Factory) -> dict:
    answer = api.post(AUTHORITIES, json={"code": "S99999999", "name": "Test Council"},
                      headers=make.headers(make.admin()))
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_admin_renames_a_region_with_if_match(api, make: Factory):
    region = _new_region(api, make)
    answer = api.patch(f"{REGIONS}/{region['id']}", json={"name": "Renamed Collaborative"},
                       headers=make.headers(make.admin(), **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Renamed Collaborative" and answer.json()["code"] == region["code"]
    assert answer.json()["version"] == 2 and answer.headers["ETag"] == '"2"'


def test_non_admin_may_not_patch_a_region(api, make: Factory, db: Session):
    region = make.region()
    lead = make.user("regional_lead", region=region)
    version = region.version
    answer = api.patch(f"{REGIONS}/{region.id}", json={"name": "Mine"},
                       headers=make.headers(lead, **{"If-Match": f'"{version}"'}))
    assert_problem(answer, 403)
    assert db.get(Region, region.id).name == "West Partnership"


def test_admin_creates_an_authority_in_a_region(api, make: Factory):
    region = make.region()
    body = {"code": "E09000001", "name": "City of London", "region_id": str(region.id),
            "min_visits_per_session": 3}
    answer = api.post(AUTHORITIES, json=body, headers=make.headers(make.admin()))
    assert answer.status_code == 201, answer.text
    assert answer.json()["min_visits_per_session"] == 3
    members = api.get(f"{REGIONS}/{region.id}", headers=make.headers(make.admin())).json()
    assert answer.json()["id"] in members["authority_ids"]


def test_authority_admin_may_not_create_authorities(api, make: Factory):
    officer = make.user("officer", authority_admin=True)
    answer = api.post(AUTHORITIES, json={"code": "S99999999", "name": "Nowhere"},
                      headers=make.headers(officer))
    assert_problem(answer, 403)


def test_duplicate_authority_code_is_409(api, make: Factory):
    answer = api.post(AUTHORITIES, json={"code": GLASGOW, "name": "Glasgow Again"},
                      headers=make.headers(make.admin()))
    assert_problem(answer, 409)


@pytest.mark.parametrize(("field", "value"), [
    ("code", "s12000050"), ("code", "S1200005"), ("region_id", "not-a-uuid"),
    ("min_visits_per_session", -1), ("min_visits_per_session", 51), ("name", "   "),
])
def test_authority_fields_are_checked(api, make: Factory, field, value):
    body = {"code": "S99999999", "name": "Nowhere", field: value}
    answer = api.post(AUTHORITIES, json=body, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", field])


def test_authority_in_an_unknown_region_is_422(api, make: Factory):
    body = {"code": "S99999999", "name": "Nowhere", "region_id": str(make.id())}
    answer = api.post(AUTHORITIES, json=body, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", "region_id"])


def test_authority_admin_changes_own_minimum_visits(api, make: Factory, db: Session):
    authority = make.authority()
    officer = make.user("officer", authority=authority, authority_admin=True)
    version = authority.version
    answer = api.patch(f"{AUTHORITIES}/{authority.id}", json={"min_visits_per_session": 6},
                       headers=make.headers(officer, **{"If-Match": f'"{version}"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["min_visits_per_session"] == 6
    assert answer.headers["ETag"] == f'"{version + 1}"'
    assert db.get(Authority, authority.id).min_visits_per_session == 6


@pytest.mark.parametrize("change", [{"name": "Lanarkshire North"}, {"code": "S12000099"},
                                    {"name": "X", "min_visits_per_session": 5}])
def test_authority_admin_may_not_change_name_or_code(api, make: Factory, db: Session, change):
    authority = make.authority()
    officer = make.user("officer", authority=authority, authority_admin=True)
    answer = api.patch(f"{AUTHORITIES}/{authority.id}", json=change,
                       headers=make.headers(officer, **{"If-Match": f'"{authority.version}"'}))
    assert_problem(answer, 403)
    stored = db.get(Authority, authority.id)
    assert stored.name == "North Lanarkshire" and stored.code == NORTH_LANARKSHIRE
    assert stored.min_visits_per_session == 4


def test_authority_admin_may_not_change_another_authoritys_settings(api, make: Factory):
    officer = make.user("officer", authority_admin=True)
    glasgow = make.authority(GLASGOW)
    answer = api.patch(f"{AUTHORITIES}/{glasgow.id}", json={"min_visits_per_session": 1},
                       headers=make.headers(officer, **{"If-Match": f'"{glasgow.version}"'}))
    assert_problem(answer, 403)


def test_ordinary_officer_may_not_change_settings(api, make: Factory):
    authority = make.authority()
    officer = make.user("officer", authority=authority)
    answer = api.patch(f"{AUTHORITIES}/{authority.id}", json={"min_visits_per_session": 1},
                       headers=make.headers(officer, **{"If-Match": f'"{authority.version}"'}))
    assert_problem(answer, 403)


def test_admin_renames_an_authority_and_moves_it_to_a_region(api, make: Factory):
    authority = _new_authority(api, make)
    region = make.region("tayside")
    answer = api.patch(f"{AUTHORITIES}/{authority['id']}",
                       json={"name": "Renamed Council", "region_id": str(region.id)},
                       headers=make.headers(make.admin(), **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Renamed Council"
    assert answer.json()["region_id"] == str(region.id) and answer.json()["version"] == 2


def test_admin_may_not_give_an_authority_a_taken_code(api, make: Factory):
    authority = _new_authority(api, make)
    answer = api.patch(f"{AUTHORITIES}/{authority['id']}", json={"code": GLASGOW},
                       headers=make.headers(make.admin(), **{"If-Match": '"1"'}))
    assert_problem(answer, 409)
