"""POST /imports/{kind} with an .xlsx workbook: the real Scottish Government table, the sheet to
read, banners above the header, typed numbers and dates, files that are not workbooks (or are
bombs), and a workbook run as a job."""

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session

from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import (
    HEADER,
    count,
    csv_rows,
    establishments,
    school,
    send,
    wait_for_job,
)
from tests.learning.clpl_world import (
    World,
    create_event,
    registrations,
    world,  # noqa: F401 - the fixture
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHARED = Path(__file__).resolve().parents[3] / "shared/data/schools-scotland"
SG_2022_XLSX = SHARED / "SG_SchoolRoll_2022.xlsx"
SG_2022_CSV = SHARED / "SG_SchoolRoll_2022.csv"
GLASGOW = "S12000049"


@pytest.fixture
def admin(make: Factory) -> dict[str, str]:
    return make.headers(make.admin())


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip("the shared data is not on this machine")
    return path


def xlsx(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    """A workbook of these sheets, in order, each a list of rows ([] is an empty row)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def retyped(body: bytes, *swaps: tuple[str, str]) -> bytes:
    """The workbook with its first sheet's XML edited, as other writers store cells."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for old, new in swaps:
                    assert old in text, old
                    text = text.replace(old, new)
                data = text.encode()
            target.writestr(member, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def school_cells(n: int, **fields: Any) -> list[Any]:
    """school(n) of import_support, as typed cells."""
    values: dict[str, Any] = {"code": 8000000 + n, "name": f"Import School {n}",
                              "sector": "primary", "authority_code": "S12000050", "cluster": None,
                              "roll": 100 + n, "simd_q1_percent": None, "gaelic_medium": None,
                              **fields}
    return [values[c] for c in HEADER.split(",")]


def snapshot(db: Session) -> dict[str, tuple[Any, ...]]:
    return {code: (e.name, e.sector, e.roll, e.simd_q1_percent, e.authority_id, e.version)
            for code, e in establishments(db).items()}


# (a) The Scottish Government's school roll and locations table -------------------------------

def test_glasgow_rows_as_a_workbook_import_as_the_csv_does(api, admin, db: Session):
    """The first 20 Glasgow rows of the real table, in a workbook whose SEED codes and rolls
    are number cells: the same establishments as the CSV of those rows makes."""
    with _shared(SG_2022_CSV).open(newline="", encoding="utf-8") as table:
        reader = csv.reader(table)
        header = next(reader)
        rows = [row for row in reader if row[header.index("LACode")] == GLASGOW][:20]
    seed, roll = header.index("SeedCode"), header.index("Pupil_Roll")

    def typed(row: list[str]) -> list[Any]:
        cells: list[Any] = [value or None for value in row]
        cells[seed], cells[roll] = int(row[seed]), float(row[roll])
        return cells

    answer = send(api, admin, xlsx(("SG_SchoolRoll_2022", [header, *map(typed, rows)])),
                  media=XLSX)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows"] == 20 and report["failed"] == 0 and report["created"] >= 15
    assert all(w["line"] == 1 for w in report["warnings"] if w["column"])  # ignored columns
    saved = snapshot(db)
    assert len(saved) == report["created"] and all(code.isdigit() for code in saved)

    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    again = send(api, admin, out.getvalue().encode()).json()
    assert (again["rows"], again["merged"], again["skipped"]) == (
        report["rows"], report["merged"], report["skipped"])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, report["created"])
    assert snapshot(db) == saved


def test_the_whole_real_workbook_dry_runs_as_its_csv_does(api, admin, db: Session):
    """Every council's code is known (the 32 are reference data), so no row fails; the report
    is the CSV conversion's, warnings and their lines included."""
    answer = send(api, admin, _shared(SG_2022_XLSX).read_bytes(), media=XLSX, dry_run=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["failed"], report["errors"]) == (2487, 0, [])
    # 28 SEED codes have a second department row; the 9 grant-aided rows are 8 schools (one
    # has two departments), left out.
    assert (report["merged"], report["skipped"], report["created"]) == (28, 8, 2451)
    assert report["dry_run"] is True and report["applied"] is False
    assert send(api, admin, _shared(SG_2022_CSV).read_bytes(), dry_run=True).json() == report
    assert count(db, Establishment) == 0


# (b) The sheet to read -----------------------------------------------------------------------

def test_sheet_picks_a_sheet_other_than_the_first(api, admin, db: Session):
    body = xlsx(("Notes", [["Read me", "first"]]),
                ("Schools", [HEADER.split(","), school_cells(1), school_cells(2)]))
    answer = send(api, admin, body, media=XLSX, sheet="Schools")
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2 and set(establishments(db)) == {"8000001", "8000002"}
    # Without ?sheet= the first sheet is read: its "header" has none of the columns.
    first = assert_problem(send(api, admin, body, media=XLSX), 422)
    assert "lacks the required column" in first["detail"]


def test_a_sheet_the_workbook_lacks_is_422_naming_its_sheets(api, admin, db: Session):
    body = xlsx(("Notes", [["Read me"]]), ("Schools", [HEADER.split(","), school_cells(1)]))
    for params in ({}, {"run_async": True}):
        problem = assert_problem(send(api, admin, body, media=XLSX, sheet="Pupils", **params), 422)
        assert problem["detail"] == ("The workbook has no sheet named 'Pupils'. Its sheets are "
                                     "'Notes', 'Schools': name the one to read in ?sheet=.")
        assert problem["rows"] == 0
    assert count(db, Establishment) == 0


def test_sheet_is_for_workbooks_only_and_at_most_31_characters(api, admin):
    problem = assert_problem(send(api, admin, csv_rows(school(1)), sheet="Schools"), 422,
                             loc=["query", "sheet"])
    assert "workbooks only" in problem["detail"]
    assert_problem(send(api, admin, xlsx(("S", [HEADER.split(",")])), media=XLSX, sheet="x" * 32),
                   422, loc=["query", "sheet"])


# (c) Banners, blank rows, row numbers --------------------------------------------------------

def test_a_banner_above_the_header_is_passed_over_and_lines_are_sheet_rows(api, admin, db: Session):
    rows = [["INFORMATION AS AT 1 APRIL 2025"], [], [*HEADER.split(","), "Colour"],
            school_cells(1), [], [None, "   "], school_cells(2, roll="lots"),
            [*school_cells(3), None, "stray"]]
    answer = send(api, admin, xlsx(("Public schools", rows)), media=XLSX, partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["created"], report["failed"]) == (3, 2, 1)
    assert report["warnings"] == [
        {"line": 3, "column": "Colour", "reason": "not a column of this import; ignored"},
        {"line": 8, "column": None, "reason": "rows have more fields than the header names (from "
                                              "this line on); the extra fields are ignored"}]
    assert report["errors"] == [{"line": 7, "column": "roll",
                                 "reason": "a whole number, e.g. 412 (got 'lots')"}]
    assert set(establishments(db)) == {"8000001", "8000003"}


def test_a_sheet_without_a_header_or_rows_is_refused(api, admin):
    banner_only = assert_problem(send(api, admin, xlsx(("Sheet1", [["A title"], ["x"]])),
                                      media=XLSX), 422)
    assert banner_only["detail"].startswith("Sheet 'Sheet1' has no header row")
    header_only = assert_problem(send(api, admin, xlsx(("Sheet1", [["Title"], HEADER.split(",")])),
                                      media=XLSX), 422)
    assert header_only["detail"] == "The file has a header (line 2) but no rows."
    assert assert_problem(send(api, admin, b"", media=XLSX), 422)["detail"].startswith(
        "The file is empty")


# (d) Numbers typed as numbers -----------------------------------------------------------------

def test_number_cells_import_as_the_csv_text_does(api, admin, db: Session):
    """A SEED code stored as a number, a roll as 412.0 and a share as 23.5 (how some writers
    store them), then the same rows as CSV text: every row unchanged."""
    rows = [HEADER.split(","), school_cells(1, roll=412, simd_q1_percent=23.5),
            school_cells(2, roll=0)]
    body = retyped(xlsx(("Sheet1", rows)),
                   ("<v>8000001</v>", "<v>8.000001E6</v>"), ("<v>412</v>", "<v>412.0</v>"))
    answer = send(api, admin, body, media=XLSX)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["warnings"]) == (2, [])
    saved = establishments(db)
    assert (saved["8000001"].roll, str(saved["8000001"].simd_q1_percent)) == (412, "23.50")
    stamps = snapshot(db)

    text = csv_rows(school(1, roll="412", simd_q1_percent="23.5"), school(2, roll="0"))
    assert send(api, admin, text).json()["unchanged"] == 2
    assert snapshot(db) == stamps


def test_a_fractional_roll_cell_is_a_row_error(api, admin):
    body = xlsx(("Sheet1", [HEADER.split(","), school_cells(1, roll=412.5)]))
    problem = assert_problem(send(api, admin, body, media=XLSX), 422)
    assert problem["errors"] == [{"line": 2, "column": "roll", "reason": "a whole number, e.g. 412"}]


# (e) Dates --------------------------------------------------------------------------------------

def test_date_cells_find_events_by_their_day(api, world: World):  # noqa: F811
    # Midday, so that the day is the same in UTC and in Scotland's time.
    november = create_event(api, world, title="Leading learning", starts_at="2030-11-12T12:00:00Z",
                            ends_at="2030-11-12T14:00:00Z")
    december = create_event(api, world, title="Leading learning", starts_at="2030-12-12T12:00:00Z",
                            ends_at="2030-12-12T14:00:00Z")
    rows = [["Course title", "Date", "Email Address", "Full name", "Job title"],
            ["Leading learning", datetime(2030, 11, 12), "ann@school.example.scot", "Ann Bell", "Depute"],
            ["Leading learning", date(2030, 12, 12), "cal@school.example.scot", "Cal Dunn", "Teacher"],
            ["Leading learning", datetime(2030, 12, 12, 9, 30), "eve@school.example.scot", "Eve Ford",
             "Teacher"]]
    answer = send(api, world.authority_admin, xlsx(("Bookings", rows)), kind="clpl-registrations",
                  media=XLSX)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["failed"]) == (3, 0)

    def emails(event: dict[str, Any]) -> set[str]:
        return {r["participant"]["email"] for r in registrations(api, event, world.authority_admin)}
    assert emails(november) == {"ann@school.example.scot"}
    assert emails(december) == {"cal@school.example.scot", "eve@school.example.scot"}


# (f) Files that are not workbooks -------------------------------------------------------------

def _a_workbook() -> bytes:
    return xlsx(("Sheet1", [HEADER.split(","), school_cells(1), school_cells(2)]))


def _zip(compression: int = zipfile.ZIP_DEFLATED, **members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _parts(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as source:
        return {m.filename: source.read(m) for m in source.infolist()}


def _padded(body: bytes, size: int) -> bytes:
    """The workbook with one more part: `size` spaces, which deflate a thousandfold."""
    return _zip(**_parts(body), **{"xl/padding.xml": b" " * size})


@pytest.mark.parametrize(("body", "why"), [
    (_a_workbook()[: len(_a_workbook()) // 2], "not a complete zip archive"),
    (csv_rows(school(1), school(2)), "not a complete zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "Excel 97-2003 (.xls) file, or a password"),
    (_zip(**{"hello.txt": b"hello"}), "a zip archive, but not an Excel workbook"),
    # bzip2 is inflated without the bound deflate keeps to; Excel never writes it.
    (_zip(zipfile.ZIP_BZIP2, **_parts(_a_workbook())), "compressed in a way Excel never writes"),
], ids=["truncated", "csv", "xls-or-encrypted", "other-zip", "bzip2"])
def test_a_file_that_is_not_a_workbook_is_422_and_writes_nothing(api, admin, db: Session,
                                                                 body: bytes, why: str):
    for params in ({}, {"run_async": True}):
        problem = assert_problem(send(api, admin, body, media=XLSX, **params), 422)
        assert problem["detail"].startswith("The file is not an .xlsx workbook: ")
        assert why in problem["detail"] and "CSV UTF-8" in problem["detail"]
        assert problem["errors"][0]["line"] == 1 and problem["applied"] is False
    assert count(db, Establishment) == 0


def test_a_damaged_row_is_422_naming_it(api, admin, db: Session):
    body = retyped(_a_workbook(), ('<c r="F3" t="n"><v>102</v>', '<c r="F3" t="n"><v>many</v>'))
    problem = assert_problem(send(api, admin, body, media=XLSX, partial=True), 422)
    assert problem["detail"].startswith("Row 3 of sheet 'Sheet1' cannot be read")
    assert count(db, Establishment) == 0


def test_zip_bombs_are_refused_before_they_are_opened(api, admin, db: Session, monkeypatch):
    bomb = assert_problem(send(api, admin, _padded(_a_workbook(), 2 * 1024 * 1024), media=XLSX), 422)
    assert "The workbook would expand to" in bomb["detail"]
    monkeypatch.setattr("app.integration.imports.workbook.MAX_EXPANDED_BYTES", 4096)
    big = assert_problem(send(api, admin, _a_workbook(), media=XLSX, run_async=True), 422)
    assert "at most 4096" in big["detail"]
    assert count(db, Establishment) == 0


# (g) A workbook as a job ----------------------------------------------------------------------

def test_a_large_workbook_runs_as_a_job(api, admin, db: Session, tuned):
    rows = [HEADER.split(","), *(school_cells(n, cluster="Airdrie") for n in range(1, 1201))]
    body = xlsx(("Read me", [["Schools", "of North Lanarkshire"]]), ("Schools", rows))
    queued = send(api, admin, body, media=XLSX, sheet="Schools", run_async=True)
    assert queued.status_code == 202, queued.text
    job = wait_for_job(api, admin, queued.headers["Location"])
    assert job["status"] == "succeeded", job
    assert (job["report"]["rows"], job["report"]["created"]) == (1200, 1200)
    assert len(establishments(db)) == 1200 and establishments(db)["8001200"].roll == 1300

    tuned(import_job_threshold_bytes=len(body) - 1)  # big enough to become a job by itself
    again = send(api, admin, body, media=XLSX, sheet="Schools")
    assert again.status_code == 202, again.text
    redone = wait_for_job(api, admin, again.headers["Location"])
    assert (redone["status"], redone["report"]["unchanged"]) == ("succeeded", 1200)
