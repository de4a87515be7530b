"""An authority's areas are named things, not free text: listed with their schools counted,
created, renamed and merged (in one audited transaction) by the authority's admins; a school
or cluster names one of them, found whatever its case, accents or apostrophes; only imports
create them implicitly; and the trio rule "same area" compares them by identity."""

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent, ChangeRecord
from app.organisations.models import Area, Cluster, Establishment
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import csv_rows, send

SLC = "S12000029"  # South Lanarkshire
GLASGOW = "S12000049"


def _areas_url(authority) -> str:
    return f"/api/v1/authorities/{authority.id}/areas"


@pytest.fixture
def admin(make: Factory):
    """An authority admin of South Lanarkshire."""
    return make.user("officer", authority=make.authority(SLC), authority_admin=True)


def _listed(api, make, who, authority) -> dict[str, dict]:
    answer = api.get(_areas_url(authority), headers=make.headers(who))
    assert answer.status_code == 200, answer.text
    return {a["name"]: a for a in answer.json()["items"]}


def test_an_authoritys_areas_are_listed_with_their_schools_and_clusters_counted(api, make: Factory):
    slc = make.authority(SLC)
    calderside = make.cluster(slc, name="Calderside Academy cluster", area="Blantyre")
    make.establishment(slc, cluster_id=calderside.id, area="Blantyre")
    make.establishment(slc, cluster_id=calderside.id)  # no area of its own: its cluster's
    make.establishment(slc, area="Hamilton")
    make.establishment(make.authority(GLASGOW), area="Blantyre")  # another authority's
    listed = _listed(api, make, make.user("officer", authority=slc), slc)
    assert set(listed) == {"Blantyre", "Hamilton"}
    assert (listed["Blantyre"]["establishment_count"], listed["Blantyre"]["cluster_count"]) == (2, 1)
    assert (listed["Hamilton"]["establishment_count"], listed["Hamilton"]["cluster_count"]) == (1, 0)
    assert listed["Blantyre"]["authority_id"] == str(slc.id)
    found = api.get(_areas_url(slc), params={"q": "blan"},
                    headers=make.headers(make.admin())).json()["items"]
    assert [a["name"] for a in found] == ["Blantyre"]


def test_admins_create_areas_whose_names_differ_as_folded(api, make: Factory, admin, db: Session):
    slc = make.authority(SLC)
    headers = make.headers(admin)
    created = api.post(_areas_url(slc), json={"name": "St Leonard's"}, headers=headers)
    assert created.status_code == 201, created.text
    area = created.json()
    assert created.headers["Location"] == f"/api/v1/areas/{area['id']}"
    assert created.headers["ETag"] == '"1"' and area["former_names"] == []
    fetched = api.get(f"/api/v1/areas/{area['id']}", headers=headers)
    assert fetched.json() == area
    for same in ("St Leonards", "st leonard\u2019s", " ST  LEONARDS "):
        assert_problem(api.post(_areas_url(slc), json={"name": same}, headers=headers), 409)
    for nameless in ("", "   ", "'"):
        assert_problem(api.post(_areas_url(slc), json={"name": nameless}, headers=headers), 422,
                       loc=["body", "name"])
    # Only the authority's admins: a plain officer, or an admin of another authority, may not.
    officer = make.user("officer", authority=slc)
    assert_problem(api.post(_areas_url(slc), json={"name": "Larkhall"},
                            headers=make.headers(officer)), 403)
    other_admin = make.user("officer", authority=make.authority(GLASGOW), authority_admin=True)
    assert_problem(api.post(_areas_url(slc), json={"name": "Larkhall"},
                            headers=make.headers(other_admin)), 403)
    assert db.scalars(select(Area.name).where(Area.authority_id == slc.id)).all() == ["St Leonard's"]


def test_a_school_or_cluster_names_an_existing_area_however_it_is_spelt(api, make: Factory, admin):
    slc = make.authority(SLC)
    area = make.area(slc, "St Leonard's")
    headers = make.headers(admin)
    body = {"code": "8530521", "name": "Blacklaw Primary School", "sector": "primary",
            "authority_id": str(slc.id)}
    unknown = api.post("/api/v1/establishments", json={**body, "area": "St Leonardz"},
                       headers=headers)
    assert_problem(unknown, 422, loc=["body", "area"])
    assert "GET /api/v1/authorities" in unknown.json()["detail"]
    created = api.post("/api/v1/establishments", json={**body, "area": "st leonards"},
                       headers=headers)
    assert created.status_code == 201, created.text
    assert (created.json()["area"], created.json()["area_id"]) == ("St Leonard's", str(area.id))
    cluster = api.post("/api/v1/clusters", headers=headers, json={
        "authority_id": str(slc.id), "name": "Calderglen High School cluster",
        "area_id": str(area.id)})
    assert cluster.status_code == 201, cluster.text
    assert (cluster.json()["area"], cluster.json()["area_id"]) == ("St Leonard's", str(area.id))
    # An id and a name must agree; an area of another authority is not this school's.
    glasgow_area = make.area(make.authority(GLASGOW), "St Leonard's")
    school = f"/api/v1/establishments/{created.json()['id']}"
    for change, loc in (({"area_id": str(glasgow_area.id)}, "area_id"),
                        ({"area_id": str(area.id), "area": "Hamilton"}, "area")):
        assert_problem(api.patch(school, json=change, headers={**headers, "If-Match": '"1"'}),
                       422, loc=["body", loc])
    cleared = api.patch(school, json={"area": None}, headers={**headers, "If-Match": '"1"'})
    assert (cleared.json()["area"], cleared.json()["area_id"]) == (None, None)


def test_a_rename_restates_the_areas_schools_and_the_old_name_still_finds_it(
        api, make: Factory, admin, db: Session):
    slc = make.authority(SLC)
    area = make.area(slc, "Blanytre")
    school = make.establishment(slc, area="Blanytre")
    cluster = make.cluster(slc, area="Blanytre")
    headers = make.headers(admin)
    url = f"/api/v1/areas/{area.id}"
    assert_problem(api.patch(url, json={"name": "Blantyre"}, headers=headers), 428)
    renamed = api.patch(url, json={"name": "Blantyre"}, headers={**headers, "If-Match": '"1"'})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Blantyre" and renamed.json()["former_names"] == ["Blanytre"]
    assert renamed.headers["ETag"] == '"2"'
    read = api.get(f"/api/v1/establishments/{school.id}", headers=headers).json()
    assert (read["area"], read["version"]) == ("Blantyre", 2)
    assert api.get(f"/api/v1/clusters/{cluster.id}", headers=headers).json()["area"] == "Blantyre"
    # A write with the old spelling still finds the area, and is given its name.
    moved = api.post("/api/v1/establishments", headers=headers, json={
        "code": "8520224", "name": "Auchinraith Primary School", "sector": "primary",
        "authority_id": str(slc.id), "area": "Blanytre"})
    assert (moved.json()["area"], moved.json()["area_id"]) == ("Blantyre", str(area.id))
    assert_problem(api.post(_areas_url(slc), json={"name": "blanytre"}, headers=headers), 409)
    db.expire_all()
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at))]
    assert actions[:3] == ["establishment.update", "cluster.update", "area.update"]


def test_merging_an_area_moves_its_schools_and_clusters_in_one_audited_transaction(
        api, make: Factory, admin, db: Session):
    """The demo data's "Blanytre" (seven schools) and "Blantyre" (one): merged, one area."""
    slc = make.authority(SLC)
    wrong, right = make.area(slc, "Blanytre"), make.area(slc, "Blantyre")
    wrong_id = wrong.id
    calderside = make.cluster(slc, name="Calderside Academy cluster", area="Blanytre")
    moved = [make.establishment(slc, cluster_id=calderside.id, area="Blanytre") for _ in range(7)]
    kear = make.establishment(slc, area="Blantyre")
    headers = make.headers(admin)
    merge = f"/api/v1/areas/{wrong_id}/merge"
    assert_problem(api.post(merge, json={"into_area_id": str(wrong_id)}, headers=headers), 422,
                   loc=["body", "into_area_id"])
    elsewhere = make.area(make.authority(GLASGOW), "Blantyre")
    assert_problem(api.post(merge, json={"into_area_id": str(elsewhere.id)}, headers=headers), 422,
                   loc=["body", "into_area_id"])
    assert_problem(api.post(merge, json={"into_area_id": str(right.id)},
                            headers=make.headers(make.user("officer", authority=slc))), 403)
    assert_problem(api.post(merge, json={"into_area_id": str(right.id)},
                            headers={**headers, "If-Match": '"7"'}), 412)
    merged = api.post(merge, json={"into_area_id": str(right.id)}, headers=headers)
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == str(right.id) and merged.json()["former_names"] == ["Blanytre"]
    assert_problem(api.get(f"/api/v1/areas/{wrong_id}", headers=headers), 404)
    listed = _listed(api, make, admin, slc)
    assert (listed["Blantyre"]["establishment_count"], listed["Blantyre"]["cluster_count"]) == (8, 1)
    assert "Blanytre" not in listed
    db.expire_all()
    for school in [*moved, kear]:
        stored = db.get(Establishment, school.id)
        assert (stored.area_id, stored.area) == (right.id, "Blantyre")
    assert db.get(Cluster, calderside.id).area_id == right.id
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.actor_id == admin.id)))
    assert sorted(e.action for e in events) == sorted(
        ["area.merge", "area.merge", "cluster.update", *["establishment.update"] * 7])
    [told] = [e for e in events if e.action == "area.merge" and e.after is not None]
    assert told.after["merged"] == {"area_id": str(wrong_id), "name": "Blanytre",
                                    "establishments": 7, "clusters": 1}
    tombstone = db.scalars(select(ChangeRecord).where(ChangeRecord.resource_type == "area",
                                                      ChangeRecord.operation == "deleted")).one()
    assert tombstone.resource_id == str(wrong_id)


def test_the_same_area_rule_of_trios_compares_the_area_not_its_spelling(api, make: Factory, admin):
    """Blanytre and Blantyre split three schools that opted in: none placed, no trio formed.
    Merged, they are one trio, named as the authority spells the area."""
    slc = make.authority(SLC)
    wrong, right = make.area(slc, "Blanytre"), make.area(slc, "Blantyre")
    schools = [make.establishment(slc, area=name, cluster_id=make.cluster(slc, area=name).id,
                                  roll=200 + 10 * n, simd_q1_percent=Decimal("20"))
               for n, name in enumerate(("Blanytre", "Blanytre", "Blantyre"))]
    officer = make.headers(make.user("officer", authority=slc))
    ask = {"session": "2025-26", "authority_id": str(slc.id),
           "establishment_ids": [str(s.id) for s in schools], "indicator_codes": ["2.3"]}
    before = api.post("/api/v1/trios/proposals", json=ask, headers=officer).json()
    assert before["groups"] == [] and {u["reason"] for u in before["unplaced"]} == {"area_too_small"}
    trio = {"session": "2025-26", "kind": "trio", "indicator_codes": ["2.3"], "area": "Blantyre",
            "members": [{"establishment_id": str(s.id)} for s in schools]}
    refused = api.post("/api/v1/trios", json=trio, headers=officer)
    assert {v["rule"] for v in refused.json()["violations"]} == {"same_area"}
    api.post(f"/api/v1/areas/{wrong.id}/merge", json={"into_area_id": str(right.id)},
             headers=make.headers(admin)).raise_for_status()
    after = api.post("/api/v1/trios/proposals", json=ask, headers=officer).json()
    [group] = after["groups"]
    assert group["area_id"] == str(right.id) and after["unplaced"] == []
    formed = api.post("/api/v1/trios", json={**trio, "area": "blanytre"}, headers=officer)
    assert formed.status_code == 201, formed.text
    assert formed.json()["area"] == "Blantyre"


def test_imports_alone_create_areas_implicitly(api, make: Factory, db: Session):
    """An establishments file naming an area finds it however it is spelt, and creates it when
    new (counted in also_created), for those who may create areas; a client may not."""
    airdrie = make.area(make.authority(), "Airdrie")
    header = "code,name,sector,authority_code,area"
    body = csv_rows("8000001,Import One,primary,S12000050,AIRDRIE",
                    "8000002,Import Two,primary,S12000050,Newarthill",
                    "8000003,Import Three,primary,S12000050,newarthill", header=header)
    answer = send(api, make.headers(make.user("officer", authority_admin=True)), body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["also_created"] == {"area": 1}
    db.expire_all()
    stored = {e.code: e for e in db.scalars(select(Establishment))}
    assert (stored["8000001"].area_id, stored["8000001"].area) == (airdrie.id, "Airdrie")
    assert stored["8000002"].area_id == stored["8000003"].area_id
    assert stored["8000003"].area == "Newarthill"
    client = make.client(["establishments:write", "imports:write"])
    refused = send(api, make.headers(client), csv_rows(
        "8000004,Import Four,primary,S12000050,Shotts", header=header))
    assert refused.status_code == 422, refused.text
    assert "only its admins may create one" in refused.text
    # Through the API, a new name is refused, not created.
    assert_problem(api.post("/api/v1/establishments", headers=make.headers(make.admin()), json={
        "code": "8000005", "name": "API School", "sector": "primary",
        "authority_id": str(make.authority().id), "area": "Shotts"}), 422, loc=["body", "area"])
