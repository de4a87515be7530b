"""Who may change which of a school's fields (issue 19, finding 9). A school's identity and
standing (code, sector, status, authority) and who its link officer is are the authority's:
administrators, the authority's admins and a client with establishments:write (the council's
MIS). A link officer maintains the details of the schools they link with (name, roll, SIMD,
Gaelic-medium provision, cluster and area). Closing a school takes it out of every aggregate,
so a link officer who tries is refused (403, naming the fields), and nothing changes: not the
other fields of the same request, not the version, not the audit log. Sending a reserved
field with its stored value (a GET's body sent back) is not a change, and is accepted."""

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory

URL = "/api/v1/establishments"


@pytest.fixture
def linked(make: Factory):
    """A school and its link officer (a plain officer of the authority)."""
    officer = make.user("officer")
    school = make.establishment(link_officer_id=officer.id, roll=100, sector="primary")
    return school, officer


def _patch(api, make: Factory, who, school: Establishment, body: dict, version: int = 1):
    return api.patch(f"{URL}/{school.id}", json=body,
                     headers=make.headers(who, **{"If-Match": f'"{version}"'}))


def _audited(db: Session, school: Establishment) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(
        AuditEvent.resource_id == str(school.id), AuditEvent.action == "establishment.update")))


@pytest.mark.parametrize(("body", "named"), [
    ({"status": "closed"}, ["status"]),
    ({"code": "8123456"}, ["code"]),
    ({"sector": "secondary"}, ["sector"]),
    ({"code": "8123456", "sector": "secondary", "status": "closed"}, ["code", "sector", "status"]),
    ({"roll": 321, "status": "closed"}, ["status"]),
])
def test_a_link_officer_may_not_change_code_sector_or_status(api, make: Factory, db: Session,
                                                             linked, body, named) -> None:
    school, officer = linked
    answer = _patch(api, make, officer, school, body)
    problem = assert_problem(answer, 403)
    for field in named:
        assert field in problem["detail"], problem["detail"]
    assert sorted(e["loc"][-1] for e in problem["errors"]) == named
    db.expire_all()
    stored = db.get(Establishment, school.id)
    assert (stored.code, stored.sector, stored.status, stored.roll, stored.version) == (
        school.code, "primary", "open", 100, 1)
    assert _audited(db, school) == []


def test_a_link_officer_may_not_hand_the_school_to_another_officer(api, make: Factory, db: Session,
                                                                  linked) -> None:
    school, officer = linked
    other = make.user("officer")
    problem = assert_problem(_patch(api, make, officer, school,
                                    {"link_officer_id": str(other.id)}), 403)
    assert "link_officer_id" in problem["detail"]
    db.expire_all()
    assert db.get(Establishment, school.id).link_officer_id == officer.id


def test_a_link_officer_maintains_the_schools_details(api, make: Factory, db: Session,
                                                      linked) -> None:
    school, officer = linked
    cluster = make.cluster(area="North")
    body = {"name": "Renamed Primary", "roll": 321, "simd_q1_percent": 12.5,
            "gaelic_medium": True, "cluster_id": str(cluster.id), "area": "North"}
    answer = _patch(api, make, officer, school, body)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in body} == body
    assert len(_audited(db, school)) == 1
    # What GET answered, sent back whole: the reserved fields keep their values, so accepted.
    current = api.get(f"{URL}/{school.id}", headers=make.headers(officer)).json()
    echoed = {k: current[k] for k in ("code", "sector", "status", "link_officer_id", "roll")}
    again = _patch(api, make, officer, school, {**echoed, "roll": 322}, version=current["version"])
    assert again.status_code == 200, again.text
    assert again.json()["roll"] == 322


@pytest.mark.parametrize("who", ["admin", "authority_admin", "client"])
def test_the_authority_may_change_them(api, make: Factory, db: Session, linked, who) -> None:
    school, _officer = linked
    caller = {"admin": lambda: make.admin(),
              "authority_admin": lambda: make.user("officer", authority_admin=True),
              "client": lambda: make.client(["establishments:write"])}[who]()
    other = make.user("officer")
    answer = _patch(api, make, caller, school, {
        "code": "8123456", "sector": "secondary", "status": "closed",
        "link_officer_id": str(other.id)})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["sector"]) == ("closed", "secondary")
    assert len(_audited(db, school)) == 1


def test_the_upsert_by_code_keeps_the_same_rights(api, make: Factory, db: Session, linked) -> None:
    school, officer = linked
    answer = api.put(f"{URL}/by-code/{school.code}", headers=make.headers(officer), json={
        "name": school.name, "sector": "primary", "status": "closed"})
    problem = assert_problem(answer, 403)
    assert "status" in problem["detail"]
    db.expire_all()
    assert (db.get(Establishment, school.id).status, db.get(Establishment, school.id).version) == (
        "open", 1)
    ok = api.put(f"{URL}/by-code/{school.code}", headers=make.headers(officer), json={
        "name": school.name, "sector": "primary", "roll": 150})
    assert ok.status_code == 200, ok.text
    assert ok.json()["roll"] == 150


def test_the_contract_says_who_may_change_what(api) -> None:
    document = api.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/establishments/{establishment_id}"]["patch"]
    from app.identity.policy import LINK_OFFICER_FIELDS

    for field in ("code", "sector", "status", "link_officer_id", *LINK_OFFICER_FIELDS):
        assert f"`{field}`" in operation["description"], field
    fields = document["components"]["schemas"]["EstablishmentUpdate"]["properties"]
    assert "authority" in fields["status"]["description"]
