"""The planning calendar sets due dates; lists can ask for what is overdue."""

from datetime import timedelta

from app.core.types import utcnow


def _calendar(api, headers, authority_id, body, etag=None):
    extra = {"If-Match": etag} if etag else {}
    return api.put(f"/api/v1/authorities/{authority_id}/calendar/2025-26", json=body,
                   headers={**headers, **extra})


def test_authority_admins_set_due_dates_and_others_cannot(api, school, make):
    authority = make.authority()
    created = _calendar(api, school.authority_admin, authority.id,
                        {"plan_due": "2025-09-30", "report_due": "2026-06-26"})
    assert created.status_code == 201, created.text
    assert _calendar(api, school.link_officer, authority.id, {"plan_due": "2025-10-01"}
                     ).status_code == 403
    assert _calendar(api, school.authority_admin, authority.id, {"plan_due": "2025-10-01"}
                     ).status_code == 428
    moved = _calendar(api, school.authority_admin, authority.id,
                      {"plan_due": "2025-10-01", "report_due": "2026-06-26"},
                      etag=created.headers["ETag"])
    assert moved.status_code == 200 and moved.json()["plan_due"] == "2025-10-01"
    read = api.get(f"/api/v1/authorities/{authority.id}/calendar/2025-26", headers=school.head)
    assert read.status_code == 200 and read.json()["report_due"] == "2026-06-26"
    assert api.get(f"/api/v1/authorities/{authority.id}/calendar/2026-27",
                   headers=school.head).status_code == 404
    glasgow = make.authority("S12000049")
    assert _calendar(api, school.authority_admin, glasgow.id, {}).status_code == 403


def test_report_due_dates_fall_in_the_session_and_after_the_plan(api, school, make):
    authority = make.authority()
    assert _calendar(api, school.authority_admin, authority.id,
                     {"report_due": "2027-01-01"}).status_code == 422
    assert _calendar(api, school.authority_admin, authority.id,
                     {"plan_due": "2026-01-01", "report_due": "2025-12-01"}).status_code == 422


def test_overdue_lists_plans_not_submitted_by_the_due_date(api, school, planning, make):
    authority = make.authority()
    past = (utcnow() - timedelta(days=1)).date()
    year = past.year if past.month >= 8 else past.year - 1
    session = f"{year}-{(year + 1) % 100:02d}"
    api.put(f"/api/v1/authorities/{authority.id}/calendar/{session}",
            json={"plan_due": past.isoformat()}, headers=school.authority_admin)
    late = planning.plan(school.establishment, session=session, status="draft")
    on_time = planning.plan(make.establishment(), session=session, status="submitted")
    other_session = planning.plan(school.establishment, session="2019-20", status="draft")
    overdue = api.get("/api/v1/improvement-plans", params={"overdue": "true"},
                      headers=school.link_officer).json()["items"]
    assert [p["id"] for p in overdue] == [str(late.id)]
    assert overdue[0]["overdue"] is True and overdue[0]["due_on"] == past.isoformat()
    not_overdue = api.get("/api/v1/improvement-plans", params={"overdue": "false"},
                          headers=school.link_officer).json()["items"]
    assert {p["id"] for p in not_overdue} == {str(on_time.id), str(other_session.id)}


def test_sessions_outside_the_calendar_the_service_keeps_are_422(api, school, make):
    authority = make.authority()
    for session in ("9999-00", "0000-01", "1999-00"):
        answer = api.put(f"/api/v1/authorities/{authority.id}/calendar/{session}",
                         json={"report_due": "2026-06-26"}, headers=school.authority_admin)
        assert answer.status_code == 422, session
