"""The school roll import keeps a school's details (issue #16, point 1): imported from the real
Glasgow rows of the Scottish Government's school roll and locations table, a school keeps the
address, contact details and location officers need to visit it, and the report no longer
calls those columns ignored. Blank cells, and what the register writes for "none", leave a
detail as it is; the same file again changes nothing."""

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.factories import Factory
from tests.integration.import_support import csv_rows, establishments, send

ORIGINAL = Path("/work/shared/data/schools-scotland/SG_SchoolRoll_2022.csv")
URL = "/api/v1/establishments"
# The columns of the table the school's record has no place for: pupil statistics, the data
# zone's own deprivation and urban/rural class (not the school address's), grid references
# (the coordinates say it again) and the compilers' notes.
STILL_IGNORED = {"FTE_Teachers", "PropPupilsMinorityEthnic", "DZSIMDPercentile",
                 "DZSIMDMostDep15Pct", "DZSIMDMostDep16_25Pct", "DZSIMDMostDep25Pct", "DZUR8",
                 "DZUR6", "DZUR8Desc", "DZUR6Desc", "GridRefEasting", "GridRefNorthing", "Notes"}
DETAILS = ("denomination", "address_lines", "postcode", "phone", "email", "website", "uprn",
           "data_zone", "urban_rural_6fold", "urban_rural_8fold", "latitude", "longitude")


@pytest.fixture(scope="module")
def glasgow() -> bytes:
    """The header and the Glasgow City rows of the 2022 table, bytes as published."""
    if not ORIGINAL.exists():
        pytest.skip("the shared data is not on this machine")
    header, *lines = ORIGINAL.read_bytes().split(b"\r\n")
    kept = [line for line in lines if line and next(csv.reader([line.decode()]))[9] == "Glasgow City"]
    assert len(kept) == 197
    return b"\r\n".join([header, *kept, b""])


@pytest.fixture
def admin(make: Factory) -> dict[str, str]:
    return make.headers(make.admin())


def _school(api: Any, admin: dict[str, str], code: str) -> dict[str, Any]:
    found = api.get(URL, params={"q": code}, headers=admin).json()["items"]
    assert len(found) == 1, found
    return {k: found[0][k] for k in ("name", "sector", *DETAILS)}


def test_the_glasgow_rows_keep_what_officers_need_to_visit(api, admin, db: Session, glasgow):
    report = send(api, admin, glasgow).json()
    assert (report["failed"], report["errors"]) == (0, []), report["errors"]
    # 197 rows: two schools of two rows each (Glasgow Gaelic School's campus, and Jordanhill,
    # grant aided like East Park: both left out).
    assert {k: report[k] for k in ("rows", "merged", "skipped", "created")} == {
        "rows": 197, "merged": 2, "skipped": 2, "created": 193}
    ignored = {w["column"] for w in report["warnings"] if w["column"]}
    assert ignored == STILL_IGNORED
    # A Roman Catholic primary (an apostrophe in its name; AddressLine2 `0`).
    assert _school(api, admin, "8419922") == {
        "name": "St Albert's Primary School", "sector": "primary",
        "denomination": "roman_catholic", "address_lines": ["36 Maxwell Drive", "GLASGOW"],
        "postcode": "G41 5DU", "phone": "0141 429 1983",
        "email": "headteacher@st-alberts-pri.glasgow.sch.uk",
        "website": "https://blogs.glowscotland.org.uk/gc/stalbertsg41/", "uprn": "906700190750",
        "data_zone": "S01009871", "urban_rural_6fold": 1, "urban_rural_8fold": 1,
        "latitude": 55.8460777, "longitude": -4.2840245,
    }
    # AddressLine3 `0` is no line; the table's float noise (55.857706899999997) is rounded.
    westmuir = _school(api, admin, "1000241")
    assert westmuir["address_lines"] == ["255 Rigby Street", "Glasgow"]
    assert (westmuir["latitude"], westmuir["longitude"]) == (55.8577069, -4.1922038)
    # WebsiteAddress `0`: no website; the phone as the register writes it.
    kelvinside = _school(api, admin, "1005278")
    assert (kelvinside["website"], kelvinside["phone"]) == (None, "(0141) 946 1391")
    # A campus (rows 8432627P and 8432627S): one school, one address.
    gaelic = _school(api, admin, "8432627")
    assert (gaelic["sector"], gaelic["address_lines"], gaelic["postcode"]) == (
        "all_through", ["147 Berkeley Street", "GLASGOW"], "G3 7HP")

    saved = establishments(db).values()
    for field in ("postcode", "uprn", "data_zone", "denomination", "urban_rural_6fold",
                  "urban_rural_8fold", "latitude", "longitude", "address_lines", "email", "phone"):
        assert all(getattr(school, field) is not None for school in saved), field
    assert sorted({s.denomination for s in saved}) == [
        "inter_denominational", "non_denominational", "roman_catholic"]


def test_the_same_file_again_changes_nothing(api, admin, db: Session, glasgow):
    first = send(api, admin, glasgow).json()
    again = send(api, admin, glasgow).json()
    assert (again["unchanged"], again["updated"], again["created"], again["failed"]) == (
        first["created"], 0, 0, 0)
    assert {s.version for s in establishments(db).values()} == {1}


HEADER = ("code,name,sector,authority_code,address_line1,address_line2,address_line3,postcode,"
          "phone,email,website,uprn,data_zone,denomination,urban_rural_6fold,urban_rural_8fold,"
          "latitude,longitude")


def test_blank_cells_and_the_registers_nones_leave_details_as_they_are(api, admin, db: Session):
    full = ("8000001,Import Primary,primary,S12000050,1 Main Street,,Airdrie,ml6 0aa,"
            "01236 000000,office@import.example.org,www.import.example.org,118000001,S01011300,"
            "Non-denominational,Other Urban Areas,2,55.8634,-3.9803")
    assert send(api, admin, csv_rows(full, header=HEADER)).json()["created"] == 1
    school = establishments(db)["8000001"]
    assert (school.address_lines, school.postcode, school.website, school.urban_rural_6fold) == (
        ["1 Main Street", "Airdrie"], "ML6 0AA", "https://www.import.example.org", 2)
    blanks = "8000001,Import Primary,primary,S12000050,,,0,,TBC,not available yet,0,,,,,,,"
    report = send(api, admin, csv_rows(blanks, header=HEADER)).json()
    assert (report["unchanged"], report["failed"]) == (1, 0), report
    kept = establishments(db)["8000001"]
    assert {k: getattr(kept, k) for k in DETAILS} == {k: getattr(school, k) for k in DETAILS}
    moved = full.replace("01236 000000", "01236 000001").replace("1 Main Street,,", "2 Main Street,,")
    assert send(api, admin, csv_rows(moved, header=HEADER)).json()["updated"] == 1
    assert (establishments(db)["8000001"].phone, establishments(db)["8000001"].address_lines) == (
        "01236 000001", ["2 Main Street", "Airdrie"])


def test_the_statistics_tables_texts_are_the_same_values(api, admin, db: Session):
    """The school level summary statistics write the classes and denominations their own way:
    they read as the same values as the roll table's."""
    header = ("Local Authority,SeedCode,School Name,School Type,School's 6-fold urban/rural "
              "classification,School's 8-fold urban/rural classification,Denomination of school")
    body = csv_rows("North Lanarkshire,8000011,Stats Primary,Primary,Remote rural areas,"
                    "Very remote Rural,Roman Catholic school",
                    "North Lanarkshire,8000012,Stats Academy,Secondary,Large urban areas,"
                    "Large urban areas,Other denomination school", header=header)
    report = send(api, admin, body).json()
    assert (report["created"], report["failed"], report["warnings"]) == (2, 0, [])
    saved = establishments(db)
    assert (saved["8000011"].urban_rural_6fold, saved["8000011"].urban_rural_8fold,
            saved["8000011"].denomination) == (6, 8, "roman_catholic")
    assert (saved["8000012"].urban_rural_6fold, saved["8000012"].denomination) == (1, "other")


def test_a_class_whose_code_and_description_disagree_fails_its_row(api, admin, db: Session):
    header = "SeedCode,SchoolName,SchoolType,LACode,AddrUR6,AddrUR6Desc,Denomination"
    body = csv_rows("8000021,Odd Primary,Primary,S12000050,2,Large Urban Areas,Non-denominational",
                    "8000022,Even Primary,Primary,S12000050,1,Large Urban Areas,Presbyterian",
                    header=header)
    report = send(api, admin, body, partial=True).json()
    assert report["failed"] == 2 and report["created"] == 0
    columns = {e["column"]: e["reason"] for e in report["errors"]}
    assert set(columns) == {"AddrUR6Desc", "Denomination"}
    assert "2 (Other Urban Areas)" in columns["AddrUR6Desc"]
    assert "roman_catholic" in columns["Denomination"]
