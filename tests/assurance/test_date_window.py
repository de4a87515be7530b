"""Dates and sessions stay inside the years a school year can hold: sessions 2000-01 to the
next one, dates from 1 August 2000 to the end of the next session; the same rule on writes and
on filters, said in plain English."""

import uuid

from app.core.schemas import latest_session_start
from tests.assurance.test_visits import VISITS, _visit
from tests.planning.conftest import school  # noqa: F401 - the fixture

LAST = latest_session_start()
NEXT_SESSION = f"{LAST}-{(LAST + 1) % 100:02d}"
BEYOND = f"{LAST + 1}-{(LAST + 2) % 100:02d}"


def _put(api, school, day):  # noqa: F811
    return api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school, visit_date=day),
                   headers=school.link_officer)


def test_a_visit_outside_the_window_is_refused_in_plain_words(api, school):  # noqa: F811
    for day in ("1999-01-01", f"{LAST + 1}-08-01", "2031-03-03"):
        answer = _put(api, school, day)
        assert answer.status_code == 422, day
        error = answer.json()["errors"][0]
        assert error["loc"] == ["body", "visit_date"]
        assert "from 1 August 2000" in error["msg"] and day in error["msg"]
    assert _put(api, school, "2000-08-01").status_code == 201
    assert _put(api, school, f"{LAST + 1}-07-31").status_code == 201


def test_filters_take_the_same_sessions_as_writes(api, school):  # noqa: F811
    for session in ("1998-99", BEYOND, "2035-36"):
        answer = api.get(VISITS, params={"session": session}, headers=school.link_officer)
        assert answer.status_code == 422, session
        assert "from 2000-01 to the next one" in answer.json()["errors"][0]["msg"]
    for session in ("2000-01", NEXT_SESSION):
        assert api.get(VISITS, params={"session": session},
                       headers=school.link_officer).status_code == 200


def test_a_plan_or_a_support_status_beyond_the_next_session_is_refused(api, school):  # noqa: F811
    plan = api.post("/api/v1/improvement-plans", json={
        "establishment_id": str(school.establishment.id), "session": "2035-36"},
        headers=school.head)
    assert plan.status_code == 422
    status = api.put(f"/api/v1/establishments/{school.establishment.id}/support-status",
                     json={"rag": "red", "level": "intensive", "reasons": ["other"],
                           "agreed_on": f"{LAST + 2}-01-10"}, headers=school.authority_admin)
    assert status.status_code == 422
    assert status.json()["errors"][0]["loc"] == ["body", "agreed_on"]
