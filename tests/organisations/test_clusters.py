"""Clusters (learning communities): kept by authority admins, read across the authority."""

import pytest
from sqlmodel import Session

from app.organisations.models import Cluster
from tests.core.problems import assert_problem
from tests.factories import Factory

URL = "/api/v1/clusters"
GLASGOW = "S12000049"


def _body(authority, **fields) -> dict:
    return {"authority_id": str(authority.id), "name": "Airdrie Academy cluster", "area": "Airdrie",
            **fields}


@pytest.fixture(autouse=True)
def airdrie(make: Factory):
    """The area the bodies name, in North Lanarkshire (writes name existing areas)."""
    return make.area(make.authority(), "Airdrie")


def test_authority_admin_creates_a_cluster_in_own_authority(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    answer = api.post(URL, json=_body(make.authority()), headers=make.headers(admin))
    assert answer.status_code == 201, answer.text
    cluster = answer.json()
    assert answer.headers["Location"] == f"{URL}/{cluster['id']}"
    assert cluster["name"] == "Airdrie Academy cluster" and cluster["area"] == "Airdrie"
    assert cluster["version"] == 1


def test_authority_admin_gets_403_in_another_authority(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    answer = api.post(URL, json=_body(make.authority(GLASGOW)), headers=make.headers(admin))
    assert_problem(answer, 403)
    assert db.query(Cluster).count() == 0


def test_ordinary_officer_may_not_create_clusters(api, make: Factory):
    answer = api.post(URL, json=_body(make.authority()), headers=make.headers(make.user("officer")))
    assert_problem(answer, 403)


def test_cluster_in_unknown_authority_is_422(api, make: Factory):
    body = _body(make.authority(), authority_id=str(make.id()))
    answer = api.post(URL, json=body, headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", "authority_id"])


def test_duplicate_cluster_name_in_an_authority_is_409(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    make.cluster(name="Airdrie Academy cluster")
    answer = api.post(URL, json=_body(make.authority()), headers=make.headers(admin))
    assert_problem(answer, 409)
    assert db.query(Cluster).count() == 1


def test_same_cluster_name_in_another_authority_is_fine(api, make: Factory):
    make.cluster(make.authority(GLASGOW), name="Airdrie Academy cluster")
    admin = make.user("officer", authority_admin=True)
    assert api.post(URL, json=_body(make.authority()), headers=make.headers(admin)).status_code == 201


def test_renaming_to_a_taken_name_is_409(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    make.cluster(name="Taken")
    cluster = make.cluster(name="Mine")
    answer = api.patch(f"{URL}/{cluster.id}", json={"name": "Taken"},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 409)


def test_authority_admin_renames_a_cluster(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    cluster = make.cluster()
    answer = api.patch(f"{URL}/{cluster.id}", json={"name": "Coatbridge", "area": None},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Coatbridge" and answer.json()["area"] is None
    assert answer.json()["version"] == 2


def test_cluster_name_may_not_be_null(api, make: Factory):
    admin = make.user("officer", authority_admin=True)
    cluster = make.cluster()
    answer = api.patch(f"{URL}/{cluster.id}", json={"name": None},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422, loc=["body", "name"])


def test_officers_list_their_authoritys_clusters_only(api, make: Factory):
    own = make.cluster()
    make.cluster(make.authority(GLASGOW))
    answer = api.get(URL, headers=make.headers(make.user("officer")))
    assert answer.status_code == 200, answer.text
    assert [c["id"] for c in answer.json()["items"]] == [str(own.id)]


def test_clusters_filter_by_area_and_name(api, make: Factory):
    make.cluster(name="Airdrie", area="North")
    make.cluster(name="Bellshill", area="South")
    headers = make.headers(make.user("officer"))
    by_area = api.get(URL, params={"area": "South"}, headers=headers).json()["items"]
    assert [c["name"] for c in by_area] == ["Bellshill"]
    by_name = api.get(URL, params={"q": "AIRD"}, headers=headers).json()["items"]
    assert [c["name"] for c in by_name] == ["Airdrie"]


def test_officer_of_another_authority_gets_404_for_a_cluster(api, make: Factory):
    cluster = make.cluster()
    outsider = make.user("officer", authority=make.authority(GLASGOW))
    assert_problem(api.get(f"{URL}/{cluster.id}", headers=make.headers(outsider)), 404)


def test_headteacher_sees_only_their_schools_cluster(api, make: Factory):
    mine = make.cluster()
    make.cluster()
    head = make.user("headteacher", establishments=[make.establishment(cluster_id=mine.id)])
    answer = api.get(URL, headers=make.headers(head))
    assert [c["id"] for c in answer.json()["items"]] == [str(mine.id)]


def test_deleting_an_empty_cluster(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    cluster_id = make.cluster().id
    answer = api.delete(f"{URL}/{cluster_id}", headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 204, answer.text
    assert db.get(Cluster, cluster_id) is None


def test_deleting_a_cluster_with_establishments_is_409(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    cluster = make.cluster()
    make.establishment(cluster_id=cluster.id)
    assert_problem(api.delete(f"{URL}/{cluster.id}",
                              headers=make.headers(admin, **{"If-Match": '"1"'})), 409)
    assert db.get(Cluster, cluster.id) is not None


def test_ordinary_officer_may_not_delete_a_cluster(api, make: Factory):
    cluster = make.cluster()
    assert_problem(api.delete(f"{URL}/{cluster.id}", headers=make.headers(make.user("officer"))), 403)
