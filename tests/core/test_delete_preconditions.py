"""One rule for writes to an existing resource: PATCH, PUT and DELETE alike need If-Match with
the ETag last read (428 without it, 412 when it is stale), so nobody deletes what someone else
changed since they read it. The two DELETEs without If-Match act on what has no ETag: an
integration client (never updated) and a CLPL participant's personal data (erasure)."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from app.core.schemas import current_session, session_of
from app.planning.models import PlanPriority
from tests.core.problems import assert_problem
from tests.factories import Factory, PlanningFactory

API = "/api/v1"
WITHOUT_IF_MATCH = {"deleteClient", "eraseClplParticipant"}


def _at(days: int, hours: int = 0) -> str:
    moment = datetime.now(UTC) + timedelta(days=days, hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _created(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


# Each returns the resource's URL and who may delete it.
Arrange = Callable[[Any, Factory], tuple[str, dict[str, str]]]


def _establishment(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    return f"{API}/establishments/{make.establishment().id}", make.headers(make.admin())


def _cluster(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    return f"{API}/clusters/{make.cluster().id}", make.headers(make.admin())


def _user(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    return f"{API}/users/{make.user('officer').id}", make.headers(make.admin())


def _plan(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    school = make.establishment()
    plan = PlanningFactory(make).plan(school, priorities=0)
    return (f"{API}/improvement-plans/{plan.id}",
            make.headers(make.user("headteacher", establishments=[school])))


def _priority(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    school = make.establishment()
    plan = PlanningFactory(make).plan(school, priorities=2)
    priority = make.db.exec(select(PlanPriority).where(PlanPriority.plan_id == plan.id)).first()
    assert priority is not None
    return (f"{API}/improvement-plans/{plan.id}/priorities/{priority.id}",
            make.headers(make.user("headteacher", establishments=[school])))


def _visit(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    officer = make.user("officer")
    school = make.establishment(link_officer_id=officer.id)
    headers = make.headers(officer)
    visit = _created(api.post(f"{API}/visits", headers=headers, json={
        "establishment_id": str(school.id), "visit_date": "2025-10-07",
        "kind": "support_and_challenge", "indicator_codes": ["2.3"], "status": "final"}))
    return f"{API}/visits/{visit['id']}", headers


def _new_trio(api: Any, make: Factory,
              session: str | None = None) -> tuple[str, list[Any], dict[str, str]]:
    """A trio of this session (or the one given), its schools, an officer."""
    schools = [make.establishment(cluster_id=make.cluster(area="Airdrie").id, area="Airdrie")
               for _ in range(3)]
    headers = make.headers(make.user("officer"))
    trio = _created(api.post(f"{API}/trios", headers=headers, json={
        "session": session or current_session(), "kind": "trio", "indicator_codes": ["1.3"],
        "members": [{"establishment_id": str(s.id)} for s in schools]}))
    return f"{API}/trios/{trio['id']}", schools, headers


def _trio(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    url, _schools, headers = _new_trio(api, make)
    return url, headers


def _trio_meeting(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    ahead = date.today() + timedelta(days=7)  # not held yet
    url, _schools, headers = _new_trio(api, make, session_of(ahead))
    meeting = _created(api.post(f"{url}/meetings", headers=headers,
                                json={"kind": "central", "date": ahead.isoformat()}))
    return f"{url}/meetings/{meeting['id']}", headers


def _peer_review(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    url, schools, headers = _new_trio(api, make)
    review = _created(api.post(f"{url}/peer-reviews", headers=headers, json={
        "visited_establishment_id": str(schools[0].id), "date": date.today().isoformat(),
        "indicator_code": "2.3"}))
    return f"{url}/peer-reviews/{review['id']}", headers


def _event(api: Any, make: Factory) -> dict[str, Any]:
    return _created(api.post(f"{API}/clpl-events", headers=make.headers(make.admin()), json={
        "title": "Moderation of writing", "level": "additional", "provider": "The council",
        "authority_id": str(make.authority().id), "audience": ["teachers"],
        "starts_at": _at(30), "ends_at": _at(30, 2), "location": "Civic Centre", "capacity": 5}))


def _clpl_event(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    return f"{API}/clpl-events/{_event(api, make)['id']}", make.headers(make.admin())


def _registration(api: Any, make: Factory) -> tuple[str, dict[str, str]]:
    event, admin = _event(api, make), make.headers(make.admin())
    registration = _created(api.post(f"{API}/clpl-events/{event['id']}/registrations",
                                     headers=admin, json={"participant": {
                                         "name": "Ann Bell", "email": "ann.bell@example.scot",
                                         "role": "Class teacher"}}))
    return f"{API}/clpl-events/{event['id']}/registrations/{registration['id']}", admin


VERSIONED = {"deleteEstablishment": _establishment, "deleteCluster": _cluster,
             "deleteUser": _user, "deleteImprovementPlan": _plan,
             "deletePlanPriority": _priority, "deleteVisit": _visit, "deleteTrio": _trio,
             "deleteTrioMeeting": _trio_meeting, "deletePeerReview": _peer_review,
             "deleteClplEvent": _clpl_event, "cancelClplRegistration": _registration}


def test_every_delete_is_tested_here_and_declares_the_rule(api):
    """Read from the served contract: every DELETE is one of these, and declares 412 and 428
    (and takes If-Match) unless it is one of the two without."""
    document = api.get("/openapi.json").json()
    deletes = {op["operationId"]: op for item in document["paths"].values()
               if (op := item.get("delete"))}
    assert set(deletes) == set(VERSIONED) | WITHOUT_IF_MATCH
    for operation_id, operation in deletes.items():
        takes = "If-Match" in {p["name"] for p in operation.get("parameters", [])}
        declares = {"412", "428"} <= set(operation["responses"])
        assert takes == declares == (operation_id not in WITHOUT_IF_MATCH), operation_id


@pytest.mark.parametrize("operation_id", sorted(VERSIONED))
def test_a_delete_needs_if_match_and_a_stale_one_fails(api, make: Factory, operation_id: str):
    url, headers = VERSIONED[operation_id](api, make)
    etag = api.get(url, headers=headers).headers["ETag"]
    assert_problem(api.delete(url, headers=headers), 428)
    assert_problem(api.delete(url, headers={**headers, "If-Match": '"999"'}), 412)
    assert api.get(url, headers=headers).headers["ETag"] == etag  # untouched by either
    done = api.delete(url, headers={**headers, "If-Match": etag})
    assert done.status_code in (200, 204), done.text


def test_deleting_what_someone_changed_since_it_was_read_is_412(api, make: Factory):
    url, headers = _establishment(api, make)
    read = api.get(url, headers=headers).headers["ETag"]
    assert api.patch(url, json={"roll": 321}, headers={**headers, "If-Match": read}).status_code == 200
    assert_problem(api.delete(url, headers={**headers, "If-Match": read}), 412)
    assert api.get(url, headers=headers).json()["roll"] == 321


def test_a_client_and_an_erasure_take_no_if_match(api, make: Factory):
    admin = make.headers(make.admin())
    client = make.client(["establishments:write"])
    assert api.delete(f"{API}/clients/{client.id}", headers=admin).status_code == 204
    url, _ = _registration(api, make)
    assert api.delete(f"{url}/participant", headers=admin).status_code == 204
