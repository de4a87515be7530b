"""The board's table of critical indicators: every indicator of a region or an authority,
each session's baseline, value (as GET .../values/{session} answers it) and target, a region's
ACEL indicators split by member authority; JSON, one wide CSV, one wide .xlsx sheet; read
as the owner's summaries are."""

import csv
import io
import uuid
from typing import Any

import pytest
from openpyxl import load_workbook

from app.insight.board_table import default_sessions
from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.insight.test_evidence_summaries import GC, NL, evidence  # noqa: F401 - fixture

URL = "/api/v1/critical-indicators"
TABLE = f"{URL}/table"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSIONS = "2022-23..2024-25"
FORMULA = '=HYPERLINK("http://evil","board")'


def _define(api: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "P1, P4 and P7 combined: literacy", "unit": "%", "direction": "higher",
            "source": "acel:p147:literacy", **fields}
    answer = api.post(URL, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.fixture
def board(api: Any, evidence: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """The region's ACEL indicator (a baseline and target set for 2023-24) and a manual one
    whose title looks like a formula, with a value for 2024-25 only."""
    lead, region = evidence["lead"], str(evidence["region"].id)
    acel = _define(api, lead, region_id=region, position=1)
    put = api.put(f"{URL}/{acel['id']}/values/2023-24", json={"baseline": 61.5, "target": 70},
                  headers=lead)
    assert put.status_code == 201, put.text
    manual = _define(api, lead, region_id=region, position=2, name=FORMULA, unit="per 1,000",
                     direction="lower", source="manual")
    put = api.put(f"{URL}/{manual['id']}/values/2024-25",
                  json={"baseline": 9.9, "value": -1.5, "target": 6.5}, headers=lead)
    assert put.status_code == 201, put.text
    return {**evidence, "acel": acel, "manual": manual}


def _table(api: Any, headers: dict[str, str], accept: str = "application/json",
           **params: str) -> Any:
    return api.get(TABLE, params=params, headers={**headers, "Accept": accept})


def test_the_json_has_every_indicator_session_by_session(api, board) -> None:
    answer = _table(api, board["lead"], region_id=str(board["region"].id), sessions=SESSIONS)
    assert answer.status_code == 200, answer.text
    table = answer.json()
    assert (table["region_id"], table["authority_id"], table["code"]) == (
        str(board["region"].id), None, board["region"].code)
    assert table["sessions"] == ["2022-23", "2023-24", "2024-25"]
    acel, manual = table["indicators"]
    assert (acel["indicator_id"], manual["indicator_id"]) == (board["acel"]["id"], board["manual"]["id"])
    assert [(s["session"], s["baseline"], s["value"], s["target"]) for s in acel["sessions"]] == [
        ("2022-23", None, 62.0, None), ("2023-24", 61.5, 64.0, 70.0), ("2024-25", None, 66.0, None)]
    assert [(s["value"], s["value_source"]) for s in manual["sessions"]] == [
        (None, "manual"), (None, "manual"), (-1.5, "manual")]
    assert manual["by_authority"] is None  # a manual figure is the region's alone
    for figures in acel["sessions"]:  # the very answer of GET .../values/{session}
        one = api.get(f"{URL}/{acel['indicator_id']}/values/{figures['session']}",
                      headers=board["lead"]).json()
        assert {k: one[k] for k in figures} == figures


def test_a_region_s_acel_indicator_is_split_by_member_authority(api, board) -> None:
    table = _table(api, board["lead"], region_id=str(board["region"].id), sessions=SESSIONS).json()
    split = {m["authority_code"]: [s["value"] for s in m["sessions"]]
             for m in table["indicators"][0]["by_authority"]}
    assert split[NL] == [66.0, 68.0, 70.0]
    assert split[GC] == [60.0, 62.0, 64.0]
    left_out = table["indicators"][0]["sessions"][0]["authorities_left_out"]
    assert sum(v == [None, None, None] for v in split.values()) == left_out  # never zero
    assert list(split) == sorted(split)  # by authority code


def _csv(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="critical-indicators-west-partnership-2022-23-2024-25.csv"')
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_csv_is_one_wide_table(api, board) -> None:
    rows = _csv(_table(api, board["lead"], "text/csv", region_id=str(board["region"].id),
                       sessions=SESSIONS))
    assert rows[0][:8] == ["number", "indicator", "unit", "direction", "source", "scope", "code",
                           "name"]
    assert rows[0][8:11] == ["2022-23 baseline", "2022-23 value", "2022-23 target"]
    assert len(rows[0]) == 8 + 9
    region = rows[1]
    assert region[5:7] == ["region", "west-partnership"]
    assert region[8:] == ["", "62.0", "", "61.5", "64.0", "70.0", "", "66.0", ""]
    nl = next(r for r in rows if r[6] == NL and r[4].startswith("acel"))
    assert nl[5] == "authority" and nl[8:] == ["", "66.0", "", "", "68.0", "", "", "70.0", ""]
    manual = next(r for r in rows if r[4] == "manual")
    assert manual[1] == "'" + FORMULA  # text a spreadsheet never runs
    assert manual[-3:] == ["9.9", "-1.5", "6.5"]  # a negative figure stays a number
    assert rows.index(manual) == len(rows) - 1  # the ACEL row's members sit beneath it


def test_the_xlsx_is_one_wide_sheet(api, board) -> None:
    answer = _table(api, board["lead"], XLSX, region_id=str(board["region"].id), sessions=SESSIONS)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].endswith('2022-23-2024-25.xlsx"')
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Critical indicators"]
    sheet = book.active
    csv_rows = _csv(_table(api, board["lead"], "text/csv", region_id=str(board["region"].id),
                           sessions=SESSIONS))
    cells = list(sheet.iter_rows(values_only=True))
    assert len(cells) == len(csv_rows) and list(cells[0]) == csv_rows[0]
    assert all(cell.font.b for cell in sheet[1])
    region = sheet[2]
    assert [c.value for c in region[8:11]] == [None, 62.0, None]
    assert region[9].data_type == "n" and region[0].value == 1  # numbers, not text
    manual = list(sheet.iter_rows())[-1]
    assert manual[1].value == "'" + FORMULA and manual[1].data_type == "s"
    assert [c.value for c in manual[-3:]] == [9.9, -1.5, 6.5]
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize("accept", ["application/json", "text/csv", XLSX])
def test_an_unchanged_table_answers_304(api, board, accept: str) -> None:
    params = {"region_id": str(board["region"].id), "sessions": SESSIONS}
    first = _table(api, board["lead"], accept, **params)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    held = api.get(TABLE, params=params, headers={**board["lead"], "Accept": accept,
                                                  "If-None-Match": tag})
    assert held.status_code == 304 and held.headers["ETag"] == tag
    api.put(f"{URL}/{board['manual']['id']}/values/2024-25", json={"value": -2.5},
            headers={**board["lead"], "If-Match": '"1"'})
    changed = api.get(TABLE, params=params, headers={**board["lead"], "Accept": accept,
                                                     "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_an_authority_s_table_has_no_split_and_three_sessions_by_default(
        api, board, make: Factory) -> None:
    admin = make.headers(make.user("officer", authority=board["nl"], authority_admin=True))
    _define(api, admin, authority_id=str(board["nl"].id))
    table = _table(api, admin, authority_id=str(board["nl"].id)).json()
    assert table["sessions"] == default_sessions() and len(table["sessions"]) == 3
    assert (table["code"], table["region_id"]) == (NL, None)
    (only,) = table["indicators"]  # the region's indicators are not the authority's
    assert only["by_authority"] is None
    narrow = _table(api, admin, authority_id=str(board["nl"].id), sessions="2024-25").json()
    assert narrow["indicators"][0]["sessions"][0]["value"] == 70.0


@pytest.mark.parametrize("params", [
    {}, {"sessions": "2023-24"}, {"region_id": "R", "authority_id": "A"},
])
def test_exactly_one_of_region_and_authority(api, board, params: dict[str, str]) -> None:
    given = {k: str(board["region"].id) if v == "R" else str(board["nl"].id) if v == "A" else v
             for k, v in params.items()}
    body = assert_problem(_table(api, board["admin"], **given), 422, loc=["query", "region_id"])
    assert "exactly one" in body["detail"]


@pytest.mark.parametrize("sessions", ["2024-25..2022-23", "2022/23-x", "2000-01..2025-26", ","])
def test_bad_sessions_are_422(api, board, sessions: str) -> None:
    assert_problem(_table(api, board["admin"], region_id=str(board["region"].id),
                          sessions=sessions), 422)


def test_outside_reach_is_404_and_headteachers_get_403(api, board, make: Factory) -> None:
    other = make.headers(make.user("regional_lead", region=make.region("tayside")))
    assert_problem(_table(api, other, region_id=str(board["region"].id)), 404)
    officer = make.headers(make.user("officer", authority=board["nl"]))
    assert _table(api, officer, authority_id=str(board["nl"].id)).status_code == 200
    assert_problem(_table(api, officer, authority_id=str(make.authority(GC).id)), 404)
    assert_problem(_table(api, officer, region_id=str(board["region"].id)), 404)
    assert_problem(_table(api, board["admin"], region_id=str(uuid.uuid4())), 404)
    head = make.headers(make.user("headteacher", establishments=[make.establishment(board["nl"])]))
    assert_problem(_table(api, head, "text/csv", region_id=str(board["region"].id)), 403)
    client = make.headers(make.client(["summaries:read"], region=board["region"]))
    assert _table(api, client, XLSX, region_id=str(board["region"].id)).status_code == 200
