"""Visits from phones in schools with poor signal: resent, synced, never duplicated."""

import uuid

from sqlalchemy import func
from sqlmodel import select

from app.assurance.models import Visit
from tests.planning.conftest import school  # noqa: F401 - the fixture

VISITS = "/api/v1/visits"


def _visit(school, **changes):  # noqa: F811
    return {"establishment_id": str(school.establishment.id), "visit_date": "2025-10-07",
            "kind": "support_and_challenge", "indicator_codes": ["2.3"],
            "notes": "Observed P5 numeracy.", "strengths": "Pace", "next_steps": "Success criteria",
            "agreed_actions": [{"description": "Moderation", "owner": "DHT", "due": "2025-12-12"}],
            "shared_with_school": True, "status": "final",
            "client_recorded_at": "2025-10-07T11:32:00Z", **changes}


def _count(db):
    db.commit()
    return db.exec(select(func.count()).select_from(Visit)).one()


def test_a_phone_sending_the_same_visit_three_times_makes_one_record(api, school, db):  # noqa: F811
    visit_id = str(uuid.uuid4())
    answers = [api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=school.link_officer)
               for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert {a.json()["version"] for a in answers} == {1}
    assert answers[0].json()["client_recorded_at"] == "2025-10-07T11:32:00Z"
    assert answers[0].json()["session"] == "2025-26"
    keyed = [api.post(VISITS, json=_visit(school, notes="Second visit"),
                      headers={**school.link_officer, "Idempotency-Key": "visit-77"})
             for _ in range(3)]
    assert [a.status_code for a in keyed] == [201, 201, 201]
    assert len({a.json()["id"] for a in keyed}) == 1
    assert _count(db) == 2


def test_changing_an_existing_visit_needs_if_match(api, school):  # noqa: F811
    visit_id = str(uuid.uuid4())
    created = api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=school.link_officer)
    changed = _visit(school, notes="Corrected")
    assert api.put(f"{VISITS}/{visit_id}", json=changed, headers=school.link_officer
                   ).status_code == 428
    ok = api.put(f"{VISITS}/{visit_id}", json=changed,
                 headers={**school.link_officer, "If-Match": created.headers["ETag"]})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api.patch(f"{VISITS}/{visit_id}", json={"notes": "Again"},
                      headers={**school.link_officer, "If-Match": created.headers["ETag"]})
    assert stale.status_code == 412


def test_sync_applies_good_items_and_reports_the_conflict(api, school, db):  # noqa: F811
    existing = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school), headers=school.link_officer)
    existing_id = existing.json()["id"]
    etag = existing.headers["ETag"]
    api.patch(f"{VISITS}/{existing_id}", json={"notes": "Edited on the laptop"},
              headers={**school.link_officer, "If-Match": etag})  # now version 2
    new_ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = {"device_id": "ipad-17", "items": [
        *({"id": i, "visit": _visit(school, notes=f"Visit {n}")} for n, i in enumerate(new_ids)),
        {"id": existing_id, "base_version": 1, "visit": _visit(school, notes="Edited on the phone")},
    ]}
    answer = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["applied"], result["conflict"], result["unchanged"]) == (3, 1, 0)
    conflict = result["items"][3]
    assert conflict["outcome"] == "conflict" and conflict["version"] == 2
    assert conflict["current"]["notes"] == "Edited on the laptop"
    assert _count(db) == 4
    again = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer).json()
    assert again["unchanged"] == 3 and again["applied"] == 0
    stored = api.get(f"{VISITS}/{new_ids[0]}", headers=school.link_officer).json()
    assert stored["device_id"] == "ipad-17"


def test_a_bad_item_is_rejected_alone_and_leaves_nothing_behind(api, school, make, db):  # noqa: F811
    other_school = make.establishment(make.authority("S12000049"))
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    batch = {"device_id": "phone-1", "items": [
        {"id": good, "visit": _visit(school)},
        {"id": bad, "visit": {**_visit(school), "establishment_id": str(other_school.id)}},
        {"id": str(uuid.uuid4()), "visit": _visit(school, indicator_codes=["9.9"])},
    ]}
    result = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer).json()
    assert [i["outcome"] for i in result["items"]] == ["applied", "rejected", "rejected"]
    assert result["items"][1]["status"] == 422
    assert _count(db) == 1


def test_sync_takes_at_most_200_items(api, school):  # noqa: F811
    items = [{"id": str(uuid.uuid4()), "visit": _visit(school)} for _ in range(201)]
    answer = api.post(f"{VISITS}/sync", json={"device_id": "d", "items": items},
                      headers=school.link_officer)
    assert answer.status_code == 422


def test_drafts_are_the_officers_own_and_shared_finals_reach_the_school(api, school):  # noqa: F811
    draft = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school, status="draft"),
                    headers=school.link_officer).json()
    unshared = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school, shared_with_school=False),
                       headers=school.link_officer).json()
    shared = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school),
                     headers=school.link_officer).json()
    assert api.get(f"{VISITS}/{draft['id']}", headers=school.head).status_code == 404
    assert api.get(f"{VISITS}/{draft['id']}", headers=school.other_officer).status_code == 404
    assert api.get(f"{VISITS}/{draft['id']}", headers=school.link_officer).status_code == 200
    assert api.get(f"{VISITS}/{unshared['id']}", headers=school.head).status_code == 404
    assert api.get(f"{VISITS}/{unshared['id']}", headers=school.other_officer).status_code == 200
    read = api.get(f"{VISITS}/{shared['id']}", headers=school.head)
    assert read.status_code == 200 and read.json()["notes"] == "Observed P5 numeracy."
    assert api.get(f"{VISITS}/{shared['id']}", headers=school.other_head).status_code == 404
    listed = api.get(VISITS, headers=school.head).json()["items"]
    assert [v["id"] for v in listed] == [shared["id"]]


def test_regional_leads_never_see_visits(api, school):  # noqa: F811
    shared = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school),
                     headers=school.link_officer).json()
    assert api.get(VISITS, headers=school.lead).status_code == 403
    assert api.get(f"{VISITS}/{shared['id']}", headers=school.lead).status_code == 403


def test_officers_record_their_own_visits_only(api, school, make):  # noqa: F811
    other = make.user("officer")
    body = _visit(school, officer_id=str(other.id))
    assert api.post(VISITS, json=body, headers=school.link_officer).status_code == 422
    assert api.post(VISITS, json=body, headers=school.authority_admin).status_code == 201
    glasgow = make.headers(make.user("officer", authority=make.authority("S12000049")))
    assert api.post(VISITS, json=_visit(school), headers=glasgow).status_code == 422
    assert api.post(VISITS, json=_visit(school), headers=school.head).status_code == 403


def test_filters_by_officer_kind_status_and_dates(api, school):  # noqa: F811
    for day, kind in (("2025-09-01", "plan_review"), ("2025-10-01", "support_and_challenge"),
                      ("2026-01-15", "attainment_review")):
        api.post(VISITS, json=_visit(school, visit_date=day, kind=kind), headers=school.link_officer)
    def ids(**params):
        return [v["visit_date"] for v in api.get(VISITS, params=params,
                                                 headers=school.link_officer).json()["items"]]
    assert ids(kind="plan_review") == ["2025-09-01"]
    assert ids(**{"from": "2025-09-15", "to": "2025-12-31"}) == ["2025-10-01"]
    assert ids(session="2025-26") == ["2025-09-01", "2025-10-01", "2026-01-15"]
    assert ids(status="draft") == []


def test_a_phones_stale_copy_does_not_bring_a_deleted_visit_back(api, school, db):  # noqa: F811
    """PUT, DELETE with If-Match "1", then a sync of the phone's edited copy of version 1: a
    conflict whose server state is "deleted", and the visit stays deleted."""
    visit_id = str(uuid.uuid4())
    headers = school.link_officer
    assert api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=headers).status_code == 201
    assert api.delete(f"{VISITS}/{visit_id}", headers={**headers, "If-Match": '"1"'}).status_code == 204
    batch = {"device_id": "ipad-3", "items": [
        {"id": visit_id, "base_version": 1, "visit": _visit(school, notes="edited offline")}]}
    answer = api.post(f"{VISITS}/sync", json=batch, headers=headers)
    assert answer.status_code == 200
    item = answer.json()["items"][0]
    assert item["outcome"] == "conflict" and item["deleted"] is True and item["current"] is None
    assert answer.json()["applied"] == 0 and answer.json()["conflict"] == 1
    assert api.get(f"{VISITS}/{visit_id}", headers=headers).status_code == 404
    assert _count(db) == 0
    # A new visit from the phone (no base version) at the deleted id: the same answer.
    batch["items"][0]["base_version"] = None
    item = api.post(f"{VISITS}/sync", json=batch, headers=headers).json()["items"][0]
    assert item["outcome"] == "conflict" and item["deleted"] is True
    # Its deletion, sent again, changes nothing.
    gone = {"device_id": "ipad-3", "items": [{"id": visit_id, "base_version": 1, "deleted": True}]}
    assert api.post(f"{VISITS}/sync", json=gone, headers=headers).json()["items"][0]["outcome"] == "unchanged"
    assert _count(db) == 0


def test_put_and_post_do_not_recreate_a_deleted_visit(api, school, db):  # noqa: F811
    visit_id = str(uuid.uuid4())
    headers = school.link_officer
    api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=headers)
    api.delete(f"{VISITS}/{visit_id}", headers={**headers, "If-Match": '"1"'})
    again = api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers=headers)
    assert again.status_code == 409 and "was deleted on" in again.json()["detail"]
    stale = api.put(f"{VISITS}/{visit_id}", json=_visit(school), headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    posted = api.post(VISITS, json={**_visit(school), "id": visit_id}, headers=headers)
    assert posted.status_code == 409
    assert _count(db) == 0


def test_if_match_on_a_visit_that_never_existed_is_412(api, school, db):  # noqa: F811
    """RFC 9110: If-Match names a current representation; with none, the PUT fails."""
    answer = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school),
                     headers={**school.link_officer, "If-Match": "*"})
    assert answer.status_code == 412
    assert _count(db) == 0


def test_one_malformed_item_is_rejected_alone_and_the_rest_applied(api, school, db):  # noqa: F811
    """A batch of three with one `visit_date: "01/12/2026"`: that item rejected with its
    errors, the other two applied; a phone's queue is not blocked by one bad record."""
    ids = [str(uuid.uuid4()) for _ in range(3)]
    items = [{"id": ids[0], "visit": _visit(school)},
             {"id": ids[1], "visit": _visit(school, visit_date="01/12/2026")},
             {"id": ids[2], "visit": _visit(school, notes="third")}]
    answer = api.post(f"{VISITS}/sync", json={"device_id": "ipad-9", "items": items},
                      headers=school.link_officer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [i["outcome"] for i in result["items"]] == ["applied", "rejected", "applied"]
    rejected = result["items"][1]
    assert rejected["id"] == ids[1] and rejected["status"] == 422
    assert [e["loc"] for e in rejected["errors"]] == [["visit", "visit_date"]]
    assert (result["applied"], result["rejected"]) == (2, 1)
    assert _count(db) == 2
    assert api.get(f"{VISITS}/{ids[1]}", headers=school.link_officer).status_code == 404


def test_an_item_without_a_usable_id_fails_the_batch(api, school, db):  # noqa: F811
    items = [{"id": "not-a-uuid", "visit": _visit(school)},
             {"id": str(uuid.uuid4()), "visit": _visit(school)}]
    answer = api.post(f"{VISITS}/sync", json={"device_id": "ipad-9", "items": items},
                      headers=school.link_officer)
    assert answer.status_code == 422
    assert _count(db) == 0
