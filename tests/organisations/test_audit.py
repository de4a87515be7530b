"""Every organisation write leaves an audit record (who, what, before and after) in the same
transaction; a refused write leaves nothing, neither the change nor an audit record."""

from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent, ChangeRecord
from app.organisations.models import Cluster, Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.organisations.payloads import establishment_body

URL = "/api/v1/establishments"


def _events(db: Session) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_creating_an_establishment_is_audited_with_actor_and_after(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    answer = api.post(URL, json=establishment_body(make.authority(), name="Audited Primary"),
                      headers=make.headers(admin))
    assert answer.status_code == 201, answer.text
    [event] = _events(db)
    assert (event.action, event.resource_type, event.resource_id) == (
        "establishment.create", "establishment", answer.json()["id"])
    assert (event.actor_type, event.actor_id, event.actor_label) == ("user", admin.id, admin.email)
    assert event.authority_id == make.authority().id
    assert event.before is None and event.after["name"] == "Audited Primary"
    assert db.scalars(select(ChangeRecord)).one().operation == "created"


def test_updating_records_before_and_after(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    school = make.establishment(roll=100)
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 150},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    [event] = _events(db)
    assert event.action == "establishment.update" and event.actor_id == admin.id
    assert event.before["roll"] == 100 and event.after["roll"] == 150
    assert event.before["version"] == 1 and event.after["version"] == 2


def test_an_unchanged_write_is_not_audited(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    school = make.establishment(roll=100)
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 100},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert _events(db) == []


def test_deleting_keeps_the_before_image(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    school = make.establishment(name="Closing Primary")
    assert api.delete(f"{URL}/{school.id}",
                      headers=make.headers(admin, **{"If-Match": '"1"'})).status_code == 204
    [event] = _events(db)
    assert event.action == "establishment.delete"
    assert event.before["name"] == "Closing Primary" and event.after is None
    assert db.scalars(select(ChangeRecord)).one().operation == "deleted"


def test_integration_client_writes_are_audited_as_the_client(api, make: Factory, db: Session):
    client = make.client(["establishments:write"])
    answer = api.put(f"{URL}/by-code/8000001", json={"name": "MIS School", "sector": "primary"},
                     headers=make.headers(client))
    assert answer.status_code == 201, answer.text
    [event] = _events(db)
    assert event.actor_type == "client" and event.actor_id == client.id
    assert event.actor_label == f"client:{client.name}"


def test_every_organisation_write_is_audited(api, make: Factory, db: Session):
    admin = make.admin()
    headers = make.headers(admin)
    region = api.post("/api/v1/regions", json={"code": "audit-region", "name": "Audit"}, headers=headers)
    authority = api.post("/api/v1/authorities", json={"code": "S99999998", "name": "Audit Council",
                                                      "region_id": region.json()["id"]}, headers=headers)
    cluster = api.post("/api/v1/clusters", json={"authority_id": authority.json()["id"],
                                                 "name": "Audit cluster"}, headers=headers)
    api.post(f"/api/v1/authorities/{authority.json()['id']}/areas", json={"name": "North"},
             headers=headers)
    if_match = make.headers(admin, **{"If-Match": '"1"'})
    api.patch(f"/api/v1/regions/{region.json()['id']}", json={"name": "Audit 2"}, headers=if_match)
    api.patch(f"/api/v1/authorities/{authority.json()['id']}", json={"name": "Audit Council 2"},
              headers=if_match)
    api.patch(f"/api/v1/clusters/{cluster.json()['id']}", json={"area": "North"}, headers=if_match)
    api.delete(f"/api/v1/clusters/{cluster.json()['id']}",
               headers=make.headers(admin, **{"If-Match": '"2"'}))
    assert [e.action for e in _events(db)] == [
        "region.create", "authority.create", "cluster.create", "area.create", "region.update",
        "authority.update", "cluster.update", "cluster.delete",
    ]
    assert {e.actor_id for e in _events(db)} == {admin.id}


def test_a_conflicting_write_changes_nothing_and_audits_nothing(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    make.cluster(name="Taken")
    answer = api.post("/api/v1/clusters", json={"authority_id": str(make.authority().id),
                                                "name": "Taken"}, headers=make.headers(admin))
    assert_problem(answer, 409)
    assert db.query(Cluster).count() == 1
    assert _events(db) == [] and list(db.scalars(select(ChangeRecord))) == []


def test_a_rejected_patch_changes_nothing_and_audits_nothing(api, make: Factory, db: Session):
    admin = make.user("officer", authority_admin=True)
    school = make.establishment(roll=100)
    foreign = make.cluster(make.authority("S12000049"))
    answer = api.patch(f"{URL}/{school.id}", json={"roll": 1, "cluster_id": str(foreign.id)},
                       headers=make.headers(admin, **{"If-Match": '"1"'}))
    assert_problem(answer, 422)
    stored = db.get(Establishment, school.id)
    assert (stored.roll, stored.cluster_id, stored.version) == (100, None, 1)
    assert _events(db) == []


def test_a_forbidden_write_audits_nothing(api, make: Factory, db: Session):
    officer = make.user("officer")
    answer = api.post(URL, json=establishment_body(make.authority()), headers=make.headers(officer))
    assert_problem(answer, 403)
    assert _events(db) == [] and db.query(Establishment).count() == 0
