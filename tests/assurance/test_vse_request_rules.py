"""What a school may put in a VSE request (issue #19, point 2). A school asks: the dates it
wishes, the quality indicators and its reason. The team, the themes, the summary and the
grades are the authority's. Summaries count themes and grades from `reported` on, and their
`total` only the VSEs the authority has scheduled. A school makes at most
MAX_SCHOOL_REQUESTS_PER_SESSION requests per session (one open at a time: issue #21)."""

import uuid

import pytest

from app.assurance.vse.rules import MAX_SCHOOL_REQUESTS_PER_SESSION
from app.audit.models import AuditEvent
from tests.assurance.conftest import (
    GRADES,
    VSE_CYCLES,
    School,
    create_vse,
    move_vse,
    patch_vse,
    vse_body,
)

REASON = "Our self-evaluation of 2.3 has moved on since the last inspection; we would value a check."


def _ask(api, school: School, headers=None, session="2025-26", **changes):
    body = {"establishment_id": str(school.establishment.id), "session": session,
            "trigger": "school_requested", "indicator_codes": ["1.3", "2.3"],
            "visit_start": "2026-02-02", "visit_end": "2026-02-04", **changes}
    return api.post(VSE_CYCLES, json=body, headers=headers or school.head)


def _summary(api, school: School, session="2025-26"):
    answer = api.get(f"/api/v1/summaries/authorities/{school.establishment.authority_id}",
                     params={"session": session}, headers=school.authority_admin)
    assert answer.status_code == 200, answer.text
    return answer.json()["vse"]


def test_a_school_asks_with_its_wished_dates_indicators_and_reason(api, school, db):
    asked = _ask(api, school, request_reason=REASON)
    assert asked.status_code == 201, asked.text
    cycle = asked.json()
    assert cycle["request_reason"] == REASON and cycle["indicator_codes"] == ["1.3", "2.3"]
    assert (cycle["visit_start"], cycle["visit_end"]) == ("2026-02-02", "2026-02-04")
    assert cycle["team"] == [] and cycle["themes"] == [] and cycle["summary"] == ""
    seen = api.get(f"{VSE_CYCLES}/{cycle['id']}", headers=school.link_officer).json()
    assert seen["request_reason"] == REASON
    audited = db.query(AuditEvent).filter(AuditEvent.resource_id == cycle["id"]).all()
    assert [e.action for e in audited] == ["vse_cycle.create"]
    # Only a request carries the school's reason.
    directed = api.post(VSE_CYCLES, json=vse_body(school, request_reason="We think so."),
                        headers=school.link_officer)
    assert directed.status_code == 422, directed.text
    assert directed.json()["errors"][0]["loc"][-1] == "request_reason"


@pytest.mark.parametrize("field,value", [
    ("team", [{"name": "Fiona Reid", "role": "associate_assessor"}]),
    ("themes", ['=HYPERLINK("http://evil.example","x")']),
    ("summary", "Validated: everything is excellent."),
    ("evaluations", [{"indicator_code": "1.3", "grade": 6}]),
])
def test_the_team_themes_summary_and_grades_of_a_request_are_the_authoritys(api, school, field,
                                                                            value):
    refused = _ask(api, school, **{field: value})
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in problem["detail"] and "authority" in problem["detail"]
    assert api.get(VSE_CYCLES, headers=school.link_officer).json()["items"] == []
    # Sending them empty (as a generated client might) is asking for nothing: accepted.
    assert _ask(api, school, team=[], themes=[], summary="").status_code == 201
    # The authority sets them on the request it has received.
    cycle = api.get(VSE_CYCLES, headers=school.link_officer).json()["items"][0]
    if field != "evaluations":
        changed = patch_vse(api, cycle["id"], {field: value}, school.link_officer)
        assert changed.status_code == 200, changed.text


@pytest.mark.parametrize("field,value", [
    ("team", [{"user_id": None, "name": "A friend", "role": "peer_headteacher"}]),
    ("themes", ["we are great"]), ("summary", "Excellent."),
])
def test_a_headteacher_cannot_set_them_on_update_either(api, school, field, value):
    cycle = _ask(api, school).json()
    refused = patch_vse(api, cycle["id"], {field: value}, school.head)
    assert refused.status_code == 403, refused.text
    assert api.get(f"{VSE_CYCLES}/{cycle['id']}", headers=school.link_officer).json()[
        "version"] == cycle["version"]


def test_themes_count_in_summaries_from_reported_on_and_total_from_scheduled(api, school):
    asked = _ask(api, school).json()
    patch_vse(api, asked["id"], {"themes": ["learner voice"]}, school.link_officer)
    figures = _summary(api, school)
    assert figures["by_status"]["proposed"] == 1
    assert figures["total"] == 0 and figures["themes"] == []

    patch_vse(api, asked["id"], {"team": [{"user_id": str(school.link_officer_id),
                                           "role": "officer"}]}, school.link_officer)
    assert move_vse(api, asked["id"], "schedule", school.link_officer).status_code == 200
    assert move_vse(api, asked["id"], "start", school.link_officer).status_code == 200
    patch_vse(api, asked["id"], {"evaluations": GRADES}, school.link_officer)
    figures = _summary(api, school)
    assert figures["total"] == 1 and figures["themes"] == []  # in progress: not yet findings
    assert move_vse(api, asked["id"], "report", school.link_officer).status_code == 200
    figures = _summary(api, school)
    assert figures["total"] == 1
    assert figures["themes"] == [{"theme": "learner voice", "count": 1}]
    move_vse(api, asked["id"], "close", school.link_officer)
    assert _summary(api, school)["themes"] == [{"theme": "learner voice", "count": 1}]

    # A proposal of the authority's, with themes already, and a cancelled VSE: not in total.
    other = create_vse(api, school, themes=["tracking"], session="2025-26")
    move_vse(api, other["id"], "cancel", school.link_officer)
    figures = _summary(api, school)
    assert figures["total"] == 1 and figures["by_status"]["cancelled"] == 1
    assert figures["themes"] == [{"theme": "learner voice", "count": 1}]


def test_a_school_makes_at_most_a_few_requests_per_session(api, school, make):
    assert MAX_SCHOOL_REQUESTS_PER_SESSION == 3
    for _ in range(MAX_SCHOOL_REQUESTS_PER_SESSION):
        asked = _ask(api, school)
        assert asked.status_code == 201, asked.text
        assert move_vse(api, asked.json()["id"], "cancel", school.head).status_code == 200
    beyond = _ask(api, school)
    assert beyond.status_code == 409, beyond.text
    problem = beyond.json()
    assert beyond.headers["content-type"].startswith("application/problem+json")
    assert f"{MAX_SCHOOL_REQUESTS_PER_SESSION} requests" in problem["detail"]
    assert "2025-26" in problem["detail"]
    # On the school's behalf, its link officer is held to the same number.
    assert _ask(api, school, headers=school.link_officer).status_code == 409
    # Another session is another count; the authority may still direct a VSE.
    next_session = _ask(api, school, session="2026-27", visit_start="2027-02-01",
                        visit_end="2027-02-03")
    assert next_session.status_code == 201, next_session.text
    move_vse(api, next_session.json()["id"], "cancel", school.head)  # one open VSE at a time
    directed = vse_body(school, session="2024-25", planning_date="2024-10-21",
                        visit_start="2024-11-04", visit_end="2024-11-06")
    assert api.post(VSE_CYCLES, json=directed, headers=school.link_officer).status_code == 201


def test_a_request_the_authority_cancelled_does_not_count(api, school):
    for _ in range(MAX_SCHOOL_REQUESTS_PER_SESSION + 1):
        asked = _ask(api, school)
        assert asked.status_code == 201, asked.text
        assert move_vse(api, asked.json()["id"], "cancel", school.link_officer).status_code == 200


def test_a_request_with_a_team_never_names_who_is_a_user(api, school, make):
    """The refusal comes before the team is looked at: an officer's id and an unknown id get
    the same answer (issue #19, point 8)."""
    answers = []
    for user_id in (school.link_officer_id, uuid.uuid4()):
        team = [{"user_id": str(user_id), "role": "officer"}]
        answer = _ask(api, school, team=team)
        answers.append((answer.status_code, answer.json()["detail"]))
    assert answers[0] == answers[1] and answers[0][0] == 403
