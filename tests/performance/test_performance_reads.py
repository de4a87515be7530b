"""Reading performance data: a school's ACEL, statistics and inspections are read as the school
is (404, never 403, for a school out of reach); an authority's ACEL is a public statistic, each
figure beside Scotland's; inspections are listed by authority, QI and date, page by page, with
the titles of the framework in force on their date."""

import csv
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.core.schemas import latest_session_start
from app.organisations.models import Establishment
from tests.factories import Factory
from tests.integration.import_support import send
from tests.performance.support import published

API = "/api/v1"
ACEL = "acel_2016-17_to_2024-25_by_local_authority.csv"
GLASGOW, EDINBURGH = "S12000049", "S12000036"
QIS = ("1.1", "2.1", "5.3", "5.1", "5.9", "1.3", "2.3", "3.2", "3.1")
STAGES = {"P1": "p1", "P4": "p4", "P7": "p7", "P1, P4 and P7 combined": "p147",
          "S3 - Third level": "s3-third", "S3 - Fourth level": "s3-fourth"}
ORGANISERS = {"Reading": "reading", "Writing": "writing", "Listening & Talking": "listening-talking",
              "Literacy": "literacy", "Numeracy": "numeracy"}


def _inspection(code: str, council: str, day: str, **grades: int) -> str:
    """A row as the FOI release writes it: one column per QI, 0 where not graded."""
    cells = [str(grades.get("qi" + qi.replace(".", ""), 0)) for qi in QIS]
    return ",".join([code, council, f"School {code}", day, "", *cells, ""])


def _schools(api: Any, make: Factory) -> dict[str, Establishment]:
    """Glasgow's A, B and D and Edinburgh's C, each with statistics, its own ACEL figures and
    inspections, imported by an admin."""
    glasgow, edinburgh = make.authority(GLASGOW), make.authority(EDINBURGH)
    schools = {name: make.establishment(authority, code=code) for name, authority, code in (
        ("A", glasgow, "8000101"), ("B", glasgow, "8000102"), ("C", edinburgh, "8000103"),
        ("D", glasgow, "8000104"))}
    admin = make.headers(make.admin())
    codes = [s.code for s in schools.values()]
    statistics = "SeedCode,session,Pupil roll\n" + "".join(f"{c},2025-26,{200 + n}\n"
                                                          for n, c in enumerate(codes))
    acel = "SeedCode,year,stage,organiser,cohort,percent\n" + "".join(
        f"{c},2024/25,P1,Reading,30,{70 + n}\n" for n, c in enumerate(codes))
    foi = "\n".join([
        "SEED,LA Name,School Name,Inspection Date,Publication Date,"
        + ",".join(f"QI {qi}" for qi in QIS) + ",Note",
        _inspection("8000101", "Glasgow City Council", "2010-03-15", qi11=4, qi21=5),
        _inspection("8000101", "Glasgow City Council", "2023-05-15", qi13=5, qi23=4, qi32=4,
                    qi31=5),
        _inspection("8000102", "Glasgow City Council", "2019-01-20", qi23=3, qi32=4),
        _inspection("8000103", "City of Edinburgh Council", "2022-11-01", qi13=4),
        _inspection("8000104", "Glasgow City Council", "2016-06-10", qi11=3),
        _inspection("8000104", "Glasgow City Council", "2016-09-01", qi23=6)])
    for kind, body in (("school-statistics", statistics), ("acel", acel), ("inspections", foi)):
        answer = send(api, admin, body.encode(), kind=kind)
        assert answer.status_code == 200 and answer.json()["failed"] == 0, answer.text
    return schools


def _reads(api: Any, headers: dict[str, str], school: Establishment) -> list[int]:
    return [api.get(f"{API}/establishments/{school.id}/{what}", headers=headers).status_code
            for what in ("acel", "statistics", "inspections")]


def test_a_headteacher_reads_their_own_school_and_no_other(api, make: Factory, db: Session):
    schools = _schools(api, make)
    head = make.headers(make.user("headteacher", establishments=[schools["A"]]))
    assert _reads(api, head, schools["A"]) == [200, 200, 200]
    own = api.get(f"{API}/establishments/{schools['A'].id}/statistics", headers=head).json()
    assert [s["roll"] for s in own["items"]] == [200]
    assert _reads(api, head, schools["B"]) == [404, 404, 404]  # not 403: it is not theirs
    listed = api.get(f"{API}/inspections", headers=head).json()["items"]
    assert {i["establishment_code"] for i in listed} == {"8000101"}


def test_officers_and_regional_leads_read_their_own_authorities(api, make: Factory, db: Session):
    schools = _schools(api, make)
    glasgow, edinburgh = make.authority(GLASGOW), make.authority(EDINBURGH)
    assert _reads(api, make.headers(make.user("officer", authority=glasgow)), schools["A"]) == [
        200, 200, 200]
    other = make.headers(make.user("officer", authority=edinburgh))
    assert _reads(api, other, schools["A"]) == [404, 404, 404]
    assert _reads(api, other, schools["C"]) == [200, 200, 200]
    west = make.headers(make.user("regional_lead", region=make.region("west-partnership")))
    assert _reads(api, west, schools["A"]) == [200, 200, 200]
    assert _reads(api, west, schools["C"]) == [404, 404, 404]
    codes = {i["establishment_code"] for i in api.get(f"{API}/inspections", headers=west).json()[
        "items"]}
    assert codes == {"8000101", "8000102", "8000104"}


def test_clients_read_schools_only_with_an_establishments_scope(api, make: Factory, db: Session):
    schools = _schools(api, make)
    glasgow = make.authority(GLASGOW)
    reader = make.headers(make.client(["establishments:read"], authority=glasgow))
    assert _reads(api, reader, schools["A"]) == [200, 200, 200]
    assert _reads(api, reader, schools["C"]) == [404, 404, 404]
    summaries = make.headers(make.client(["summaries:read"], authority=glasgow))
    assert _reads(api, summaries, schools["A"]) == [404, 404, 404]
    assert api.get(f"{API}/inspections", headers=summaries).json()["items"] == []
    # An authority's ACEL is a public statistic: everyone signed in reads it.
    table = api.get(f"{API}/authorities/{glasgow.id}/acel", headers=summaries)
    assert table.status_code == 200 and table.json()["authority_id"] == str(glasgow.id)


def _scotland_and_glasgow(api: Any, make: Factory) -> list[dict[str, str]]:
    """The real ACEL release's rows for Glasgow (260) and Scotland (7000), imported."""
    lines = published(ACEL).read_text("utf-8").splitlines()
    kept = [lines[0], *(line for line in lines[1:] if line.split(",")[1] in ("260", "7000"))]
    answer = send(api, make.headers(make.admin()), "\n".join(kept).encode(), kind="acel")
    assert answer.status_code == 200 and answer.json()["created"] == 540, answer.text
    return list(csv.DictReader(kept))


def test_an_authority_s_acel_stands_beside_scotland_s(api, make: Factory, db: Session):
    rows = _scotland_and_glasgow(api, make)
    scotland = {(r["year"].replace("/", "-"), STAGES[r["stage"]], ORGANISERS[r["organiser"]]):
                r["percent"] for r in rows if r["lacode"] == "7000"}
    glasgow = make.authority(GLASGOW)
    anyone = make.headers(make.user("headteacher"))
    url = f"{API}/authorities/{glasgow.id}/acel"
    table = api.get(url, headers=anyone).json()
    every = [f"{y}-{(y + 1) % 100:02d}" for y in range(2016, 2025)]
    assert table["sessions"] == every  # every session held, oldest first
    figures = table["figures"]
    assert len(figures) == 270 and {f["session"] for f in figures} == set(every)
    for figure in figures:
        published_percent = scotland[figure["session"], figure["stage"], figure["organiser"]]
        expected = float(Decimal(published_percent).quantize(Decimal("0.00001"))) \
            if published_percent else None
        assert figure["national_percent"] == expected, figure
        assert figure["published"] is (figure["percent"] is not None)
    lockdown = [f for f in figures if f["session"] == "2019-20"]  # no collection that year
    assert len(lockdown) == 30 and all(f["percent"] is None and not f["published"]
                                       for f in lockdown)
    assert all(f["cohort"] for f in lockdown)  # the cohort is still published
    s3 = [f for f in figures if f["session"] == "2020-21" and f["stage"].startswith("s3")]
    assert s3 and all(not f["published"] for f in s3)  # only primary collected in 2020-21

    three = api.get(url, headers=anyone, params={"sessions": "2022-23..2024-25"}).json()
    assert three["sessions"] == ["2022-23", "2023-24", "2024-25"]
    assert {f["session"] for f in three["figures"]} == set(three["sessions"])
    assert len(three["figures"]) == 90
    two = api.get(url, headers=anyone, params={"sessions": "2023-24,2021-22"}).json()
    assert two["sessions"] == ["2021-22", "2023-24"]


def test_sessions_that_are_not_sessions_are_refused(api, make: Factory, db: Session):
    glasgow = make.authority(GLASGOW)
    school = make.establishment(glasgow)
    admin = make.headers(make.admin())
    beyond = latest_session_start() + 3
    for bad in ("2024-26", f"{beyond}-{(beyond + 1) % 100:02d}", "2010-11..2022-23", "x",
                "2024-25..2022-23", ","):
        for url in (f"{API}/authorities/{glasgow.id}/acel", f"{API}/establishments/{school.id}/acel",
                    f"{API}/establishments/{school.id}/statistics"):
            answer = api.get(url, headers=admin, params={"sessions": bad})
            assert answer.status_code == 422, (bad, url)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["errors"][0]["loc"] == ["query", "sessions"]
    assert api.get(f"{API}/authorities/{make.id()}/acel", headers=admin).status_code == 404


def _listed(api: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    return api.get(f"{API}/inspections", headers=headers, params=params).json()["items"]


def test_inspections_are_listed_by_authority_qi_and_date(api, make: Factory, db: Session):
    _schools(api, make)
    admin = make.headers(make.admin())
    every = _listed(api, admin)
    days = [i["inspected_on"] for i in every]
    assert days == sorted(days, reverse=True) and len(days) == 6  # newest first
    glasgow = make.authority(GLASGOW)
    assert {i["establishment_code"] for i in _listed(api, admin, authority_id=glasgow.id)} == {
        "8000101", "8000102", "8000104"}
    graded = _listed(api, admin, indicator="2.3")
    assert sorted(i["inspected_on"] for i in graded) == ["2016-09-01", "2019-01-20", "2023-05-15"]
    assert all("2.3" in {g["indicator"] for g in i["grades"]} for i in graded)
    window = _listed(api, admin, **{"from": "2019-01-20", "to": "2023-05-15"})  # inclusive
    assert [i["inspected_on"] for i in window] == ["2023-05-15", "2022-11-01", "2019-01-20"]
    assert api.get(f"{API}/inspections", headers=admin, params={"indicator": "two"}
                   ).status_code == 422
    backwards = api.get(f"{API}/inspections", headers=admin,
                        params={"from": "2023-05-15", "to": "2019-01-20"})
    assert backwards.status_code == 422 and "is after" in backwards.json()["detail"]

    seen: list[str] = []
    cursor = None
    while True:
        page = api.get(f"{API}/inspections", headers=admin,
                       params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["id"] for i in every]  # every inspection once, in order


def test_grades_carry_the_titles_of_the_framework_in_force(api, make: Factory, db: Session):
    schools = _schools(api, make)
    admin = make.headers(make.admin())
    a = api.get(f"{API}/establishments/{schools['A'].id}/inspections", headers=admin).json()
    recent, old = a["items"]  # newest first
    assert (old["framework"], old["inspected_on"]) == ("HGIOS3", "2010-03-15")
    assert [(g["indicator"], g["title"], g["grade"], g["label"]) for g in old["grades"]] == [
        ("1.1", "Improvements in performance", 4, "good"),
        ("2.1", "Learners' experiences", 5, "very good")]  # the 0s are no grades
    assert recent["framework"] == "HGIOS4"
    assert {g["indicator"]: g["title"] for g in recent["grades"]} == {
        "1.3": "Leadership of change", "2.3": "Learning, teaching and assessment",
        "3.1": "Ensuring wellbeing, equality and inclusion",
        "3.2": "Raising attainment and achievement"}
    d = api.get(f"{API}/establishments/{schools['D'].id}/inspections", headers=admin).json()
    assert [(i["inspected_on"], i["framework"]) for i in d["items"]] == [
        ("2016-09-01", "HGIOS4"), ("2016-06-10", "HGIOS3")]  # August 2016 is the change
    every = [g["grade"] for i in _listed(api, admin) for g in i["grades"]]
    assert every and all(1 <= grade <= 6 for grade in every)
