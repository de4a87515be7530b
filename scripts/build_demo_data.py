"""Build app/reference/west_partnership_establishments.csv from the public school roll.

Source: ../shared/data/schools-scotland/SG_SchoolRoll_2022.csv (Scottish Government, OGL v3).
Campus schools have one row per department: they become one `all_through` establishment.
Clusters are made the way councils draw them: each secondary with the primaries nearest to it
in the same authority. `simd_q1_percent` is the midpoint of the published band of pupils in
the 20% most deprived data zones; suppressed bands (`*`) stay empty.

Run: python scripts/build_demo_data.py [path-to-SG_SchoolRoll_2022.csv]
"""

import csv
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared/data/schools-scotland/SG_SchoolRoll_2022.csv"
TARGET = ROOT / "app/reference/west_partnership_establishments.csv"
SECTORS = {"Primary": "primary", "Secondary": "secondary", "Special": "special"}


def band_midpoint(band: str) -> str:
    if band in ("", "*"):
        return ""
    if band == "0":
        return "0"
    low, _, high = band.replace("%", "").replace("<", "").partition(" - ")
    return f"{(float(low) + float(high)) / 2:.2f}"


def main(source: Path) -> None:
    scotland = json.loads((ROOT / "app/reference/scotland.json").read_text())
    west = {a["code"] for a in scotland["authorities"] if a["region"] == "west-partnership"}
    schools: dict[str, dict[str, str]] = {}
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["LACode"] not in west or row["CentreType"] != "Local Authority":
                continue
            sector = SECTORS[row["SchoolType"]]
            seen = schools.get(row["SeedCode"])
            if seen is not None:  # a campus: one establishment across departments
                if seen["sector"] != sector and "special" not in (seen["sector"], sector):
                    seen["sector"] = "all_through"
                seen["roll"] = str(max(int(seen["roll"]), int(row["Pupil_Roll"] or 0)))
                continue
            schools[row["SeedCode"]] = {
                "code": row["SeedCode"], "name": row["SchoolName"].strip(), "sector": sector,
                "authority_code": row["LACode"], "town": row["AddressLine2"].strip(),
                "roll": str(int(row["Pupil_Roll"] or 0)),
                "simd_q1_percent": band_midpoint(row["PropPupils20PCMostDeprived"].strip()),
                "gaelic_medium": str(any(w in row["SchoolName"] for w in ("Gàidhlig", "Gaelic"))).lower(),
                "lat": row["Latitude"], "lon": row["Longitude"],
            }
    secondaries = [s for s in schools.values() if s["sector"] in ("secondary", "all_through")]
    for school in schools.values():
        if school["sector"] in ("secondary", "all_through"):
            school["cluster"] = f"{school['name']} cluster"
            school["area"] = school["town"]
        elif school["sector"] == "primary":
            nearest = min(
                (s for s in secondaries if s["authority_code"] == school["authority_code"]),
                key=lambda s: math.dist((float(s["lat"]), float(s["lon"])),
                                        (float(school["lat"]), float(school["lon"]))),
            )
            school["cluster"] = f"{nearest['name']} cluster"
            school["area"] = nearest["town"]
        else:
            school["cluster"], school["area"] = "", school["town"]
    columns = ["code", "name", "sector", "authority_code", "cluster", "area", "roll",
               "simd_q1_percent", "gaelic_medium"]
    with TARGET.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(schools.values(), key=lambda s: (s["authority_code"], s["code"])))
    print(f"{len(schools)} establishments written to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
