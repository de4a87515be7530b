"""An establishment read carries the school's year (`current`): the support status in force,
plan and report status, visits against the minimum, last and next visit, the latest VSE; for
the session asked, as each reader may see it, and the list filters an officer's morning
needs."""

from datetime import UTC, date, datetime

import pytest

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle
from app.organisations import school_year
from tests.factories import Factory, PlanningFactory

URL = "/api/v1/establishments"
TODAY = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # in session 2025-26


@pytest.fixture(autouse=True)
def january(monkeypatch: pytest.MonkeyPatch) -> None:
    """The year is read on 15 January 2026 (its next planned visit is after that)."""
    monkeypatch.setattr(school_year, "utcnow", lambda: TODAY)
    monkeypatch.setattr(school_year, "current_session", lambda: "2025-26")


def _visit(make: Factory, school, day: date, kind: str, status: str, shared: bool = True):
    return make._save(Visit(establishment_id=school.id, authority_id=school.authority_id,
                            officer_id=school.link_officer_id, session=_session(day),
                            visit_date=day, kind=kind, status=status, shared_with_school=shared))


def _session(day: date) -> str:
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{str(first + 1)[2:]}"


@pytest.fixture
def ash(make: Factory):
    """Ash Primary: red and intensive last June, amber and additional since September; a
    submitted plan; two counted final visits and an uncounted one; a planned visit shared with
    the school in March and one not shared in February; an authority-directed VSE proposed,
    after a scheduled one."""
    officer = make.user("officer")
    school = make.establishment(name="Ash Primary School", link_officer_id=officer.id)
    for sequence, (rag, level, agreed) in enumerate(
            [("red", "intensive", date(2025, 6, 10)),
             ("amber", "additional", date(2025, 9, 15))], start=1):
        make._save(SupportStatus(establishment_id=school.id, authority_id=school.authority_id,
                                 sequence=sequence, is_current=sequence == 2, rag=rag,
                                 level=level, agreed_on=agreed))
    PlanningFactory(make).plan(school, status="submitted")
    _visit(make, school, date(2025, 10, 7), "support_and_challenge", "final")
    _visit(make, school, date(2025, 11, 1), "other", "final")
    _visit(make, school, date(2025, 12, 3), "plan_review", "final")
    _visit(make, school, date(2026, 1, 20), "vse", "draft")
    _visit(make, school, date(2026, 2, 2), "attainment_review", "planned", shared=False)
    _visit(make, school, date(2026, 3, 4), "support_and_challenge", "planned")
    _visit(make, school, date(2025, 12, 1), "support_and_challenge", "planned")  # passed
    told = make._save(VseCycle(
        establishment_id=school.id, authority_id=school.authority_id, session="2025-26",
        trigger="authority_directed", framework_code="HGIOS4", status="scheduled",
        visit_start=date(2026, 2, 23), visit_end=date(2026, 2, 25),
        scheduled_at=datetime(2025, 12, 1, tzinfo=UTC)))
    make._save(VseCycle(
        establishment_id=school.id, authority_id=school.authority_id, session="2025-26",
        trigger="authority_directed", framework_code="HGIOS4", status="proposed",
        visit_start=date(2026, 5, 11), visit_end=date(2026, 5, 13)))
    return {"school": school, "officer": officer, "told": told,
            "head": make.user("headteacher", establishments=[school])}


def test_an_officer_reads_the_schools_year(api, make: Factory, ash):
    answer = api.get(f"{URL}/{ash['school'].id}", headers=make.headers(ash["officer"]))
    assert answer.status_code == 200, answer.text
    year = answer.json()["current"]
    assert {k: year[k] for k in ("session", "rag", "support_level", "support_agreed_on",
                                 "plan_status", "report_status")} == {
        "session": "2025-26", "rag": "amber", "support_level": "additional",
        "support_agreed_on": "2025-09-15", "plan_status": "submitted", "report_status": None}
    assert year["visits"] == {"final": 2, "minimum": 4, "below_minimum": True,
                              "last_on": "2025-12-03", "next_planned_on": "2026-02-02"}
    assert (year["vse"]["status"], year["vse"]["visit_start"]) == ("proposed", "2026-05-11")


def test_the_school_sees_what_it_has_been_told(api, make: Factory, ash):
    year = api.get(f"{URL}/{ash['school'].id}", headers=make.headers(ash["head"])).json()["current"]
    assert year["visits"]["next_planned_on"] == "2026-03-04"  # the February one was not shared
    assert year["vse"] == {"id": str(ash["told"].id), "status": "scheduled",
                           "visit_start": "2026-02-23", "visit_end": "2026-02-25"}
    # Another school's headteacher reads the school, not its year.
    other = make.user("headteacher")
    assert api.get(f"{URL}/{ash['school'].id}",
                   headers=make.headers(other)).json().get("current") is None


def test_a_regional_lead_reads_the_school_not_its_year(api, make: Factory, ash):
    """The region reads a named school's RAG, visits and VSE as aggregates (the summaries),
    as it reads its support status."""
    lead = make.user("regional_lead")
    answer = api.get(f"{URL}/{ash['school'].id}", headers=make.headers(lead))
    assert answer.status_code == 200, answer.text
    assert answer.json()["current"] is None
    listed = api.get(URL, params={"q": "Ash Primary"}, headers=make.headers(lead)).json()
    assert [s["current"] for s in listed["items"]] == [None]


def test_a_past_session_is_told_as_it_was(api, make: Factory, ash):
    answer = api.get(f"{URL}/{ash['school'].id}", params={"session": "2024-25"},
                     headers=make.headers(ash["officer"]))
    year = answer.json()["current"]
    assert (year["session"], year["rag"], year["support_level"], year["plan_status"]) == (
        "2024-25", "red", "intensive", None)
    assert year["visits"]["final"] == 0 and year["vse"] is None


def test_the_etag_follows_the_year(api, make: Factory, ash, db):
    headers = make.headers(ash["officer"])
    first = api.get(f"{URL}/{ash['school'].id}", headers=headers)
    tag = first.headers["ETag"]
    assert api.get(f"{URL}/{ash['school'].id}",
                   headers={**headers, "If-None-Match": tag}).status_code == 304
    _visit(make, ash["school"], date(2026, 1, 14), "support_and_challenge", "final")
    again = api.get(f"{URL}/{ash['school'].id}", headers={**headers, "If-None-Match": tag})
    assert again.status_code == 200  # a new visit is news, though the school's record is not
    assert again.json()["current"]["visits"]["final"] == 3
    assert again.headers["ETag"] != tag
    # A write guarded by the read's tag still goes through: the school's own fields are
    # unchanged (the year is not written here).
    renamed = api.patch(f"{URL}/{ash['school'].id}", json={"name": "Ash Primary"},
                        headers={**headers, "If-Match": again.headers["ETag"]})
    assert renamed.status_code == 200, renamed.text
    stale = api.patch(f"{URL}/{ash['school'].id}", json={"name": "Ash"},
                      headers={**headers, "If-Match": again.headers["ETag"]})
    assert stale.status_code == 412


def test_the_list_carries_the_year_and_filters_by_it(api, make: Factory, ash):
    officer = make.headers(ash["officer"])
    birch = make.establishment(name="Birch Primary School", link_officer_id=ash["officer"].id)
    for sequence, rag, level in ((1, "amber", "additional"), (2, "green", "universal"),
                                 (3, "red", "additional")):
        make._save(SupportStatus(establishment_id=birch.id, authority_id=birch.authority_id,
                                 sequence=sequence, is_current=sequence == 3, rag=rag,
                                 level=level, agreed_on=date(2025, 5, sequence)))
    for _ in range(4):
        _visit(make, birch, date(2025, 9, 30), "support_and_challenge", "final")

    def names(**params):
        answer = api.get(URL, params={"link_officer_id": "me", **params}, headers=officer)
        assert answer.status_code == 200, answer.text
        return [s["name"] for s in answer.json()["items"]]

    assert names() == ["Ash Primary School", "Birch Primary School"]
    assert names(below_visit_minimum="true") == ["Ash Primary School"]
    assert names(below_visit_minimum="false") == ["Birch Primary School"]
    assert names(plan_status="submitted") == ["Ash Primary School"]
    assert names(plan_status="none") == ["Birch Primary School"]
    assert names(plan_status="none", session="2024-25") == ["Ash Primary School",
                                                            "Birch Primary School"]
    # RAG and support level as they stood in the session asked, each school its own.
    assert names(rag="amber") == ["Ash Primary School"]
    assert names(support_level="additional") == ["Ash Primary School", "Birch Primary School"]
    assert names(rag="red") == ["Birch Primary School"]
    assert names(rag="red", support_level="intensive", session="2024-25") == [
        "Ash Primary School"]
    items = api.get(URL, params={"link_officer_id": "me"}, headers=officer).json()["items"]
    assert [i["current"]["visits"]["final"] for i in items] == [2, 4]
    assert [i["current"]["rag"] for i in items] == ["amber", "red"]


def test_the_filters_are_for_those_who_may_see_them(api, make: Factory, ash):
    lead = make.headers(make.user("regional_lead"))
    answer = api.get(URL, params={"below_visit_minimum": "true"}, headers=lead)
    assert answer.status_code == 403, answer.text
    # A headteacher's filters match their own school only: no other school's year leaks.
    make.establishment(name="Birch Primary School")
    head = make.headers(ash["head"])
    for params in ({"plan_status": "none"}, {"below_visit_minimum": "true"},
                   {"plan_status": "submitted"}):
        answer = api.get(URL, params=params, headers=head)
        assert answer.status_code == 200, answer.text
        names = [s["name"] for s in answer.json()["items"]]
        assert "Birch Primary School" not in names
    assert [s["name"] for s in api.get(URL, params={"plan_status": "submitted"},
                                       headers=head).json()["items"]] == ["Ash Primary School"]
