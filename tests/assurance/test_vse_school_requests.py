"""What a school sees of its VSEs (issue #21, points 1 and 2): the requests it made and what
became of them, every VSE of the school once scheduled, the findings once reported; it may
withdraw its own request while it is proposed; one open VSE per school at a time."""

import threading
from datetime import datetime

from tests.assurance.conftest import (
    GRADES,
    VSE_CYCLES,
    create_vse,
    move_vse,
    patch_vse,
)


def _ask(api, school, headers=None, **changes):
    body = {"establishment_id": str(school.establishment.id), "session": "2025-26",
            "trigger": "school_requested", "indicator_codes": ["1.3", "2.3"],
            "request_reason": "We would like our view of 1.3 and 2.3 validated.", **changes}
    return api.post(VSE_CYCLES, json=body, headers=headers or school.head)


def _listed(api, headers, **params):
    answer = api.get(VSE_CYCLES, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [c["id"] for c in answer.json()["items"]]


def test_a_school_sees_its_request_in_its_list_and_by_id(api, school):
    asked = _ask(api, school)
    assert asked.status_code == 201, asked.text
    cycle = asked.json()
    url = f"{VSE_CYCLES}/{cycle['id']}"
    seen = api.get(url, headers=school.head)
    assert seen.status_code == 200, seen.text
    assert seen.json()["status"] == "proposed" and seen.json()["trigger"] == "school_requested"
    assert seen.json()["allowed_transitions"] == ["cancel"]
    assert seen.json()["cancelled_at"] is None and seen.json()["cancelled_by"] is None
    assert seen.headers["ETag"] == f'"{cycle["version"]}"'
    assert _listed(api, school.head) == [cycle["id"]]
    assert _listed(api, school.head, establishment_id=str(school.establishment.id)) == [cycle["id"]]
    assert _listed(api, school.head, status="proposed", trigger="school_requested") == [cycle["id"]]
    # Nobody else's business: another school's headteacher, a regional lead.
    assert api.get(url, headers=school.other_head).status_code == 404
    assert api.get(url, headers=school.lead).status_code == 404
    assert _listed(api, school.other_head) == []
    assert _listed(api, school.other_head, establishment_id=str(school.establishment.id)) == []


def test_the_school_withdraws_its_request_while_it_is_proposed_saying_why(api, school):
    cycle = _ask(api, school).json()
    url = f"{VSE_CYCLES}/{cycle['id']}"
    assert api.post(f"{url}/cancel", headers=school.head).status_code == 422  # no reason
    blank = api.post(f"{url}/cancel", json={"reason": "  "}, headers=school.head)
    assert blank.status_code == 422 and blank.json()["errors"][0]["loc"][:2] == ["body", "reason"]
    assert api.post(f"{url}/cancel", json={"reason": "Not ours"},
                    headers=school.other_head).status_code == 404
    withdrawn = move_vse(api, cycle["id"], "cancel", school.head, reason="New HT starts in May.")
    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert body["status"] == "cancelled" and body["cancelled_by"] == "school"
    assert body["cancellation_reason"] == "New HT starts in May."
    assert datetime.fromisoformat(body["cancelled_at"]) >= datetime.fromisoformat(
        body["created_at"])
    assert body["allowed_transitions"] == [] and body["version"] == cycle["version"] + 1
    officer_view = api.get(url, headers=school.link_officer).json()
    assert officer_view["cancelled_by"] == "school"
    assert officer_view["cancellation_reason"] == "New HT starts in May."
    again = move_vse(api, cycle["id"], "cancel", school.head)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


def test_once_scheduled_only_the_authority_cancels_the_request(api, school):
    cycle = _ask(api, school, visit_start="2025-11-03", visit_end="2025-11-05").json()
    assert move_vse(api, cycle["id"], "schedule", school.link_officer).status_code == 200
    seen = api.get(f"{VSE_CYCLES}/{cycle['id']}", headers=school.head).json()
    assert seen["status"] == "scheduled" and seen["allowed_transitions"] == []
    assert seen["scheduled_at"] is not None
    late = move_vse(api, cycle["id"], "cancel", school.head)
    assert late.status_code == 409
    assert "only while it is proposed" in late.json()["detail"]
    # The school never runs the VSE: no other move is its.
    assert move_vse(api, cycle["id"], "start", school.head).status_code == 403
    assert move_vse(api, cycle["id"], "cancel", school.link_officer).status_code == 200


def test_the_school_learns_that_the_authority_cancelled_its_request_and_why(api, school):
    cycle = _ask(api, school).json()
    url = f"{VSE_CYCLES}/{cycle['id']}"
    no_reason = api.post(f"{url}/cancel", headers=school.link_officer)
    assert no_reason.status_code == 422
    cancelled = move_vse(api, cycle["id"], "cancel", school.link_officer,
                         reason="An HMIE inspection is due this term; we will plan the VSE after it.")
    assert cancelled.status_code == 200, cancelled.text
    seen = api.get(url, headers=school.head)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["status"] == "cancelled" and body["cancelled_by"] == "authority"
    assert body["cancellation_reason"].startswith("An HMIE inspection is due")
    assert body["cancelled_at"] == cancelled.json()["cancelled_at"] is not None
    assert _listed(api, school.head, status="cancelled") == [cycle["id"]]


def test_the_school_sees_the_authoritys_vse_once_scheduled_and_its_findings_once_reported(
        api, school):
    directed = create_vse(api, school)  # authority_directed, proposed
    url = f"{VSE_CYCLES}/{directed['id']}"
    assert api.get(url, headers=school.head).status_code == 404  # still the authority's
    assert _listed(api, school.head) == []
    assert move_vse(api, directed["id"], "schedule", school.link_officer).status_code == 200
    told = api.get(url, headers=school.head)
    assert told.status_code == 200, told.text
    assert told.json()["visit_start"] == "2025-11-03" and len(told.json()["team"]) == 2
    assert _listed(api, school.head) == [directed["id"]]
    # A scheduled VSE of the authority's is not the school's to cancel.
    refused = move_vse(api, directed["id"], "cancel", school.head)
    assert refused.status_code == 403 and "own" in refused.json()["detail"]

    move_vse(api, directed["id"], "start", school.link_officer)
    patch_vse(api, directed["id"], {"evaluations": GRADES, "themes": ["Tracking"],
                                    "summary": "Draft: 2.3 may be a 4."}, school.link_officer)
    working = api.get(url, headers=school.head).json()
    assert working["status"] == "in_progress"
    assert working["evaluations"] == [] and working["themes"] == [] and working["summary"] == ""
    assert api.get(url, headers=school.link_officer).json()["evaluations"] == GRADES
    assert move_vse(api, directed["id"], "report", school.link_officer).status_code == 200
    reported = api.get(url, headers=school.head).json()
    assert reported["evaluations"] == GRADES and reported["themes"] == ["tracking"]
    assert reported["summary"] == "Draft: 2.3 may be a 4."


def test_an_authoritys_vse_cancelled_after_scheduling_is_told_to_the_school(api, school):
    unseen = create_vse(api, school)
    assert move_vse(api, unseen["id"], "cancel", school.link_officer).status_code == 200
    assert api.get(f"{VSE_CYCLES}/{unseen['id']}", headers=school.head).status_code == 404

    told = create_vse(api, school)
    move_vse(api, told["id"], "schedule", school.link_officer)
    move_vse(api, told["id"], "start", school.link_officer)
    patch_vse(api, told["id"], {"evaluations": GRADES}, school.link_officer)
    assert move_vse(api, told["id"], "cancel", school.authority_admin,
                    reason="The headteacher is on long-term leave.").status_code == 200
    seen = api.get(f"{VSE_CYCLES}/{told['id']}", headers=school.head)
    assert seen.status_code == 200
    body = seen.json()
    assert body["status"] == "cancelled" and body["cancelled_by"] == "authority"
    assert body["cancellation_reason"] == "The headteacher is on long-term leave."
    assert body["evaluations"] == []  # never reported: the grades stay the team's
    assert _listed(api, school.head) == [told["id"]]


def test_one_open_vse_per_school_a_second_is_409_naming_the_open_one(api, school, make):
    first = create_vse(api, school)
    second = api.post(VSE_CYCLES, json={
        "establishment_id": str(school.establishment.id), "session": "2026-27",
        "trigger": "authority_directed", "indicator_codes": ["3.1"]}, headers=school.authority_admin)
    assert second.status_code == 409, second.text
    where = f"/api/v1/vse-cycles/{first['id']}"
    assert second.headers["Location"] == where
    problem = second.json()
    assert problem["existing_id"] == first["id"] and where in problem["detail"]
    assert "proposed" in problem["detail"]
    # The school, not yet told of the authority's proposal, learns only that there is one.
    hidden = _ask(api, school)
    assert hidden.status_code == 409
    assert "Location" not in hidden.headers and first["id"] not in hidden.text
    assert "link officer" in hidden.json()["detail"]

    move_vse(api, first["id"], "schedule", school.link_officer)
    told = _ask(api, school)
    assert told.status_code == 409 and told.headers["Location"] == where  # now the school's
    move_vse(api, first["id"], "start", school.link_officer)
    assert _ask(api, school).status_code == 409  # in progress is open too
    patch_vse(api, first["id"], {"evaluations": GRADES}, school.link_officer)
    move_vse(api, first["id"], "report", school.link_officer)
    # Reported is no longer open: the next one may be asked for; another school is free.
    asked = _ask(api, school)
    assert asked.status_code == 201, asked.text
    other = make.establishment(link_officer_id=school.link_officer_id)
    elsewhere = api.post(VSE_CYCLES, json={
        "establishment_id": str(other.id), "session": "2025-26", "trigger": "authority_directed",
        "indicator_codes": ["1.3"]}, headers=school.link_officer)
    assert elsewhere.status_code == 201, elsewhere.text
    # A cancelled request frees the school too.
    assert move_vse(api, asked.json()["id"], "cancel", school.head).status_code == 200
    assert _ask(api, school).status_code == 201


def test_two_requests_at_once_open_one_vse(api, school):
    results: list[int] = []

    def ask() -> None:
        results.append(_ask(api, school, headers=school.link_officer).status_code)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 409]
    assert len(_listed(api, school.link_officer, establishment_id=str(school.establishment.id))) == 1
