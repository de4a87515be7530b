"""The Scottish Government's school level summary statistics import as published, against the
school roll: `?session=` for a file naming none, `c` and `z` kept as not published (never 0),
grant-aided schools skipped, SEED codes the service does not hold reported row by row, the
departments of a campus school made one school's figures, a council's own columns kept."""

import csv
from collections import Counter
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlmodel import Session

from app.performance.models import SchoolStatistics
from tests.factories import Factory
from tests.integration.import_support import count, establishments, send
from tests.performance.support import published

ROLL = "SG_SchoolRoll_2022.csv"
STATS = "school_level_stats_2025.csv"
WORKBOOK = "school_level_stats_2025.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND = "school-statistics"
# The published columns checked cell by cell against what is stored.
COUNTED = {"Pupil roll": "roll", **{s: s for s in ("P1", "P4", "P7", "S1", "S4", "S6")},
           "Special school pupils": "SP", "SIMD Quintile 1 [Note 6]": "q1",
           "SIMD Quintile 5 [Note 6]": "q5"}


def _published_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(published(STATS).read_text("utf-8-sig").splitlines()))


def _lines(*codes: str) -> bytes:
    """The published header and the rows of these SEED codes, as published."""
    lines = published(STATS).read_text("utf-8-sig").splitlines()
    return "\n".join([lines[0], *(line for line in lines[1:]
                                   if line.split(",")[1] in codes)]).encode()


def _stored(db: Session) -> dict[str, SchoolStatistics]:
    schools = {e.id: e.code for e in establishments(db).values()}
    return {schools[s.establishment_id]: s for s in db.scalars(select(SchoolStatistics))}


def _figure(row: SchoolStatistics, name: str) -> Any:
    if name == "roll":
        return row.roll
    return (row.simd_quintiles if name.startswith("q") else row.roll_by_stage)[name]


def test_the_published_statistics_import_against_the_school_roll(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    assert send(api, admin, published(ROLL).read_bytes(), partial=True).status_code == 200
    held = set(establishments(db))
    rows = _published_rows()
    grant_aided = {r["SeedCode"] for r in rows if r["Local Authority"] == "Grant aided"}
    unknown = {r["SeedCode"] for r in rows} - held - grant_aided
    assert len(grant_aided) == 7 and len(unknown) == 17  # 8 and 17 rows

    answer = send(api, admin, published(STATS).read_bytes(), kind=KIND, partial=True,
                  session="2025-26")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows"] == len(rows) == 2435
    assert report["rows"] == sum(report[k] for k in (
        "created", "updated", "unchanged", "failed", "skipped", "merged"))
    missing = [e for e in report["errors"] if e["column"] == "SeedCode"]
    assert {e["reason"].split()[5] for e in missing} == unknown
    assert all(e["reason"].startswith("no establishment with SEED code") for e in missing)
    # Every grant-aided school skipped, with a warning naming it (Jordanhill's two rows: one).
    skipped = [w["reason"] for w in report["warnings"] if w["column"] is None]
    assert report["skipped"] == len(skipped) == 7
    assert {r.split()[0] for r in skipped} == grant_aided
    assert all("grant-aided" in r for r in skipped)
    # Every published column is understood: no "not a column of this import".
    assert [w for w in report["warnings"] if w["column"] is not None] == []
    stored = _stored(db)
    assert len(stored) == report["created"] == len({r["SeedCode"] for r in rows} & held)
    assert {s.school_session for s in stored.values()} == {"2025-26"}

    abbotswell = stored["5237521"]
    assert (abbotswell.roll, abbotswell.fte_teachers, abbotswell.average_class_size) == (
        228, Decimal("15.2"), Decimal("22.8"))
    assert abbotswell.roll_by_stage["P1"] == 32 and abbotswell.roll_by_stage["S1"] is None  # z
    assert abbotswell.simd_quintiles == {"q1": 33, "q2": 42, "q3": 120, "q4": None, "q5": None,
                                         "not_known": 0}  # q4, q5: c
    assert (abbotswell.fsm_p6_s6_percent, abbotswell.urban_rural, abbotswell.denomination) == (
        Decimal("51.5"), "Large urban areas", "Non-denominational")
    assert stored["8111030"].roll == 196 + 386  # Lochgilphead's primary and high departments
    # Cell by cell, for every school listed once: `c` and `z` are None, never 0.
    listed = Counter(r["SeedCode"] for r in rows)
    once = {code for code in stored if listed[code] == 1}
    for row in (r for r in rows if r["SeedCode"] in once):
        for column, name in COUNTED.items():
            cell, kept = row[column], _figure(stored[row["SeedCode"]], name)
            assert kept == (None if cell in ("c", "z") else int(cell)), (row["SeedCode"], column)

    again = send(api, admin, published(STATS).read_bytes(), kind=KIND, partial=True,
                 session="2025-26").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, report["created"])


def test_the_workbook_gives_the_same_figures_as_its_csv(api, make: Factory, db: Session):
    sheet = "2025 School Level Statistics"
    assert sheet in load_workbook(published(WORKBOOK), read_only=True).sheetnames
    make.establishment(make.authority("S12000033"), code="5237521")  # Abbotswell School
    make.establishment(make.authority("S12000033"), code="5237629")  # FTE 20.399999999999999
    make.establishment(make.authority("S12000035"), code="8111030")  # Lochgilphead (campus)
    admin = make.headers(make.admin())
    workbook = send(api, admin, published(WORKBOOK).read_bytes(), kind=KIND, media=XLSX,
                    sheet=sheet, partial=True, session="2025-26").json()
    assert workbook["created"] == 3
    # Every named column understood (the sheet's header row ends in two blank cells).
    assert [w for w in workbook["warnings"] if w["column"]] == []
    from_workbook = {code: row.model_dump(exclude={"id", "updated_at"})
                     for code, row in _stored(db).items()}
    db.execute(delete(SchoolStatistics))
    db.commit()
    assert send(api, admin, published(STATS).read_bytes(), kind=KIND, partial=True,
                session="2025-26").json()["created"] == 3
    from_csv = {code: row.model_dump(exclude={"id", "updated_at"})
                for code, row in _stored(db).items()}
    assert from_csv == from_workbook and from_csv["5237521"]["roll"] == 228
    assert from_csv["5237629"]["fte_teachers"] == Decimal("20.4")
    assert from_csv["8111030"]["roll"] == 582


def test_a_campus_school_s_departments_make_one_school(api, make: Factory, db: Session):
    # Lochgilphead Primary School and Lochgilphead High School share SEED 8111030.
    school = make.establishment(make.authority("S12000035"), code="8111030", sector="all_through")
    admin = make.headers(make.admin())
    answer = send(api, admin, _lines("8111030"), kind=KIND, session="2025-26")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["merged"]) == (1, 1)
    (read,) = api.get(f"/api/v1/establishments/{school.id}/statistics",
                      headers=admin).json()["items"]
    assert (read["roll"], read["fte_teachers"], read["pupil_teacher_ratio"]) == (582, 51.1, 11.4)
    assert read["roll_by_stage"]["P1"] == 21 and read["roll_by_stage"]["S1"] == 74
    assert read["roll_by_stage"]["SP"] is None  # not applicable in either department
    assert read["average_class_size"] == 17.8  # the primary's; the secondary publishes 0
    assert (read["fsm_p6_s6_pupils"], read["fsm_p6_s6_percent"]) == (73, 16.1)  # 20 + 53 of 454
    assert read["simd_quintiles"]["q2"] == 186
    assert read["simd_quintiles"]["q1"] is None  # c in the primary: the total is not known


def test_departments_far_apart_in_a_file_still_make_one_school(api, make: Factory, db: Session):
    make.establishment(make.authority("S12000035"), code="8111030")
    header, primary, high = _lines("8111030").decode().splitlines()
    others = [primary.replace("8111030", f"{9100000 + n}", 1) for n in range(500)]
    body = "\n".join([header, primary, *others, high]).encode()
    report = send(api, make.headers(make.admin()), body, kind=KIND, partial=True,
                  session="2025-26").json()
    assert (report["created"], report["merged"], report["failed"]) == (1, 1, 500)
    assert _stored(db)["8111030"].roll == 582


def test_the_session_is_asked_for_and_checked(api, make: Factory, db: Session):
    make.establishment(make.authority("S12000033"), code="5237521")
    admin = make.headers(make.admin())
    body = _lines("5237521", "5237629", "1006436")  # a school held, one not, one new in 2025
    nameless = send(api, admin, body, kind=KIND, partial=True)
    assert nameless.status_code == 422
    report = nameless.json()
    assert report["failed"] == report["rows"] == 3
    assert all("?session=2025-26" in e["reason"] for e in report["errors"])

    for bad in ("2025-27", "2025/26x", "1999-00"):
        refused = send(api, admin, body, kind=KIND, partial=True, session=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"][0]["loc"] == ["query", "session"]
    assert count(db, SchoolStatistics) == 0


def test_a_councils_own_columns_are_kept_beside_the_census(api, make: Factory, db: Session):
    school = make.establishment(make.authority("S12000033"), code="5237521")
    admin = make.headers(make.admin())
    own = b"SeedCode,session,attendance,exclusions per 1000\n5237521,2025-26,93.4,12.5\n"
    assert send(api, admin, own, kind=KIND).json()["created"] == 1
    census = send(api, admin, _lines("5237521"), kind=KIND, session="2025-26").json()
    assert census["updated"] == 1 and census["warnings"] == []
    url = f"/api/v1/establishments/{school.id}/statistics"
    (read,) = api.get(url, headers=admin).json()["items"]
    assert (read["attendance_percent"], read["exclusions_per_1000"]) == (93.4, 12.5)
    assert read["roll"] == 228 and read["simd_quintiles"]["q1_percent"] == 14.5  # 33 of 228

    # The other way round: the council's file, sent again later, leaves the census figures.
    again = b"SeedCode,session,attendance\n5237521,2025-26,94.1\n"
    assert send(api, admin, again, kind=KIND).json()["updated"] == 1
    answer = api.get(url, headers=admin)
    (read,) = answer.json()["items"]
    assert (read["attendance_percent"], read["exclusions_per_1000"], read["roll"]) == (
        94.1, 12.5, 228)
    assert read["roll_by_stage"]["P1"] == 32 and read["simd_quintiles"]["q2"] == 42
    etag = answer.headers["ETag"]
    assert api.get(url, headers={**admin, "If-None-Match": etag}).status_code == 304
    send(api, admin, b"SeedCode,session,attendance\n5237521,2025-26,95.0\n", kind=KIND)
    changed = api.get(url, headers={**admin, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["items"][0]["attendance_percent"] == 95.0
