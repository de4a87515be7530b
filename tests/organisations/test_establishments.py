"""Establishments: who may see and change which school, through the HTTP API."""

import uuid

from sqlmodel import Session

from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.organisations.payloads import establishment_body

GLASGOW = "S12000049"
EAST_RENFREWSHIRE = "S12000011"
HIGHLAND = "S12000017"  # Northern Alliance, not the West Partnership
URL = "/api/v1/establishments"


def _etag(api, make: Factory, who, establishment) -> str:
    answer = api.get(f"{URL}/{establishment.id}", headers=make.headers(who))
    assert answer.status_code == 200, answer.text
    return answer.headers["ETag"]


def _ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [e["id"] for e in answer.json()["items"]]


# Creating ------------------------------------------------------------------------------


def test_authority_admin_creates_an_establishment_in_own_authority(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    body = establishment_body(make.authority(), simd_q1_percent="23.50", gaelic_medium=True)
    answer = api.post(URL, json=body, headers=make.headers(admin))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["Location"] == f"{URL}/{created['id']}"
    assert answer.headers["ETag"] == '"1"'
    assert created["code"] == body["code"] and created["code_scheme"] == "seed"
    assert created["version"] == 1 and created["status"] == "open"
    assert created["simd_q1_percent"] == 23.5 and created["gaelic_medium"] is True
    assert created["headteacher_ids"] == []
    assert db.get(Establishment, uuid.UUID(created["id"])) is not None


def test_authority_admin_may_not_create_in_another_authority(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    body = establishment_body(make.authority(GLASGOW))
    assert_problem(api.post(URL, json=body, headers=make.headers(admin)), 403)
    assert db.query(Establishment).count() == 0


def test_ordinary_officer_may_not_create_establishments(api, make: Factory):
    officer = make.user("officer")
    answer = api.post(URL, json=establishment_body(make.authority()), headers=make.headers(officer))
    assert_problem(answer, 403)


def test_headteacher_may_not_create_establishments(api, make: Factory):
    head = make.user("headteacher")
    answer = api.post(URL, json=establishment_body(make.authority()), headers=make.headers(head))
    assert_problem(answer, 403)


def test_service_admin_creates_establishments_anywhere(api, make: Factory):
    answer = api.post(URL, json=establishment_body(make.authority(HIGHLAND)),
                      headers=make.headers(make.admin()))
    assert answer.status_code == 201, answer.text


# Reading -------------------------------------------------------------------------------


def test_officer_reads_any_establishment_of_own_authority(api, make: Factory):
    officer = make.user("officer")
    school = make.establishment()
    answer = api.get(f"{URL}/{school.id}", headers=make.headers(officer))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == school.name
    assert answer.headers["ETag"].startswith('"1.')  # the version, then the school's year


def test_officer_of_another_authority_gets_404_not_403(api, make: Factory, db: Session):
    outsider = make.user("officer", authority=make.authority(GLASGOW), authority_admin=True)
    school = make.establishment()
    assert_problem(api.get(f"{URL}/{school.id}", headers=make.headers(outsider)), 404)
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 1},
                       headers=make.headers(outsider, **{"If-Match": '"1"'}))
    assert_problem(answer, 404)
    assert school.roll != 1


def test_unknown_establishment_is_404_like_an_invisible_one(api, make: Factory):
    answer = api.get(f"{URL}/{make.id()}", headers=make.headers(make.admin()))
    assert_problem(answer, 404)


def test_headteacher_lists_only_own_establishments(api, make: Factory):
    first, second = make.establishment(), make.establishment()
    make.establishment()  # same authority, not theirs
    head = make.user("headteacher", establishments=[first, second])
    assert sorted(_ids(api.get(URL, headers=make.headers(head)))) == sorted(
        [str(first.id), str(second.id)])


def test_headteacher_gets_404_for_another_school(api, make: Factory):
    head = make.user("headteacher")
    neighbour = make.establishment()
    assert_problem(api.get(f"{URL}/{neighbour.id}", headers=make.headers(head)), 404)


def test_headteacher_reads_own_school(api, make: Factory):
    school = make.establishment()
    head = make.user("headteacher", establishments=[school])
    answer = api.get(f"{URL}/{school.id}", headers=make.headers(head))
    assert answer.status_code == 200, answer.text
    assert answer.json()["headteacher_ids"] == [str(head.id)]


def test_regional_lead_lists_establishments_of_member_authorities_only(api, make: Factory):
    lead = make.user("regional_lead", region=make.region("west-partnership"))
    north_lanarkshire = make.establishment()
    glasgow = make.establishment(make.authority(GLASGOW))
    make.establishment(make.authority(HIGHLAND))
    assert sorted(_ids(api.get(URL, headers=make.headers(lead)))) == sorted(
        [str(north_lanarkshire.id), str(glasgow.id)])


def test_regional_lead_gets_404_outside_their_region(api, make: Factory):
    lead = make.user("regional_lead", region=make.region("west-partnership"))
    highland = make.establishment(make.authority(HIGHLAND))
    assert_problem(api.get(f"{URL}/{highland.id}", headers=make.headers(lead)), 404)


def test_officer_list_excludes_other_authorities(api, make: Factory):
    officer = make.user("officer")
    own = make.establishment()
    make.establishment(make.authority(GLASGOW))
    assert _ids(api.get(URL, headers=make.headers(officer))) == [str(own.id)]


# Changing ------------------------------------------------------------------------------


def test_link_officer_may_patch_their_school(api, make: Factory):
    officer = make.user("officer")
    school = make.establishment(link_officer_id=officer.id)
    etag = _etag(api, make, officer, school)
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 333},
                       headers=make.headers(officer, **{"If-Match": etag}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["roll"] == 333


def test_officer_who_is_not_link_officer_gets_403_on_patch(api, make: Factory, db: Session):
    link = make.user("officer")
    other = make.user("officer")
    school = make.establishment(link_officer_id=link.id)
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 1},
                       headers=make.headers(other, **{"If-Match": '"1"'}))
    assert_problem(answer, 403)
    assert school.roll != 1 and school.version == 1


def test_authority_admin_may_patch_any_school_of_own_authority(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"status": "closed"},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "closed"


def test_headteacher_may_read_but_not_patch_own_school(api, make: Factory):
    school = make.establishment()
    head = make.user("headteacher", establishments=[school])
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 1},
                       headers=make.headers(head, **{"If-Match": '"1"'}))
    assert_problem(answer, 403)


def test_regional_lead_may_not_patch(api, make: Factory):
    lead = make.user("regional_lead")
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 1},
                       headers=make.headers(lead, **{"If-Match": '"1"'}))
    assert_problem(answer, 403)


def test_patch_can_clear_nullable_fields(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    cluster = make.cluster()
    school = make.establishment(cluster_id=cluster.id, area="Airdrie", link_officer_id=admin.id)
    answer = api.patch(f"{URL}/{school.id}",
                       json={"cluster_id": None, "area": None, "link_officer_id": None},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["cluster_id"] is None and body["area"] is None and body["link_officer_id"] is None


# Deleting ------------------------------------------------------------------------------


def test_authority_admin_deletes_establishment(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    school_id = make.establishment().id
    answer = api.delete(f"{URL}/{school_id}", headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    assert db.get(Establishment, school_id) is None
    assert_problem(api.get(f"{URL}/{school_id}", headers=make.headers(admin)), 404)


def test_link_officer_may_not_delete(api, make: Factory, db: Session):
    officer = make.user("officer")
    school = make.establishment(link_officer_id=officer.id)
    assert_problem(api.delete(f"{URL}/{school.id}", headers=make.headers(officer)), 403)
    assert db.get(Establishment, school.id) is not None


def test_delete_with_stale_if_match_is_412(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    school = make.establishment()
    answer = api.delete(f"{URL}/{school.id}", headers=make.headers(admin, **{"If-Match": '"7"'}))
    assert_problem(answer, 412)
    assert db.get(Establishment, school.id) is not None
