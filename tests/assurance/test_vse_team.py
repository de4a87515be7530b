"""VSE that the school and its team can see (issue #17, point 4): the team's users read the
cycle and record findings while it is in progress; the lead agrees the grades; the school's
own grades are given before the visit and frozen after."""

import pytest
from sqlmodel import select

from app.assurance.vse import team
from app.assurance.vse.models import VseCycle, VseFinding, VseTeamMember
from app.assurance.vse.team_schemas import FindingCreate
from app.audit.models import AuditEvent
from app.core.errors import Conflict, Forbidden
from app.identity.deps import principal_for_user
from app.identity.policy import allowed
from tests.assurance.conftest import (
    GRADES,
    VSE_CYCLES,
    create_vse,
    move_vse,
    patch_vse,
    stored_vse,
    vse_body,
)

PROBLEM = "application/problem+json"


def _team(school, *users, lead=None):
    """A team of the link officer, the users given (officers or peer headteachers) and an
    associate assessor who is not a user."""
    members = [{"user_id": str(school.link_officer_id), "role": "officer"}]
    members += [{"user_id": str(u.id), "role": "peer_headteacher" if u.role == "headteacher"
                 else "officer"} for u in users]
    members.append({"name": "Fiona Reid", "role": "associate_assessor"})
    return {"team": members, "lead_id": str(lead.id) if lead else None}


def _in_progress(api, school, **team_and_lead):
    cycle = create_vse(api, school, **team_and_lead)
    for action in ("schedule", "start"):
        assert move_vse(api, cycle["id"], action, school.link_officer).status_code == 200
    return cycle


def test_a_peer_headteacher_on_the_team_reads_the_cycle_and_records_findings(api, make, school):
    peer_user = make.user("headteacher")  # the headteacher of another school of the authority
    peer = make.headers(peer_user)
    earlier = stored_vse(make, school, "closed", session="2024-25",
                         visit_start=None, visit_end=None)
    cycle = create_vse(api, school, **_team(school, peer_user))
    url = f"{VSE_CYCLES}/{cycle['id']}"
    assert api.get(url, headers=peer).status_code == 404  # proposed: the authority's still
    assert move_vse(api, cycle["id"], "schedule", school.link_officer).status_code == 200
    assert api.get(url, headers=peer).status_code == 404  # scheduled: not yet the team's
    assert move_vse(api, cycle["id"], "start", school.link_officer).status_code == 200

    seen = api.get(url, headers=peer)
    assert seen.status_code == 200, seen.text
    assert seen.json()["allowed_transitions"] == []
    recorded = api.post(f"{url}/findings", json={
        "indicator_code": "2.3", "proposed_grade": 4,
        "evidence": "  Learning intentions shared in every class visited.  "}, headers=peer)
    assert recorded.status_code == 201, recorded.text
    finding = recorded.json()
    assert (finding["author_id"], finding["author_name"]) == (str(peer_user.id), peer_user.name)
    assert finding["evidence"] == "Learning intentions shared in every class visited."
    assert recorded.headers["Location"] == f"/api/v1/vse-cycles/{cycle['id']}/findings/{finding['id']}"
    assert api.get(recorded.headers["Location"], headers=peer).json() == finding
    # The link officer records too; the list is in the order recorded, filtered by QI.
    assert api.post(f"{url}/findings", json={"indicator_code": "1.3", "evidence": "Vision"},
                    headers=school.link_officer).status_code == 201
    listed = api.get(f"{url}/findings?limit=1", headers=peer).json()
    assert [f["id"] for f in listed["items"]] == [finding["id"]] and listed["next_cursor"]
    assert [f["indicator_code"] for f in api.get(f"{url}/findings?indicator_code=1.3",
                                                 headers=school.other_officer).json()["items"]] == ["1.3"]

    # Only this cycle: not the school's others, in a list or by id.
    assert api.get(f"{VSE_CYCLES}/{earlier.id}", headers=peer).status_code == 404
    assert [c["id"] for c in api.get(VSE_CYCLES, headers=peer).json()["items"]] == [cycle["id"]]
    # The school itself does not see the team's working record before the report.
    refused = api.get(f"{url}/findings", headers=school.head)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert api.get(url, headers=school.head).json()["evaluations"] == []

    assert patch_vse(api, cycle["id"], {"evaluations": GRADES},
                     school.link_officer).status_code == 200
    assert move_vse(api, cycle["id"], "report", school.link_officer).status_code == 200
    late = api.post(f"{url}/findings", json={"indicator_code": "2.3", "proposed_grade": 5},
                    headers=peer)
    assert late.status_code == 409 and late.headers["content-type"] == PROBLEM
    assert "in progress" in late.json()["detail"]
    assert api.get(url, headers=peer).status_code == 200  # after it is in progress too
    assert len(api.get(f"{url}/findings", headers=school.head).json()["items"]) == 2


def test_findings_are_the_teams_on_the_scale_and_change_nothing_when_refused(api, make, school, db):
    member = make.user("officer")
    cycle = _in_progress(api, school, **_team(school, member))
    url = f"{VSE_CYCLES}/{cycle['id']}/findings"
    for body, loc in (({"indicator_code": "3.1", "proposed_grade": 4}, "indicator_code"),
                      ({"indicator_code": "2.3", "proposed_grade": 7}, "proposed_grade"),
                      ({"indicator_code": "2.3", "evidence": "  "}, None),
                      ({"indicator_code": "2.3", "grade": 4}, "grade")):
        answer = api.post(url, json=body, headers=make.headers(member))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        if loc:
            assert loc in str(answer.json()["errors"])
    # Officers of the authority read the cycle, but only the team records in it.
    assert api.post(url, json={"indicator_code": "2.3", "proposed_grade": 4},
                    headers=school.other_officer).status_code == 403
    assert api.post(url, json={"indicator_code": "2.3", "proposed_grade": 4},
                    headers=school.head).status_code == 403
    assert db.exec(select(VseFinding)).all() == []
    assert api.post(url, json={"indicator_code": "2.3", "proposed_grade": 4},
                    headers=make.headers(member)).status_code == 201
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "vse_finding.create")).one()


def test_the_lead_who_is_not_the_link_officer_agrees_the_grades(api, make, school):
    lead, member, peer = make.user("officer"), make.user("officer"), make.user("headteacher")
    cycle = _in_progress(api, school, **_team(school, lead, member, peer, lead=lead))
    assert cycle["lead_id"] == str(lead.id)
    grades = {"evaluations": GRADES}
    for someone in (member, peer):  # on the team, but not its lead
        refused = patch_vse(api, cycle["id"], grades, make.headers(someone))
        assert refused.status_code == 403, refused.text
        assert "lead" in refused.json()["detail"]
    assert patch_vse(api, cycle["id"], {**grades, "summary": "Mine"},
                     make.headers(lead)).status_code == 403  # the rest is the link officer's
    agreed = patch_vse(api, cycle["id"], grades, make.headers(lead))
    assert agreed.status_code == 200, agreed.text
    assert [e["grade"] for e in agreed.json()["evaluations"]] == [4, 5]
    assert move_vse(api, cycle["id"], "report", school.link_officer).status_code == 200
    late = patch_vse(api, cycle["id"], {"evaluations": [*GRADES[:1], {**GRADES[1], "grade": 4}]},
                     make.headers(lead))
    assert late.status_code == 409, late.text


def test_the_lead_is_an_officer_named_in_the_team(api, make, school):
    officer, peer = make.user("officer"), make.user("headteacher")
    base = _team(school, peer)
    outside = api.post(VSE_CYCLES, json={**vse_body(school), **base, "lead_id": str(officer.id)},
                       headers=school.link_officer)
    assert outside.status_code == 422 and "lead_id" in str(outside.json()["errors"])
    not_officer = api.post(VSE_CYCLES, json={**vse_body(school), **base, "lead_id": str(peer.id)},
                           headers=school.link_officer)
    assert not_officer.status_code == 422 and "officer" in not_officer.json()["detail"]
    asked = api.post(VSE_CYCLES, json={**vse_body(school), "trigger": "school_requested",
                                       "lead_id": str(officer.id)}, headers=school.head)
    assert asked.status_code == 403 and "lead_id" in asked.json()["detail"]
    cycle = create_vse(api, school, **_team(school, officer, lead=officer))
    # Dropping the lead from the team needs a new lead (or none).
    dropped = patch_vse(api, cycle["id"], {"team": base["team"]}, school.link_officer)
    assert dropped.status_code == 422, dropped.text
    moved = patch_vse(api, cycle["id"], {"team": base["team"], "lead_id": None}, school.link_officer)
    assert moved.status_code == 200 and moved.json()["lead_id"] is None


def test_the_school_gives_its_own_grades_before_the_visit_and_they_are_frozen_after(api, make,
                                                                                   school, db):
    cycle = create_vse(api, school)
    assert move_vse(api, cycle["id"], "schedule", school.link_officer).status_code == 200
    url = f"{VSE_CYCLES}/{cycle['id']}"
    grades_url = f"{url}/school-grades"
    body = {"grades": [{"indicator_code": "1.3", "grade": 3}, {"indicator_code": "2.3", "grade": 5}]}
    assert api.put(grades_url, json=body, headers=school.head).status_code == 428
    etag = api.get(url, headers=school.head).headers["ETag"]
    for bad in ({"grades": [{"indicator_code": "3.1", "grade": 3}]},
                {"grades": [{"indicator_code": "1.3", "grade": 9}]},
                {"grades": [{"indicator_code": "1.3", "grade": 3}, {"indicator_code": "1.3", "grade": 4}]}):
        answer = api.put(grades_url, json=bad, headers={**school.head, "If-Match": etag})
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM, bad
    assert api.put(grades_url, json=body, headers={**school.other_officer, "If-Match": etag}
                   ).status_code == 403
    given = api.put(grades_url, json=body, headers={**school.head, "If-Match": etag})
    assert given.status_code == 200, given.text
    assert given.json()["school_grades"] == body["grades"]
    assert given.json()["version"] == cycle["version"] + 2  # scheduled, then the grades
    assert api.put(grades_url, json=body, headers={**school.head, "If-Match": etag}
                   ).status_code == 412  # stale
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "vse_cycle.school_grades")).one()

    assert move_vse(api, cycle["id"], "start", school.link_officer).status_code == 200
    etag = api.get(url, headers=school.link_officer).headers["ETag"]
    frozen = api.put(grades_url, json={"grades": []},
                     headers={**school.link_officer, "If-Match": etag})
    assert frozen.status_code == 409 and "before the visit" in frozen.json()["detail"]
    assert api.get(url, headers=school.head).json()["school_grades"] == body["grades"]


def test_service_level_who_records_findings_and_agrees_grades(make, school, db):
    lead, member, peer, outsider = (make.user("officer"), make.user("officer"),
                                    make.user("headteacher"), make.user("officer"))
    team_json = [{"user_id": str(u.id), "name": u.name, "role": "officer"}
                 for u in (lead, member, peer)]
    cycle = stored_vse(make, school, "in_progress", team=team_json, lead_id=lead.id)
    for user in (lead, member, peer):  # as the service keeps them, beside the team's JSON
        make._save(VseTeamMember(vse_id=cycle.id, user_id=user.id))
    establishment = school.establishment
    lead_p, member_p, peer_p, outsider_p = (principal_for_user(db, u)
                                            for u in (lead, member, peer, outsider))
    assert allowed(lead_p, "vse.agree_grades", (cycle, establishment))
    assert not allowed(member_p, "vse.agree_grades", (cycle, establishment))
    assert not allowed(peer_p, "vse.agree_grades", (cycle, establishment))
    for principal in (lead_p, member_p, peer_p):
        assert allowed(principal, "vse_finding.record", (cycle, establishment))
    assert not allowed(outsider_p, "vse_finding.record", (cycle, establishment))

    finding = team.record_finding(db, peer_p, cycle.id,
                                  FindingCreate(indicator_code="1.3", proposed_grade=3))
    assert finding.proposed_grade == 3 and finding.author_id == peer.id
    with pytest.raises(Forbidden):
        team.record_finding(db, outsider_p, cycle.id,
                            FindingCreate(indicator_code="1.3", evidence="Seen"))
    reported = db.get(VseCycle, cycle.id)
    reported.status = "reported"
    db.add(reported)
    db.flush()
    with pytest.raises(Conflict):
        team.record_finding(db, peer_p, cycle.id,
                            FindingCreate(indicator_code="1.3", proposed_grade=4))
