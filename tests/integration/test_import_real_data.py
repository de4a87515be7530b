"""The public files councils hold import cleanly: samples of the Scottish Government school roll
tables (2022, and the 2023 reshaping with its 32-fields-under-30-names defect) and of the
Ofsted extract for two English authorities. Headers are byte-identical to the originals."""

from pathlib import Path

import pytest
from sqlmodel import Session

from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import DATA, english_authority, establishments, send

SG_2022 = DATA / "SG_SchoolRoll_2022_sample.csv"
SG_2023 = DATA / "uk_scotland_schools_2023_sample.csv"
PILOT = DATA / "pilot_schools_sample.csv"
ORIGINALS = Path("/work/shared/data")


@pytest.fixture
def admin(make: Factory) -> dict[str, str]:
    return make.headers(make.admin())


@pytest.mark.parametrize(("sample", "original"), [
    (SG_2022, "schools-scotland/SG_SchoolRoll_2022.csv"),
    (SG_2023, "schools-scotland/uk_scotland_schools_2023.csv"),
    (PILOT, "schools-england/pilot_schools.csv"),
])
def test_the_samples_keep_the_original_headers(sample: Path, original: str):
    if not (ORIGINALS / original).exists():
        pytest.skip("the shared data is not on this machine")
    first = (ORIGINALS / original).read_bytes().split(b"\n", 1)[0]
    assert sample.read_bytes().split(b"\n", 1)[0] == first


def test_the_2022_school_roll_imports_cleanly(api, admin, db: Session):
    answer = send(api, admin, SG_2022.read_bytes())
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows"] == 150 and report["failed"] == 0 and report["errors"] == []
    # 5 campus schools have two department rows each; 2 grant-aided schools are left out.
    assert (report["merged"], report["skipped"], report["created"]) == (5, 2, 143)
    skipped = [w for w in report["warnings"] if w["column"] is None]
    assert len(skipped) == 2 and all("Grant aided centre" in w["reason"] for w in skipped)
    ignored = {w["column"] for w in report["warnings"] if w["column"]}
    assert {"DZSIMDPercentile", "FTE_Teachers"} <= ignored  # contact details are kept now
    assert not ignored & {"Email", "PhoneNumber", "Latitude", "PostCode", "UPRN", "DataZone"}
    assert not ignored & {"SeedCode", "SchoolName", "SchoolType", "LACode", "Pupil_Roll", "SchUID"}

    saved = establishments(db)
    campus = saved["1004620"]  # North West Community Campus: rows 1004620P and 1004620S
    assert (campus.sector, campus.roll) == ("all_through", 325)  # the roll is repeated, not added
    assert "5570948" not in saved  # Donaldson's School, grant aided
    assert any("'" in e.name for e in saved.values())  # St Bernadette's and friends
    firpark = saved["1000047"]  # special school; 45 - <50% of pupils in SIMD quintile 1
    assert firpark.sector == "special" and float(firpark.simd_q1_percent) == 47.5

    again = send(api, admin, SG_2022.read_bytes()).json()
    assert (again["unchanged"], again["created"], again["updated"], again["failed"]) == (143, 0, 0, 0)
    assert {e.code: e.version for e in establishments(db).values()} == {c: 1 for c in saved}


def test_the_2023_table_with_its_extra_fields_imports_cleanly(api, admin, db: Session):
    answer = send(api, admin, SG_2023.read_bytes())
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows"] == 60 and report["failed"] == 0
    assert (report["merged"], report["skipped"], report["created"]) == (4, 2, 54)
    extra = [w for w in report["warnings"] if "more fields than the header" in w["reason"]]
    assert len(extra) == 1 and extra[0]["line"] == 2
    saved = establishments(db)
    # 2023 gives each department its own roll: Aith Junior High has 102 primary + 116 secondary.
    assert (saved["6103030"].sector, saved["6103030"].roll) == ("all_through", 218)
    # Berwickshire High School: a secondary with a special unit stays a secondary.
    assert (saved["5647339"].sector, saved["5647339"].roll) == ("secondary", 574)
    assert send(api, admin, SG_2023.read_bytes()).json()["unchanged"] == 54


def test_a_refresh_from_the_next_years_table_updates_what_changed(api, admin, db: Session):
    """The 2023 table, then the same schools with rolls a year on: only the changed move."""
    send(api, admin, SG_2023.read_bytes())
    lines = SG_2023.read_bytes().split(b"\r\n")
    # Abbey Primary School's roll, 232 in the 2023 table, becomes 240.
    refreshed = [line.replace(b",15.4,232,", b",15.4,240,") for line in lines]
    assert refreshed != lines
    report = send(api, admin, b"\r\n".join(refreshed)).json()
    assert (report["updated"], report["unchanged"]) == (1, 53)
    assert (establishments(db)["8212627"].roll, establishments(db)["8212627"].version) == (240, 2)


def test_the_english_pilot_imports_once_its_authorities_exist(api, admin, db: Session):
    bristol = english_authority(db, "E06000023", "Bristol, City of")
    english_authority(db, "E06000022", "Bath and North East Somerset")
    answer = send(api, admin, PILOT.read_bytes())
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["created"], report["failed"]) == (39, 39, 0)
    saved = establishments(db)
    assert all(len(code) == 6 for code in saved)  # URNs
    assert saved["108893"].sector == "elc" and saved["108893"].authority_id == bristol.id  # nursery
    assert saved["133689"].sector == "special"  # a pupil referral unit
    assert saved["109146"].name == "St Johns Church of England Primary School, Clifton"
    listed = api.get("/api/v1/establishments", params={"q": "108893"}, headers=admin).json()
    assert listed["items"][0]["code_scheme"] == "urn"


def test_an_english_row_whose_authority_is_unknown_fails_clearly(api, admin, db: Session):
    english_authority(db, "E06000023", "Bristol")
    report = send(api, admin, PILOT.read_bytes(), partial=True).json()
    assert report["failed"] == 14 and report["created"] == 25
    assert {e["column"] for e in report["errors"]} == {"la"}
    assert report["errors"][0]["reason"].startswith(
        "no authority named 'Bath and North East Somerset': an establishment needs an existing "
        "authority")
