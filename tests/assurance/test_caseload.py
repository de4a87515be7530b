"""A link officer's caseload: their schools in one call, most in need first, with what is
open and what is behind for the point in the year."""

import csv
import io
import uuid
from datetime import date

from app.assurance.caseload import expected_visits

CASELOAD = "/api/v1/me/caseload"


def _status(api, headers, school, rag, level):
    answer = api.put(f"/api/v1/establishments/{school.id}/support-status", headers=headers,
                     json={"rag": rag, "level": level, "reasons": ["extra_support_needed"],
                           "agreed_on": "2025-09-10"})
    assert answer.status_code == 201, answer.text


def _visit(api, headers, school, day, **fields):
    body = {"establishment_id": str(school.id), "visit_date": day, "kind": "support_and_challenge",
            "status": "final", **fields}
    answer = api.put(f"/api/v1/visits/{uuid.uuid4()}", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _arrange(api, make):
    officer = make.user("officer")
    me = make.headers(officer)
    red = make.establishment(link_officer_id=officer.id, name="Abbey Primary")
    amber = make.establishment(link_officer_id=officer.id, name="Burnside Primary")
    unrated = make.establishment(link_officer_id=officer.id, name="Carrick Primary")
    make.establishment(link_officer_id=make.user("officer").id, name="Dalziel Primary")
    _status(api, me, red, "red", "intensive")
    _status(api, me, amber, "amber", "additional")
    admin = make.headers(make.user("officer", authority_admin=True))
    calendar = api.put(f"/api/v1/authorities/{red.authority_id}/calendar/2025-26", headers=admin,
                       json={"plan_due": "2025-09-30", "report_due": "2026-06-19"})
    assert calendar.status_code == 201, calendar.text
    for day in ("2025-09-02", "2025-11-04", "2026-02-03", "2026-05-05"):
        _visit(api, me, unrated, day)
    _visit(api, me, amber, "2025-10-07", agreed_actions=[
        {"description": "Moderation of P4 writing", "owner": "DHT", "due": "2025-12-12"}])
    _visit(api, me, amber, "2025-10-08", kind="other")  # not a kind the authority counts
    return officer, me, (red, amber, unrated)


def test_the_caseload_puts_the_schools_most_in_need_first(api, make):
    officer, me, _schools = _arrange(api, make)
    answer = api.get(CASELOAD, params={"session": "2025-26"}, headers=me)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["officer_id"], body["session"]) == (str(officer.id), "2025-26")
    schools = body["schools"]
    assert [s["establishment_name"] for s in schools] == [
        "Abbey Primary", "Burnside Primary", "Carrick Primary"]  # not another officer's school
    first, second, third = schools
    assert (first["current"]["rag"], first["current"]["support_level"]) == ("red", "intensive")
    assert {o["what"] for o in first["overdue"]} == {"plan", "report", "visits"}
    plan = next(o for o in first["overdue"] if o["what"] == "plan")
    assert plan["due_on"] == "2025-09-30" and "not started" in plan["detail"]
    # The session is over: all four visits were expected; "other" visits do not count.
    visits = next(o for o in second["overdue"] if o["what"] == "visits")
    assert visits["detail"].startswith("1 final visit(s) of the 4 expected")
    assert [a["description"] for a in second["outstanding_actions"]] == [
        "Moderation of P4 writing"]
    assert any(o["what"] == "actions" and o["due_on"] == "2025-12-12" for o in second["overdue"])
    assert third["current"]["visits"]["final"] == 4
    assert {o["what"] for o in third["overdue"]} == {"plan", "report"}


def test_a_done_action_leaves_the_caseload(api, make):
    _officer, me, (_red, amber, _unrated) = _arrange(api, make)
    action = api.get(CASELOAD, params={"session": "2025-26"}, headers=me).json()[
        "schools"][1]["outstanding_actions"][0]
    done = api.patch(f"/api/v1/agreed-actions/{action['id']}", json={"done_on": "2026-01-15"},
                     headers={**me, "If-Match": f'"{action["version"]}"'})
    assert done.status_code == 200, done.text
    school = api.get(CASELOAD, params={"session": "2025-26"}, headers=me).json()["schools"][1]
    assert school["establishment_id"] == str(amber.id)
    assert school["outstanding_actions"] == []
    assert "actions" not in {o["what"] for o in school["overdue"]}


def test_the_caseload_as_csv_keeps_the_order(api, make):
    _officer, me, _schools = _arrange(api, make)
    answer = api.get(CASELOAD, params={"session": "2025-26"}, headers={**me, "Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["establishment_name"], r["rag"]) for r in rows] == [
        ("Abbey Primary", "red"), ("Burnside Primary", "amber"), ("Carrick Primary", "")]
    assert rows[1]["outstanding_actions"] == "1" and rows[2]["final_visits"] == "4"
    again = api.get(CASELOAD, params={"session": "2025-26"},
                    headers={**me, "Accept": "text/csv", "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_only_officers_have_a_caseload(api, make):
    school = make.establishment()
    for who in (make.user("headteacher", establishments=[school]), make.user("regional_lead")):
        answer = api.get(CASELOAD, headers=make.headers(who))
        assert answer.status_code == 403, answer.text
        assert "caseload" in answer.json()["detail"]
    empty = api.get(CASELOAD, headers=make.headers(make.user("officer"))).json()
    assert empty["schools"] == [] and empty["session"] == "2026-27"


def test_visits_are_expected_evenly_over_the_session():
    assert expected_visits(4, "2026-27", date(2026, 8, 1)) == 0
    assert expected_visits(4, "2026-27", date(2026, 12, 7)) == 1
    assert expected_visits(4, "2026-27", date(2027, 2, 1)) == 2
    assert expected_visits(4, "2026-27", date(2027, 7, 31)) == 4
    assert expected_visits(4, "2025-26", date(2026, 12, 7)) == 4  # a past session: all of them
    assert expected_visits(4, "2027-28", date(2026, 12, 7)) == 0
