"""Agreed actions followed up: rows with an owner and a due date, open until done, often
found done at a later visit; a school's open actions in one call; a phone's batch carries
follow-ups and support statuses under the visits' conflict rules."""

import uuid

from sqlmodel import select

from app.audit.models import AuditEvent

VISITS = "/api/v1/visits"
ACTIONS = [{"description": "Moderation of P4 writing with the cluster", "owner": "DHT",
            "due": "2025-12-12"},
           {"description": "Share success criteria with pupils", "owner": "P5 teachers",
            "due": "2026-02-27"}]


def _visit(school, **changes):
    return {"establishment_id": str(school.establishment.id), "visit_date": "2025-10-07",
            "kind": "support_and_challenge", "notes": "Observed P5 numeracy.",
            "agreed_actions": ACTIONS, "shared_with_school": True, "status": "final", **changes}


def _put(api, school, **changes):
    answer = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school, **changes),
                     headers=school.link_officer)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _open(api, school, headers):
    answer = api.get(f"/api/v1/establishments/{school.establishment.id}/agreed-actions",
                     params={"outstanding": "true"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _follow_up(api, action_id, body, headers):
    etag = api.get(f"/api/v1/agreed-actions/{action_id}", headers=headers).headers["ETag"]
    return api.patch(f"/api/v1/agreed-actions/{action_id}", json=body,
                     headers={**headers, "If-Match": etag})


def test_an_action_agreed_at_one_visit_is_found_done_at_the_next(api, school):
    first = _put(api, school)
    ids = [a["id"] for a in first["agreed_actions"]]
    assert [a["done_on"] for a in first["agreed_actions"]] == [None, None]
    listed = _open(api, school, school.link_officer)
    assert [a["id"] for a in listed] == ids
    assert listed[0]["visit_id"] == first["id"] and listed[0]["owner"] == "DHT"
    assert listed[0]["establishment_code"] == school.establishment.code
    assert listed[0]["overdue"] is True  # due December 2025: long past

    later = _put(api, school, visit_date="2026-01-20", agreed_actions=[])
    # Another officer of the authority may follow it up: the later visit need not be the link's.
    done = _follow_up(api, ids[0], {"done_at_visit_id": later["id"]}, school.other_officer)
    assert done.status_code == 200, done.text
    assert done.json()["done_on"] == "2026-01-20" and done.json()["overdue"] is False
    assert done.json()["done_at_visit_id"] == later["id"]
    assert [a["id"] for a in _open(api, school, school.link_officer)] == [ids[1]]

    visit = api.get(f"{VISITS}/{first['id']}", headers=school.link_officer)
    assert visit.json()["version"] == first["version"] + 1  # it shows its actions: a new ETag
    assert visit.json()["agreed_actions"][0]["done_on"] == "2026-01-20"
    # The school sees its open actions too (the visit is final and shared with it).
    assert [a["id"] for a in _open(api, school, school.head)] == [ids[1]]


def test_a_phone_resending_its_visit_does_not_reopen_what_was_done(api, school):
    visit_id = str(uuid.uuid4())
    first = api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=school.link_officer).json()
    action_id = first["agreed_actions"][0]["id"]
    assert _follow_up(api, action_id, {"done_on": "2025-11-30"},
                      school.link_officer).status_code == 200
    again = api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=school.link_officer)
    assert again.status_code == 200, again.text
    assert again.json()["agreed_actions"][0] == {**again.json()["agreed_actions"][0],
                                                 "id": action_id, "done_on": "2025-11-30"}


def test_editing_a_visits_actions_keeps_each_ones_identity_by_its_place(api, school):
    first = _put(api, school)
    ids = [a["id"] for a in first["agreed_actions"]]
    edited = api.patch(f"{VISITS}/{first['id']}", json={"agreed_actions": [
        {**ACTIONS[0], "owner": "Headteacher"}]},
        headers={**school.link_officer, "If-Match": f'"{first["version"]}"'})
    assert edited.status_code == 200, edited.text
    assert [(a["id"], a["owner"]) for a in edited.json()["agreed_actions"]] == [
        (ids[0], "Headteacher")]
    assert edited.json()["version"] == first["version"] + 1
    gone = api.get(f"/api/v1/agreed-actions/{ids[1]}", headers=school.link_officer)
    assert gone.status_code == 404


def test_follow_ups_that_cannot_be_true_are_refused_and_change_nothing(api, school, make):
    first = _put(api, school)
    action_id = first["agreed_actions"][0]["id"]
    planned = _put(api, school, visit_date="2027-01-10", status="planned", agreed_actions=[])
    earlier = _put(api, school, visit_date="2025-09-01", agreed_actions=[])
    elsewhere = make.establishment(authority=None, link_officer_id=school.link_officer_id)
    other = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(
        school, establishment_id=str(elsewhere.id), agreed_actions=[]),
        headers=school.link_officer).json()
    for body, field in [({"done_on": "2025-10-01"}, "done_on"),  # before it was agreed
                        ({"done_on": "2027-06-01"}, "done_on"),  # in the future
                        ({"done_at_visit_id": planned["id"]}, "done_at_visit_id"),
                        ({"done_at_visit_id": earlier["id"]}, "done_at_visit_id"),
                        ({"done_at_visit_id": other["id"]}, "done_at_visit_id"),
                        ({"done_at_visit_id": str(uuid.uuid4())}, "done_at_visit_id"),
                        ({}, "done_on")]:
        answer = _follow_up(api, action_id, body, school.link_officer)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text
    after = api.get(f"/api/v1/agreed-actions/{action_id}", headers=school.link_officer).json()
    assert (after["done_on"], after["version"]) == (None, 1)


def test_who_sees_and_who_follows_up(api, school):
    first = _put(api, school)
    action_id = first["agreed_actions"][0]["id"]
    # The school reads its actions but does not mark them done: the authority's officers do.
    assert _follow_up(api, action_id, {"done_on": "2025-11-30"}, school.head).status_code == 403
    assert api.get(f"/api/v1/agreed-actions/{action_id}", headers=school.other_head
                   ).status_code == 404
    school_actions = f"/api/v1/establishments/{school.establishment.id}/agreed-actions"
    assert api.get(school_actions, headers=school.other_head).status_code == 404
    assert api.get(school_actions, headers=school.lead).status_code == 403
    # An action of a visit not shared with the school stays with the authority.
    _put(api, school, shared_with_school=False, visit_date="2025-11-07")
    assert len(_open(api, school, school.head)) == 2
    assert len(_open(api, school, school.link_officer)) == 4


def test_deleting_visits_keeps_what_was_done(api, school):
    first = _put(api, school)
    action_id = first["agreed_actions"][0]["id"]
    later = _put(api, school, visit_date="2026-01-20", agreed_actions=[ACTIONS[0]])
    assert _follow_up(api, action_id, {"done_at_visit_id": later["id"]},
                      school.link_officer).status_code == 200
    deleted = api.delete(f"{VISITS}/{later['id']}",
                         headers={**school.link_officer, "If-Match": f'"{later["version"]}"'})
    assert deleted.status_code == 204, deleted.text
    kept = api.get(f"/api/v1/agreed-actions/{action_id}", headers=school.link_officer).json()
    assert (kept["done_on"], kept["done_at_visit_id"]) == ("2026-01-20", None)
    assert len(_open(api, school, school.link_officer)) == 1  # the later visit's own went with it
    current = api.get(f"{VISITS}/{first['id']}", headers=school.link_officer).headers["ETag"]
    assert api.delete(f"{VISITS}/{first['id']}", headers={**school.link_officer,
                                                          "If-Match": current}).status_code == 204
    assert api.get(f"/api/v1/agreed-actions/{action_id}", headers=school.link_officer
                   ).status_code == 404


def test_a_follow_up_is_audited_with_what_it_was_before(api, school, db):
    first = _put(api, school)
    action_id = first["agreed_actions"][0]["id"]
    assert _follow_up(api, action_id, {"done_on": "2025-11-30"},
                      school.link_officer).status_code == 200
    db.commit()
    event = db.exec(select(AuditEvent).where(AuditEvent.resource_id == action_id)).one()
    assert event.action == "agreed_action.follow_up"
    assert event.before["done_on"] is None and event.after["done_on"] == "2025-11-30"


STATUS = {"rag": "amber", "level": "additional", "reasons": ["new_headteacher"],
          "agreed_on": "2026-01-20", "agreed_with": "Headteacher"}


def test_a_batch_carries_a_visit_its_follow_ups_and_a_support_status(api, school):
    first = _put(api, school)
    action_id = first["agreed_actions"][0]["id"]
    later_id = str(uuid.uuid4())
    batch = {"device_id": "ipad-17",
             "items": [{"id": later_id, "visit": _visit(school, visit_date="2026-01-20",
                                                        agreed_actions=[])}],
             "action_follow_ups": [{"id": action_id, "base_version": 1,
                                    "follow_up": {"done_at_visit_id": later_id}}],
             "support_statuses": [{"establishment_id": str(school.establishment.id),
                                   "base_version": None, "status": STATUS}]}
    answer = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["applied"], result["conflict"], result["rejected"]) == (3, 0, 0)
    assert result["action_follow_ups"][0]["outcome"] == "applied"
    assert result["support_statuses"][0] == {**result["support_statuses"][0],
                                             "outcome": "applied", "version": 1}
    action = api.get(f"/api/v1/agreed-actions/{action_id}", headers=school.link_officer).json()
    assert (action["done_on"], action["done_at_visit_id"]) == ("2026-01-20", later_id)

    # Sent again (no signal, so the phone retries): nothing changes, nothing conflicts.
    again = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer).json()
    assert (again["unchanged"], again["applied"], again["conflict"]) == (3, 0, 0)


def test_a_stale_device_gets_a_conflict_with_the_servers_state(api, school):
    first = _put(api, school)
    action_id = first["agreed_actions"][0]["id"]
    assert _follow_up(api, action_id, {"done_on": "2025-11-30"},
                      school.link_officer).status_code == 200
    set_on_server = api.put(f"/api/v1/establishments/{school.establishment.id}/support-status",
                            json={**STATUS, "rag": "red"}, headers=school.link_officer)
    assert set_on_server.status_code == 201
    batch = {"device_id": "ipad-17",
             "action_follow_ups": [{"id": action_id, "base_version": 1,
                                    "follow_up": {"done_on": "2025-12-05"}}],
             "support_statuses": [{"establishment_id": str(school.establishment.id),
                                   "base_version": None, "status": STATUS}]}
    result = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer).json()
    assert result["conflict"] == 2, result
    assert result["action_follow_ups"][0]["current"]["done_on"] == "2025-11-30"
    assert result["support_statuses"][0]["current"]["rag"] == "red"
    status = api.get(f"/api/v1/establishments/{school.establishment.id}/support-status",
                     headers=school.link_officer).json()
    assert (status["rag"], status["version"]) == ("red", 1)


def test_a_batch_item_the_caller_may_not_write_is_rejected_alone(api, school):
    first = _put(api, school)
    batch = {"device_id": "ipad-17",
             "action_follow_ups": [{"id": first["agreed_actions"][0]["id"], "base_version": 1,
                                    "follow_up": {"done_on": "2025-12-05"}}],
             # Only the link officer (or an authority admin) agrees a school's support.
             "support_statuses": [{"establishment_id": str(school.establishment.id),
                                   "status": STATUS}]}
    result = api.post(f"{VISITS}/sync", json=batch, headers=school.other_officer).json()
    assert result["action_follow_ups"][0]["outcome"] == "applied"
    assert result["support_statuses"][0]["outcome"] == "rejected"
    assert result["support_statuses"][0]["status"] == 403
    empty = api.post(f"{VISITS}/sync", json={"device_id": "ipad-17"}, headers=school.link_officer)
    assert empty.status_code == 422
