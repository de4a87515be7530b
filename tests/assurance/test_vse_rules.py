"""What a VSE cycle must hold: dates in order, a real team, indicators and grades of the
school's framework, themes spelt one way."""

import uuid

from sqlmodel import select

from app.assurance.vse.models import VseTheme
from tests.assurance.conftest import GRADES, VSE_CYCLES, create_vse, patch_vse, vse_body


def _loc(answer):
    return answer.json()["errors"][0]["loc"]


def test_dates_out_of_order_are_422_naming_the_field(api, school):
    cases = [
        ({"planning_date": "2025-11-10", "visit_start": "2025-11-03"}, "visit_start"),
        ({"visit_start": "2025-11-05", "visit_end": "2025-11-03"}, "visit_end"),
        ({"visit_start": None, "visit_end": "2025-11-03"}, "visit_start"),
        ({"visit_start": "2026-08-03", "visit_end": "2026-08-04"}, "visit_start"),  # next session
    ]
    for dates, field in cases:
        answer = api.post(VSE_CYCLES, json=vse_body(school, **dates), headers=school.link_officer)
        assert answer.status_code == 422, dates
        assert _loc(answer) == ["body", field], dates
        assert answer.json()["detail"].startswith(field)
    same_day = api.post(VSE_CYCLES, json=vse_body(
        school, planning_date="2025-11-03", visit_start="2025-11-03", visit_end="2025-11-03"),
        headers=school.link_officer)
    assert same_day.status_code == 201
    moved = patch_vse(api, same_day.json()["id"], {"planning_date": "2025-11-04"},
                      school.link_officer)
    assert moved.status_code == 422 and _loc(moved) == ["body", "visit_start"]
    for bad in ("03/11/2025", "20251103", 1762128000, "2025-11-03T09:00:00Z"):
        answer = api.post(VSE_CYCLES, json=vse_body(school, visit_start=bad),
                          headers=school.link_officer)
        assert answer.status_code == 422, bad


def test_a_team_member_must_be_an_active_user_of_the_authority(api, school, make):
    unknown = [{"user_id": str(uuid.uuid4()), "role": "officer"}]
    answer = api.post(VSE_CYCLES, json=vse_body(school, team=unknown), headers=school.link_officer)
    assert answer.status_code == 422 and _loc(answer) == ["body", "team", 0, "user_id"]
    inactive = make.user("officer", active=False)
    elsewhere = make.user("officer", authority=make.authority("S12000049"))
    for user in (inactive, elsewhere):
        team = [{"name": "Ann Peer", "role": "peer_headteacher"},
                {"user_id": str(user.id), "role": "officer"}]
        answer = api.post(VSE_CYCLES, json=vse_body(school, team=team),
                          headers=school.link_officer)
        assert answer.status_code == 422 and _loc(answer) == ["body", "team", 1, "user_id"]
    twice = [{"user_id": str(school.link_officer_id), "role": "officer"}] * 2
    assert api.post(VSE_CYCLES, json=vse_body(school, team=twice),
                    headers=school.link_officer).status_code == 422
    nobody = [{"role": "officer"}]
    assert api.post(VSE_CYCLES, json=vse_body(school, team=nobody),
                    headers=school.link_officer).status_code == 422
    peer = make.user("headteacher")  # a peer headteacher of the same authority
    team = [{"user_id": str(peer.id), "role": "peer_headteacher"},
            {"name": "HMIE assessor", "role": "associate_assessor"}]
    made = api.post(VSE_CYCLES, json=vse_body(school, team=team), headers=school.link_officer)
    assert made.status_code == 201, made.text
    assert made.json()["team"] == [
        {"user_id": str(peer.id), "name": peer.name, "role": "peer_headteacher"},
        {"user_id": None, "name": "HMIE assessor", "role": "associate_assessor"}]


def test_themes_are_normalised_and_deduplicated(api, school, db):
    themes = ["  Curriculum   Design ", "curriculum design", "CURRICULUM\tDESIGN",
              "Tracking and Monitoring"]
    cycle = create_vse(api, school, themes=themes)
    assert cycle["themes"] == ["curriculum design", "tracking and monitoring"]
    db.commit()
    stored = list(db.exec(select(VseTheme.theme).where(VseTheme.vse_id == uuid.UUID(cycle["id"]))))
    assert sorted(stored) == ["curriculum design", "tracking and monitoring"]
    same = patch_vse(api, cycle["id"], {"themes": ["Tracking and monitoring",
                                                   "Curriculum Design"]}, school.link_officer)
    assert same.json()["version"] == cycle["version"]  # the same themes: nothing changed
    for bad in (["   "], ["x" * 101], ["a\x00b"]):
        answer = patch_vse(api, cycle["id"], {"themes": bad}, school.link_officer)
        assert answer.status_code == 422, bad
    longest = patch_vse(api, cycle["id"], {"themes": [" " + "y" * 100 + " "]}, school.link_officer)
    assert longest.status_code == 200 and longest.json()["themes"] == ["y" * 100]


def test_indicators_come_from_the_schools_framework(api, school, make):
    answer = api.post(VSE_CYCLES, json=vse_body(school, indicator_codes=["1.3", "9.9"]),
                      headers=school.link_officer)
    assert answer.status_code == 422 and "9.9" in answer.json()["detail"]
    assert _loc(answer) == ["body", "indicator_codes"]
    nursery = make.establishment(sector="elc", link_officer_id=school.link_officer_id)
    elc = api.post(VSE_CYCLES, json={**vse_body(school), "establishment_id": str(nursery.id)},
                   headers=school.link_officer)
    assert elc.status_code == 201 and elc.json()["framework_code"] == "HGIOELC"
    repeated = create_vse(api, school, indicator_codes=["1.3", "1.3", "2.3"])
    assert repeated["indicator_codes"] == ["1.3", "2.3"]


def test_evaluations_grade_only_the_chosen_indicators_once(api, school):
    cycle = create_vse(api, school)
    other = patch_vse(api, cycle["id"], {"evaluations": [{"indicator_code": "3.1", "grade": 4}]},
                      school.link_officer)
    assert other.status_code == 422 and _loc(other) == ["body", "evaluations", 0, "indicator_code"]
    twice = patch_vse(api, cycle["id"], {"evaluations": [GRADES[0], GRADES[0]]},
                      school.link_officer)
    assert twice.status_code == 422
    graded = patch_vse(api, cycle["id"], {"evaluations": GRADES}, school.link_officer)
    assert graded.status_code == 200 and graded.json()["evaluations"] == GRADES
    narrowed = patch_vse(api, cycle["id"], {"indicator_codes": ["1.3"]}, school.link_officer)
    assert narrowed.status_code == 422 and "2.3" in narrowed.json()["detail"]
    both = patch_vse(api, cycle["id"], {"indicator_codes": ["1.3"], "evaluations": GRADES[:1]},
                     school.link_officer)
    assert both.status_code == 200 and both.json()["indicator_codes"] == ["1.3"]


def test_unknown_fields_and_bad_enums_are_422(api, school):
    for changes in ({"trigger": "whim"}, {"status": "closed"}, {"session": "2025-27"},
                    {"authority_id": str(uuid.uuid4())}):
        answer = api.post(VSE_CYCLES, json=vse_body(school, **changes),
                          headers=school.link_officer)
        assert answer.status_code == 422, changes
    cycle = create_vse(api, school)
    assert patch_vse(api, cycle["id"], {"status": "reported"},
                     school.link_officer).status_code == 422
    assert patch_vse(api, cycle["id"], {"establishment_id": str(uuid.uuid4())},
                     school.link_officer).status_code == 422
