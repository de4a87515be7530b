"""Summaries as .xlsx workbooks: the CSV's rows, one sheet per area (an authority's; a
region's totals then each member authority), numbers as numbers, free text that looks like a
formula neutralised as in the CSV, with a content ETag."""

import csv
import io
import time
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from sqlmodel import Session, select

from app.assurance.vse.models import VseTheme
from tests.insight.conftest import Callers, authority_url, region_url
from tests.insight.world import World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(answer.content))


def _csv_rows(api: Any, url: str, headers: dict[str, str]) -> list[list[str]]:
    answer = api.get(url, headers={**headers, "Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))


def _as_csv(value: Any) -> str:
    """A workbook cell as the CSV writes the same text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()  # a date cell reads back as a datetime
    return str(value)


def _same_rows(sheet: Any, csv_rows: list[list[str]]) -> None:
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == csv_rows[0]
    assert len(cells) == len(csv_rows)
    for got, want in zip(cells[1:], csv_rows[1:], strict=True):
        assert [_as_csv(v) for v in got[:5]] == want[:5]
        value, text = got[5], want[5]
        if isinstance(value, bool) or not isinstance(value, int | float):
            assert _as_csv(value) == text, (got, want)
        else:
            assert value == float(text), (got, want)  # a number, not text


def test_an_authority_summary_is_one_sheet_of_the_csv_rows(api, world: World,
                                                           callers: Callers) -> None:
    url = authority_url(world.nl.id)
    book = _workbook(api.get(url, headers={**callers.admin, "Accept": XLSX}))
    assert book.sheetnames == [world.nl.name]
    sheet = book[world.nl.name]
    _same_rows(sheet, _csv_rows(api, url, callers.admin))
    assert all(cell.font.b for cell in sheet[1])
    participants = next(r for r in sheet.iter_rows(min_row=2) if r[3].value == "clpl.participants")
    assert participants[5].data_type == "n" and isinstance(participants[5].value, int)
    money = next(r for r in sheet.iter_rows(min_row=2) if r[3].value == "pef.allocated")
    assert money[5].data_type == "n"  # pounds as a number the sheet can add up
    assert sheet.column_dimensions["D"].width > 10


def test_a_region_summary_has_totals_then_a_sheet_per_member(api, world: World,
                                                              callers: Callers) -> None:
    url = region_url(world.region.id) + "&sessions=2023-24,2024-25"
    answer = api.get(url, headers={**callers.lead, "Accept": XLSX})
    book = _workbook(answer)
    body = api.get(url, headers=callers.lead).json()
    names = [a["authority_name"] for a in body["authorities"]]
    assert book.sheetnames == ["Totals", *names]
    rows = _csv_rows(api, url, callers.lead)
    _same_rows(book["Totals"], [rows[0], *(r for r in rows[1:] if r[0] == "region")])
    for item in body["authorities"]:
        _same_rows(book[item["authority_name"]],
                   [rows[0], *(r for r in rows[1:] if r[1] == item["authority_code"])])
    sessions = {r[2] for r in book[world.gc.name].iter_rows(min_row=2, values_only=True)}
    assert sessions == {"2023-24", "2024-25"}  # a trend: each session's block on the sheet


def test_a_theme_that_looks_like_a_formula_is_text(api, db: Session, world: World,
                                                   callers: Callers) -> None:
    for voice in db.exec(select(VseTheme).where(VseTheme.theme == "Learner voice")).all():
        db.add(VseTheme(vse_id=voice.vse_id, theme="=HYPERLINK(\"http://evil\",\"x\")"))
    db.commit()
    book = _workbook(api.get(authority_url(world.gc.id), headers={**callers.admin, "Accept": XLSX}))
    themes = [r for r in book.active.iter_rows(min_row=2) if r[3].value == "vse.themes"]
    dimensions = {r[4].value: r[4].data_type for r in themes}
    assert dimensions["'=HYPERLINK(\"http://evil\",\"x\")"] == "s"
    assert not any(str(d).startswith("=") for d in dimensions)


def test_the_workbook_has_its_own_etag_and_answers_304(api, world: World,
                                                       callers: Callers) -> None:
    url = authority_url(world.nl.id)
    first = api.get(url, headers={**callers.admin, "Accept": XLSX})
    time.sleep(2.1)  # a zip records times to 2 seconds: a member dated by the clock would show
    again = api.get(url, headers={**callers.admin, "Accept": XLSX})
    assert first.content == again.content  # no clock in the bytes: the same figures, same file
    tag = first.headers["ETag"]
    assert tag != api.get(url, headers={**callers.admin, "Accept": "text/csv"}).headers["ETag"]
    held = api.get(url, headers={**callers.admin, "Accept": XLSX, "If-None-Match": tag})
    assert held.status_code == 304 and held.content == b""


def test_json_stays_the_default(api, world: World, callers: Callers) -> None:
    for accept in ("*/*", "application/*", f"application/json, {XLSX}", ""):
        answer = api.get(authority_url(world.nl.id), headers={**callers.admin, "Accept": accept})
        assert answer.headers["content-type"].startswith("application/json"), accept
    ranked = api.get(authority_url(world.nl.id),
                     headers={**callers.admin, "Accept": f"application/json;q=0.5, {XLSX}"})
    assert ranked.headers["content-type"] == XLSX


def test_headteachers_get_no_workbook(api, world: World, callers: Callers) -> None:
    answer = api.get(region_url(world.region.id), headers={**callers.headteacher, "Accept": XLSX})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
