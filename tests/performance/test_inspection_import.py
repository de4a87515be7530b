"""The FOI list of inspections imports as published: Excel serial dates, council names with
trailing spaces and variants, grant-aided rows, schools not inspected, SEED codes the service
does not hold (reported row by row), 0 as "not graded", HGIOS3 before August 2016."""

import csv
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app.performance.models import Inspection, InspectionGrade
from tests.factories import Factory
from tests.integration.import_support import establishments, send
from tests.performance.support import published

FOI = "foi_inspections_2025_public.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLL = "SG_SchoolRoll_2022.csv"


def _held(db: Session) -> dict[str, tuple[Inspection, dict[str, int]]]:
    db.expire_all()
    schools = {e.id: e.code for e in establishments(db).values()}
    grades: dict[object, dict[str, int]] = {}
    for grade in db.scalars(select(InspectionGrade)):
        grades.setdefault(grade.inspection_id, {})[grade.indicator_code] = grade.grade
    return {schools[i.establishment_id]: (i, grades.get(i.id, {}))
            for i in db.scalars(select(Inspection))}


def test_the_foi_release_imports_against_the_school_roll(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    assert send(api, admin, published(ROLL).read_bytes(), partial=True).status_code == 200
    held = set(establishments(db))
    rows = list(csv.DictReader(published(FOI).read_text("utf-8-sig").splitlines()))
    answer = send(api, admin, published(FOI).read_bytes(), kind="inspections", partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows"] == 2439 and report["warnings"] is not None
    skipped = [w["reason"] for w in report["warnings"] if w["column"] is None]
    assert sum("not inspected" in r for r in skipped) == 79
    assert all("not inspected" in r or "grant-aided" in r for r in skipped)
    assert report["errors"] == [] and held  # every school inspected is on the 2022 roll
    inspections = _held(db)
    assert len(inspections) == report["created"] == 2439 - report["skipped"] - report["failed"]
    # Alloway Primary, a South Ayrshire school the file places in South Lanarkshire.
    (slip,) = [w for w in report["warnings"] if w["column"] == "LA Name"]
    assert "8230625 is a school of South Ayrshire" in slip["reason"]
    assert inspections["8230625"][1] == {"1.3": 5, "2.3": 5, "3.2": 5, "3.1": 5}
    # "inspection in progress": inspected, its report not out yet.
    in_progress = [i for i, _ in inspections.values() if i.published_on is None]
    assert len(in_progress) == sum(r["Publication Date"] == "inspection in progress"
                                   and r["LA Name"] != "Grant aided" for r in rows)

    seaton, grades = inspections["5241529"]  # 40133 -> 16 November 2009, graded in HGIOS3
    assert (seaton.inspected_on, seaton.published_on) == (date(2009, 11, 16), date(2010, 1, 19))
    assert seaton.framework_code == "HGIOS3"
    assert grades == {"1.1": 4, "2.1": 5, "5.3": 4, "5.1": 5, "5.9": 5}  # the 0s are not grades
    recent = [i for i, _ in inspections.values() if i.inspected_on >= date(2016, 8, 1)]
    assert recent and all(i.framework_code == "HGIOS4" for i in recent)
    assert all(set(g) <= {"1.1", "1.3", "2.3", "3.1", "3.2"}
               for i, g in inspections.values() if i.framework_code == "HGIOS4")
    # Ungraded: in progress, or "No QIs" (15 rows, 2015-16 inspections graded by no QI).
    ungraded = [i for i, g in inspections.values() if not g]
    assert {i.id for i in in_progress} <= {i.id for i in ungraded}

    # Every council name variant was understood ("Aberdeen City Council  ", "The Highland
    # Council", "Comhairle nan Eilean Siar", "Argyll & Bute Council"): no other warning.
    assert [w for w in report["warnings"] if w["column"] not in (None, "LA Name")] == []
    again = send(api, admin, published(FOI).read_bytes(), kind="inspections", partial=True).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, report["created"])


def test_an_authority_imports_its_own_schools_and_each_other_row_is_reported(
        api, make: Factory, db: Session):
    glasgow = make.authority("S12000049")
    lines = published(ROLL).read_text("utf-8").splitlines()
    roll = "\n".join([lines[0], *(line for line in lines[1:] if ",Glasgow City," in line)])
    admin = make.headers(make.admin())
    assert send(api, admin, roll.encode(), partial=True).status_code == 200
    officer = make.headers(make.user("officer", authority=glasgow, authority_admin=True))
    body = published(FOI).read_bytes()

    whole = send(api, officer, body, kind="inspections")
    assert whole.status_code == 422 and _held(db) == {}  # all or nothing: nothing written
    answer = send(api, officer, body, kind="inspections", partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    held = _held(db)
    assert len(held) == report["created"] > 150
    assert {i.authority_id for i, _ in held.values()} == {glasgow.id}
    assert {e["column"] for e in report["errors"]} == {"SEED"}
    assert all("no establishment with SEED code" in e["reason"] for e in report["errors"])
    assert report["failed"] == 2439 - report["created"] - report["skipped"]


def test_the_workbook_as_published_reads_as_its_csv(api, make: Factory, db: Session):
    """The FOI workbook itself: a banner row above the header, dates as date cells (some with
    a time of day), its second sheet named."""
    admin = make.headers(make.admin())
    send(api, admin, published(ROLL).read_bytes(), partial=True)
    as_csv = send(api, admin, published(FOI).read_bytes(), kind="inspections", partial=True,
                  dry_run=True).json()
    workbook = send(api, admin, published("foi_inspections_2025.xlsx").read_bytes(),
                    kind="inspections", media=XLSX, partial=True, dry_run=True,
                    sheet="Public and Grant aided schools")
    assert workbook.status_code == 200, workbook.text
    counts = ("rows", "created", "failed", "skipped")
    assert {k: workbook.json()[k] for k in counts} == {k: as_csv[k] for k in counts}
    assert workbook.json()["created"] > 2000
    first = send(api, admin, published("foi_inspections_2025.xlsx").read_bytes(),
                 kind="inspections", media=XLSX, partial=True, dry_run=True)
    assert first.status_code == 422  # its first sheet holds the QI definitions, not schools
