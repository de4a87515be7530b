"""ETags and conditional requests: caches revalidate cheaply and no update is lost."""

from sqlmodel import Session

from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory

URL = "/api/v1/establishments"


def test_get_serves_the_version_as_etag(api, make: Factory):
    school = make.establishment()
    answer = api.get(f"{URL}/{school.id}", headers=make.headers(make.admin()))
    assert answer.status_code == 200
    assert answer.json()["version"] == 1
    # The version, then a digest of the school's year (`current`), which changes without it.
    assert answer.headers["ETag"].startswith('"1.')


def test_if_none_match_with_the_current_etag_is_304_without_body(api, make: Factory):
    school = make.establishment()
    headers = make.headers(make.admin())
    etag = api.get(f"{URL}/{school.id}", headers=headers).headers["ETag"]
    answer = api.get(f"{URL}/{school.id}", headers={**headers, "If-None-Match": etag})
    assert answer.status_code == 304
    assert answer.content == b""
    assert answer.headers["ETag"] == etag


def test_if_none_match_with_an_old_etag_gets_the_resource(api, make: Factory):
    school = make.establishment()
    answer = api.get(f"{URL}/{school.id}",
                     headers=make.headers(make.admin(), **{"If-None-Match": '"0", W/"7"'}))
    assert answer.status_code == 200 and answer.json()["id"] == str(school.id)


def test_if_none_match_does_not_reveal_invisible_records(api, make: Factory):
    school = make.establishment(make.authority("S12000049"))
    answer = api.get(f"{URL}/{school.id}",
                     headers=make.headers(make.user("officer"), **{"If-None-Match": '"1"'}))
    assert_problem(answer, 404)


def test_patch_without_if_match_is_428(api, make: Factory, db: Session):
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 999}, headers=make.headers(make.admin()))
    assert_problem(answer, 428)
    assert db.get(Establishment, school.id).roll != 999


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(api, make: Factory, db: Session):
    school = make.establishment()
    admin = make.admin()
    first = api.patch(f"{URL}/{school.id}", json={"roll": 300},
                      headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert first.status_code == 200, first.text
    lost = api.patch(f"{URL}/{school.id}", json={"roll": 999, "name": "Lost Update"},
                     headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(lost, 412)
    stored = db.get(Establishment, school.id)
    assert (stored.roll, stored.name, stored.version) == (300, school.name, 2)


def test_patch_with_the_current_etag_bumps_version_and_etag(api, make: Factory):
    school = make.establishment()
    admin = make.admin()
    etag = api.get(f"{URL}/{school.id}", headers=make.headers(admin)).headers["ETag"]
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 321},
                       headers=make.headers(admin, **{"If-Match": etag}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2 and answer.headers["ETag"] == '"2"'
    after = api.get(f"{URL}/{school.id}", headers=make.headers(admin))
    assert after.headers["ETag"].startswith('"2.') and after.json()["roll"] == 321
    assert after.json()["updated_at"] > after.json()["created_at"]


def test_weak_and_listed_etags_match_too(api, make: Factory):
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 5},
                       headers=make.headers(make.admin(), **{"If-Match": '"9", W/"1"'}))
    assert answer.status_code == 200, answer.text


def test_patch_that_changes_nothing_keeps_the_version(api, make: Factory, db: Session):
    school = make.establishment(roll=250)
    admin = make.admin()
    before = api.get(f"{URL}/{school.id}", headers=make.headers(admin)).json()
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 250, "name": school.name},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1 and answer.headers["ETag"] == '"1"'
    assert answer.json()["updated_at"] == before["updated_at"]
    assert db.get(Establishment, school.id).version == 1


def test_empty_patch_keeps_the_version(api, make: Factory):
    school = make.establishment()
    answer = api.patch(f"{URL}/{school.id}", json={},
                       headers=make.headers(make.admin(), **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1


def test_every_single_resource_carries_an_etag(api, make: Factory):
    headers = make.headers(make.admin())
    cluster = make.cluster()
    for path in (f"/api/v1/regions/{make.region().id}", f"/api/v1/authorities/{make.authority().id}",
                 f"/api/v1/clusters/{cluster.id}", f"{URL}/{make.establishment().id}"):
        answer = api.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        version, _, year = answer.headers["ETag"].strip('"').partition(".")
        assert version == str(answer.json()["version"]), path
        assert bool(year) == ("current" in answer.json()), path  # a school's year, digested
        again = api.get(path, headers={**headers, "If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304, path
