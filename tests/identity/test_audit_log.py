"""The audit log: what user and client writes record, and who may read it."""

import json
from datetime import timedelta

import pytest

from app.core.types import utcnow

AUDIT = "/api/v1/audit-events"
SECRET_KEYS = {"password_hash", "secret_hash", "token_hash", "password", "client_secret"}


def _events(api, headers, **params):
    answer = api.get(AUDIT, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _assert_no_secrets(event, *secrets):
    for side in ("before", "after"):
        assert not SECRET_KEYS & set(event[side] or {}), event
    text = json.dumps(event)
    for secret in secrets:
        assert secret not in text


@pytest.fixture
def people(make, db):
    ours, glasgow = make.authority(), make.authority("S12000049")
    people = {
        "ours": ours, "glasgow": glasgow,
        "admin": make.admin(),
        "authority_admin": make.user("officer", authority=ours, authority_admin=True),
        "glasgow_admin": make.user("officer", authority=glasgow, authority_admin=True),
    }
    db.commit()
    return people


def test_user_writes_are_audited_with_actor_before_and_after_but_no_secrets(api, make, people):
    actor = people["authority_admin"]
    password = "a-long-passphrase-2025"
    created = api.post("/api/v1/users", headers=make.headers(actor, **{"X-Request-ID": "req-create-1"}),
                       json={"email": "audited@test.sih.scot", "name": "Audited", "password": password,
                             "role": "officer", "authority_id": str(people["ours"].id)})
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    updated = api.patch(f"/api/v1/users/{user_id}",
                        json={"name": "Renamed", "password": "another-passphrase-1"},
                        headers=make.headers(actor, **{"If-Match": created.headers["etag"]}))
    assert updated.status_code == 200, updated.text
    deleted = api.delete(f"/api/v1/users/{user_id}",
                         headers=make.headers(actor, **{"If-Match": updated.headers["etag"]}))
    assert deleted.status_code == 204

    events = _events(api, make.headers(people["admin"]), resource_type="user", resource_id=user_id)
    assert [e["action"] for e in events] == ["user.create", "user.update", "user.delete"]
    create, update, delete = events
    for event in events:
        assert event["actor_type"] == "user"
        assert event["actor_id"] == str(actor.id)
        assert event["actor_label"] == actor.email
        assert event["resource_id"] == user_id
        assert event["authority_id"] == str(people["ours"].id)
        _assert_no_secrets(event, password, "another-passphrase-1", "$argon2")
    assert create["request_id"] == "req-create-1"
    assert create["before"] is None and create["after"]["email"] == "audited@test.sih.scot"
    assert update["before"]["name"] == "Audited" and update["after"]["name"] == "Renamed"
    assert delete["before"]["name"] == "Renamed" and delete["after"] is None


def test_client_writes_are_audited_without_the_secret(api, make, people):
    admin = people["admin"]
    created = api.post("/api/v1/clients", headers=make.headers(admin, **{"X-Request-ID": "req-client-1"}),
                       json={"name": "MIS", "scopes": ["establishments:write"],
                             "authority_id": str(people["ours"].id)})
    assert created.status_code == 201, created.text
    body = created.json()
    assert api.delete(f"/api/v1/clients/{body['id']}", headers=make.headers(admin)).status_code == 204
    events = _events(api, make.headers(admin), resource_type="client")
    assert [e["action"] for e in events] == ["client.create", "client.delete"]
    for event in events:
        assert event["actor_id"] == str(admin.id)
        assert event["resource_id"] == body["id"]
        _assert_no_secrets(event, body["client_secret"])
    assert events[0]["request_id"] == "req-client-1"
    assert events[0]["after"]["scopes"] == ["establishments:write"]
    assert events[1]["before"]["name"] == "MIS"


def test_a_clients_own_writes_name_the_client(api, make, people):
    client = make.client(["establishments:write"], authority=people["ours"])
    answer = api.post("/api/v1/establishments", headers=make.headers(client),
                      json={"code": "8111111", "name": "Client Made", "sector": "primary",
                            "authority_id": str(people["ours"].id)})
    assert answer.status_code == 201, answer.text
    [event] = _events(api, make.headers(people["admin"]), resource_type="establishment")
    assert event["actor_type"] == "client"
    assert event["actor_id"] == str(client.id)
    assert event["actor_label"].startswith("client:")


def test_a_request_without_x_request_id_still_gets_one_on_its_event(api, make, people):
    answer = api.post("/api/v1/users", headers=make.headers(people["admin"]),
                      json={"email": "x@test.sih.scot", "name": "X", "password": "a-long-passphrase-2025",
                            "role": "admin"})
    assert answer.status_code == 201
    [event] = _events(api, make.headers(people["admin"]), resource_type="user")
    assert event["request_id"] == answer.headers["x-request-id"]


def _write_in_both_authorities(api, make, people):
    for key, admin_key in (("ours", "authority_admin"), ("glasgow", "glasgow_admin")):
        answer = api.post("/api/v1/users", headers=make.headers(people[admin_key]),
                          json={"email": f"new.{key}@test.sih.scot", "name": key,
                                "password": "a-long-passphrase-2025", "role": "officer",
                                "authority_id": str(people[key].id)})
        assert answer.status_code == 201, answer.text


def test_admins_see_everything_and_authority_admins_their_own_authority(api, make, people):
    _write_in_both_authorities(api, make, people)
    everything = _events(api, make.headers(people["admin"]))
    assert {e["authority_id"] for e in everything} == {str(people["ours"].id), str(people["glasgow"].id)}
    own = _events(api, make.headers(people["authority_admin"]))
    assert own and {e["authority_id"] for e in own} == {str(people["ours"].id)}
    # A filter naming another authority's resource yields nothing, not their events.
    theirs = [e for e in everything if e["authority_id"] == str(people["glasgow"].id)]
    assert _events(api, make.headers(people["authority_admin"]),
                   resource_id=theirs[0]["resource_id"]) == []


def test_everybody_else_is_refused_the_audit_log(api, make, people):
    _write_in_both_authorities(api, make, people)
    for who in (make.user("officer", authority=people["ours"]), make.user("headteacher"),
                make.user("regional_lead"),
                make.client(["establishments:write", "changes:read", "summaries:read"],
                            authority=people["ours"])):
        answer = api.get(AUDIT, headers=make.headers(who))
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_filters_and_pagination(api, make, people):
    _write_in_both_authorities(api, make, people)
    admin_headers = make.headers(people["admin"])
    client = api.post("/api/v1/clients", headers=admin_headers,
                      json={"name": "MIS", "scopes": ["summaries:read"],
                            "authority_id": str(people["ours"].id)})
    assert client.status_code == 201
    everything = _events(api, admin_headers)
    assert len(everything) == 3

    assert [e["action"] for e in _events(api, admin_headers, resource_type="client")] == ["client.create"]
    assert len(_events(api, admin_headers, action="user.create")) == 2
    by_actor = _events(api, admin_headers, actor_id=str(people["glasgow_admin"].id))
    assert [e["authority_id"] for e in by_actor] == [str(people["glasgow"].id)]

    last = everything[-1]["occurred_at"]
    first = everything[0]["occurred_at"]
    assert {e["id"] for e in _events(api, admin_headers, since=last)} >= {everything[-1]["id"]}
    assert _events(api, admin_headers, until=first) == []
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert _events(api, admin_headers, since=later) == []
    assert len(_events(api, admin_headers, since=first, until=later)) == 3

    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = api.get(AUDIT, params=params, headers=admin_headers).json()
        assert len(page["items"]) <= 1
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [e["id"] for e in everything]
    assert api.get(AUDIT, params={"cursor": "forged.cursor"}, headers=admin_headers).status_code == 422


def test_failed_writes_leave_no_audit_event(api, make, people):
    answer = api.post("/api/v1/users", headers=make.headers(people["authority_admin"]),
                      json={"email": "nope@test.sih.scot", "name": "Nope",
                            "password": "a-long-passphrase-2025", "role": "admin"})
    assert answer.status_code == 403
    assert _events(api, make.headers(people["admin"])) == []


def test_a_change_of_a_headteachers_schools_is_visible_in_the_audit_log(api, make, people, db):
    """The binding is what scopes a headteacher: the log must show it before and after."""
    first, second = make.establishment(people["ours"]), make.establishment(people["ours"])
    db.commit()
    actor = people["authority_admin"]
    created = api.post("/api/v1/users", headers=make.headers(actor), json={
        "email": "head@test.sih.scot", "name": "Head", "password": "a-long-passphrase-2025",
        "role": "headteacher", "establishment_ids": [str(first.id)]})
    assert created.status_code == 201, created.text
    moved = api.patch(f"/api/v1/users/{created.json()['id']}", json={"establishment_ids": [str(second.id)]},
                      headers=make.headers(actor, **{"If-Match": created.headers["etag"]}))
    assert moved.status_code == 200, moved.text
    create, update = _events(api, make.headers(people["admin"]), resource_type="user")
    assert create["after"]["establishment_ids"] == [str(first.id)]
    assert update["before"]["establishment_ids"] == [str(first.id)]
    assert update["after"]["establishment_ids"] == [str(second.id)]


def test_a_password_change_is_visible_in_the_audit_log_without_the_password(api, make, people):
    actor = people["authority_admin"]
    officer = make.user("officer", authority=people["ours"])
    answer = api.patch(f"/api/v1/users/{officer.id}", json={"password": "a-new-passphrase-2025"},
                       headers=make.headers(actor, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    [event] = _events(api, make.headers(people["admin"]), resource_type="user", action="user.update")
    assert event["after"]["password_changed"] is True
    _assert_no_secrets(event, "a-new-passphrase-2025", "$argon2")


def test_deleting_a_headteacher_records_the_schools_they_led(api, make, people, db):
    school = make.establishment(people["ours"])
    head = make.user("headteacher", establishments=[school])
    db.commit()
    answer = api.delete(f"/api/v1/users/{head.id}",
                        headers=make.headers(people["authority_admin"], **{"If-Match": '"1"'}))
    assert answer.status_code == 204
    [event] = _events(api, make.headers(people["admin"]), action="user.delete")
    assert event["before"]["establishment_ids"] == [str(school.id)]
    assert event["after"] is None
