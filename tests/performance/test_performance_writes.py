"""Who writes performance data, and how it is kept: admins anything; an authority's admins and
clients with imports:write bound to it its own schools' figures, row by row (the others fail,
as schools they cannot see); Scotland's comparator is the administrators'. Other users may not
send these files at all. A dry run writes nothing; each figure written is audited; hostile
cells are row errors, never a 500."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.organisations.models import Establishment
from app.performance.models import AcelFigure, Inspection, SchoolStatistics
from tests.factories import Factory
from tests.integration.import_support import count, send

API = "/api/v1"
GLASGOW, EDINBURGH = "S12000049", "S12000036"
KINDS = ("acel", "school-statistics", "inspections")
PER_SCHOOL = "SeedCode,year,stage,organiser,cohort,percent\n"
FOI = "SEED,LA Name,School Name,Inspection Date,Publication Date,QI 1.3,QI 2.3,Note\n"


def _schools(make: Factory) -> tuple[Establishment, Establishment]:
    """Glasgow's 8000201 and Edinburgh's 8000202."""
    return (make.establishment(make.authority(GLASGOW), code="8000201"),
            make.establishment(make.authority(EDINBURGH), code="8000202"))


def _acel(*codes: str) -> bytes:
    return (PER_SCHOOL + "".join(f"{c},2024/25,P1,Reading,30,80\n{c},2024/25,P1,Numeracy,30,75.5\n"
                                 for c in codes)).encode()


def _glasgow_admin(make: Factory) -> dict[str, str]:
    return make.headers(make.user("officer", authority=make.authority(GLASGOW),
                                  authority_admin=True))


def test_an_authority_admin_imports_its_own_schools_acel(api, make: Factory, db: Session):
    ours, theirs = _schools(make)
    admin = _glasgow_admin(make)
    body = _acel(ours.code, theirs.code)
    assert send(api, admin, body, kind="acel").status_code == 422  # all or nothing
    assert count(db, AcelFigure) == 0
    answer = send(api, admin, body, kind="acel", partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["created"], report["failed"]) == (2, 2)
    assert {e["column"] for e in report["errors"]} == {"SeedCode"}
    assert all(e["reason"] == "no establishment with SEED code 8000202 that you can see"
               for e in report["errors"])
    table = api.get(f"{API}/establishments/{ours.id}/acel", headers=admin).json()
    assert [(f["organiser"], f["percent"], f["cohort"]) for f in table["figures"]] == [
        ("reading", 80.0, 30), ("numeracy", 75.5, 30)]
    assert table["sessions"] == ["2024-25"]


@pytest.mark.parametrize("kind", KINDS)
def test_officers_headteachers_and_leads_may_not_send_these_files(api, make: Factory,
                                                                  db: Session, kind: str):
    ours, _ = _schools(make)
    glasgow = make.authority(GLASGOW)
    for who in (make.user("officer", authority=glasgow),
                make.user("headteacher", establishments=[ours]),
                make.user("regional_lead"),
                make.client(["establishments:write"], authority=glasgow)):  # no imports:write
        answer = send(api, make.headers(who), _acel(ours.code), kind=kind)
        assert answer.status_code == 403, (who, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert count(db, AcelFigure) == 0


def test_a_client_with_imports_write_imports_its_authority_s_schools(api, make: Factory,
                                                                     db: Session):
    ours, theirs = _schools(make)
    client = make.headers(make.client(["imports:write"], authority=make.authority(GLASGOW)))
    statistics = f"SeedCode,session,Pupil roll\n{ours.code},2025-26,230\n{theirs.code},2025-26,9\n"
    foi = FOI + f"{ours.code},,,2024-03-12,,4,5,\n{theirs.code},,,2024-03-13,,3,3,\n"
    for kind, body in (("school-statistics", statistics), ("inspections", foi)):
        answer = send(api, client, body.encode(), kind=kind, partial=True)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert (report["created"], report["failed"]) == (1, 1), report
        assert report["errors"][0]["reason"].startswith(
            f"no establishment with SEED code {theirs.code}")
    db.expire_all()
    assert [s.establishment_id for s in db.scalars(select(SchoolStatistics))] == [ours.id]
    assert [i.establishment_id for i in db.scalars(select(Inspection))] == [ours.id]


def test_scotland_s_figures_are_the_administrators(api, make: Factory, db: Session):
    national = ("year,lacode,LA,cohort,stage,organiser,percent\n"
                "2024/25,7000,Scotland,52000,P1,Reading,78.1\n"
                "2024/25,260,Glasgow City,5900,P1,Reading,74.2\n")
    answer = send(api, _glasgow_admin(make), national.encode(), kind="acel", partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["created"] == 1
    ((error),) = report["errors"]
    assert error["column"] == "lacode" and "administrators'" in error["reason"]
    admin = make.headers(make.admin())
    assert send(api, admin, national.encode(), kind="acel").json()["created"] == 1
    glasgow = make.authority(GLASGOW)
    (figure,) = api.get(f"{API}/authorities/{glasgow.id}/acel", headers=admin).json()["figures"]
    assert (figure["percent"], figure["national_percent"]) == (74.2, 78.1)


def test_a_dry_run_reports_and_writes_nothing(api, make: Factory, db: Session):
    ours, _ = _schools(make)
    admin = make.headers(make.admin())
    bodies = {"acel": _acel(ours.code),
              "school-statistics": f"SeedCode,session,Pupil roll\n{ours.code},2025-26,230\n".encode(),
              "inspections": (FOI + f"{ours.code},,,2024-03-12,,4,5,\n").encode()}
    for kind, body in bodies.items():
        report = send(api, admin, body, kind=kind, dry_run=True).json()
        assert (report["dry_run"], report["applied"], report["failed"]) == (True, False, 0)
        assert report["created"] >= 1
    for model in (AcelFigure, SchoolStatistics, Inspection, AuditEvent):
        assert count(db, model) == 0, model


def _audit(api: Any, headers: dict[str, str], action: str) -> list[dict[str, Any]]:
    answer = api.get(f"{API}/audit-events", headers=headers, params={"action": action,
                                                                      "limit": 100})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_every_figure_written_is_audited(api, make: Factory, db: Session):
    ours, _ = _schools(make)
    glasgow = make.authority(GLASGOW)
    officer = make.user("officer", authority=glasgow, authority_admin=True)
    admin = make.headers(officer)
    send(api, admin, _acel(ours.code), kind="acel")
    send(api, admin, f"SeedCode,session,Pupil roll\n{ours.code},2025-26,230\n".encode(),
         kind="school-statistics")
    send(api, admin, (FOI + f"{ours.code},,,2024-03-12,,4,5,\n").encode(), kind="inspections")
    figures = _audit(api, admin, "acel_figure.create")
    assert len(figures) == 2 and {e["actor_id"] for e in figures} == {str(officer.id)}
    assert all(e["authority_id"] == str(glasgow.id) and e["before"] is None for e in figures)
    assert sorted(e["after"]["percent"] for e in figures) == ["75.50000", "80.00000"]
    (statistics,) = _audit(api, admin, "school_statistics.create")
    assert statistics["after"]["roll"] == 230
    (inspection,) = _audit(api, admin, "inspection.create")
    assert inspection["after"]["grades"] == {"1.3": 4, "2.3": 5}
    assert inspection["authority_id"] == str(glasgow.id)

    send(api, admin, _acel(ours.code), kind="acel")  # unchanged: nothing more to audit
    assert _audit(api, admin, "acel_figure.update") == []
    changed = _acel(ours.code).replace(b",80\n", b",81\n")
    assert send(api, admin, changed, kind="acel").json()["updated"] == 1
    (update,) = _audit(api, admin, "acel_figure.update")
    assert update["before"]["percent"] != update["after"]["percent"]
    other = make.headers(make.user("officer", authority=make.authority(EDINBURGH),
                                   authority_admin=True))
    assert _audit(api, other, "acel_figure.create") == []  # Glasgow's log, not Edinburgh's


LONG = "x" * 10_000
# Per kind: a header, and rows each of which must fail (on its own line, naming its column).
HOSTILE = {
    "acel": ("SeedCode,year,stage,organiser,cohort,percent", [
        "{c},2024/25,P1,Reading,30,150", "{c},2024/25,P1,Writing,-3,70",
        "{c},2024/25,P9,Reading,30,70", "{c},2024/25,P1,Dancing,30,70",
        "{c},2024/26,P1,Reading,30,70", "{c},2024/25,P1,Numeracy,30,NaN",
        "{c},2024/25,P1,Literacy,99999999999999,70", "{c},2024/25,P4,Reading,30,1e400"]),
    "inspections": (FOI.strip(), [
        "{c},,,2020-03-01,,7,4,", "{c},,,31/02/2020,,4,4,", "{c},,,2021-03-01,,-1,4,",
        "{c},,,2022-03-01,,4,4,{long}", "{c},,,99999,,4,4,", "{c},,,2023-03-01,2023-13-45,4,4,",
        "{c},,,31/02/2021,,0,0,", "{c},,,2019-02-30,,,,"]),  # ungraded, yet no date: not skipped
    "school-statistics": ("SeedCode,session,Pupil roll,Pupil Teacher Ratio,Denomination", [
        "{c},2025-26,-5,,", "{c},2024-25,99999999999999,,", "{c},2023-24,200,99999,",
        "{c},2022-23,200,12,{long}", "{c},2021-22,two hundred,,"]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_cells_are_row_errors_never_a_500(api, make: Factory, db: Session, kind: str):
    ours, _ = _schools(make)
    admin = make.headers(make.admin())
    header, rows = HOSTILE[kind]
    body = "\n".join([header, *(row.format(c=ours.code, long=LONG) for row in rows)])
    answer = send(api, admin, body.encode(), kind=kind, partial=True)
    assert answer.status_code == 422, answer.text  # no row could be imported
    report = answer.json()
    assert report["failed"] == report["rows"] == len(rows)
    assert all(e["column"] for e in report["errors"]), report["errors"]
    assert sorted(e["line"] for e in report["errors"]) == list(range(2, len(rows) + 2))
    # A 10,000-character school name is no figure: read, not kept, and the row imported.
    fine = {"acel": f"SeedCode,School Name,year,stage,organiser,percent\n"
                    f"{ours.code},{LONG},2024/25,P7,Reading,70\n",
            "inspections": FOI + f"{ours.code},,{LONG},2024-03-12,,4,5,\n",
            "school-statistics": f"SeedCode,School Name,session,Pupil roll\n"
                                 f"{ours.code},{LONG},2025-26,230\n"}[kind]
    kept = send(api, admin, fine.encode(), kind=kind)
    assert kept.status_code == 200 and kept.json()["created"] == 1, kept.text
