"""The demo data's areas are spelt right: one spelling per area of an authority, no
"Blanytre", no "0"; loaded, South Lanarkshire's Blantyre holds its eight schools."""

import csv
from collections import defaultdict
from importlib import resources

from sqlmodel import Session

from app import demo
from app.cli import SYSTEM
from app.core.text import fold
from tests.factories import Factory

SLC = "S12000029"


def _rows() -> list[dict[str, str]]:
    text = resources.files("app.reference").joinpath("west_partnership_establishments.csv")
    with text.open("r", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_each_area_of_the_demo_data_has_one_spelling():
    spellings: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows():
        if row["area"]:
            spellings[row["authority_code"], fold(row["area"])].add(row["area"])
    assert {k: v for k, v in spellings.items() if len(v) > 1} == {}
    names = {name for found in spellings.values() for name in found}
    assert "Blanytre" not in names and "0" not in names
    assert {"Blantyre", "St Leonard's"} <= names


def test_the_loaded_demo_data_has_blantyre_whole(api, engine, make: Factory, monkeypatch):
    # The organisation, its people and its trios (formed from a proposal, by area); the rest
    # of the demo is other tests' (tests/test_demo.py).
    for part in ("_demo_planning", "_demo_vse", "_demo_assurance", "_demo_clpl", "_demo_insight"):
        monkeypatch.setattr(demo, part, lambda *_args: 0)
    with Session(engine, expire_on_commit=False) as session:
        counts = demo.seed_demo(session, SYSTEM)
        session.commit()
    assert counts["areas"] > 0 and counts["trios"] == 4
    slc = make.authority(SLC)
    answer = api.get(f"/api/v1/authorities/{slc.id}/areas", params={"limit": 100},
                     headers=make.headers(make.admin()))
    listed = {a["name"]: a["establishment_count"] for a in answer.json()["items"]}
    assert listed["Blantyre"] == 8 and listed["St Leonard's"] == 9
    assert not {"Blanytre", "St Leonards"} & set(listed)
