"""POST /imports/critical-indicator-values: a region's or an authority's figures, one row per
indicator and session, written as PUT .../values/{session} writes them."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.insight.models import CriticalIndicatorValue
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import JSON_LINES, count, send

KIND = "critical-indicator-values"
INDICATORS = "/api/v1/critical-indicators"
HEADER = "indicator,owner,session,baseline,value,target,note"
NL = "S12000050"


@dataclass
class Keepers:
    lead: dict[str, str]  # the West Partnership's lead
    nl_admin: dict[str, str]  # North Lanarkshire's authority admin
    exclusions: dict[str, Any]  # region-owned, manual
    attainment: dict[str, Any]  # North Lanarkshire's, manual
    reach: dict[str, Any]  # region-owned, computed (CLPL participants)


def _define(api: Any, headers: dict[str, str], name: str, **fields: Any) -> dict[str, Any]:
    answer = api.post(INDICATORS, headers=headers, json={
        "name": name, "unit": "%", "direction": "higher", **fields})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


@pytest.fixture
def keepers(api, make: Factory) -> Keepers:
    lead = make.headers(make.user("regional_lead", region=make.region()))
    nl_admin = make.headers(make.user("officer", authority=make.authority(NL), authority_admin=True))
    region = {"region_id": str(make.region().id)}
    return Keepers(
        lead=lead, nl_admin=nl_admin,
        exclusions=_define(api, lead, "Exclusion rate", direction="lower", **region),
        attainment=_define(api, nl_admin, "Attainment in literacy",
                           authority_id=str(make.authority(NL).id)),
        reach=_define(api, lead, "CLPL reach", unit="people", source="clpl_participants", **region))


def _file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _values(db: Session) -> dict[tuple[str, str], CriticalIndicatorValue]:
    db.expire_all()
    return {(str(v.indicator_id), v.session): v for v in db.scalars(select(CriticalIndicatorValue))}


def _import(api: Any, headers: dict[str, str], body: bytes, **params: Any) -> dict[str, Any]:
    answer = send(api, headers, body, kind=KIND, **params)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def test_a_table_creates_and_updates_values_and_a_reimport_changes_nothing(
        api, db: Session, keepers: Keepers):
    exclusions = keepers.exclusions["id"]
    body = _file("Exclusion rate,,2016-17,9.9,9.9,6.5,",
                 "exclusion RATE,,2017/18,,8.1,,",
                 "Exclusion rate,,2018-2019,9.9,TBC,6.5,figures due in June")
    report = _import(api, keepers.lead, body)
    assert (report["created"], report["updated"], report["unchanged"], report["failed"]) == (3, 0, 0, 0)
    values = _values(db)
    assert (values[(exclusions, "2016-17")].baseline, values[(exclusions, "2016-17")].value) == (9.9, 9.9)
    assert values[(exclusions, "2017-18")].value == 8.1
    assert values[(exclusions, "2018-19")].value is None
    assert values[(exclusions, "2018-19")].note == "figures due in June"
    versions, audited = {k: v.version for k, v in values.items()}, count(db, AuditEvent)

    again = _import(api, keepers.lead, body)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert {k: v.version for k, v in _values(db).items()} == versions
    assert count(db, AuditEvent) == audited

    # A new figure updates its row only; a blank cell leaves a figure as it is.
    report = _import(api, keepers.lead, _file("Exclusion rate,,2018-19,,7.4,,", header=HEADER))
    assert report["updated"] == 1
    read = api.get(f"{INDICATORS}/{exclusions}/values/2018-19", headers=keepers.lead).json()
    assert (read["baseline"], read["value"], read["target"], read["version"]) == (9.9, 7.4, 6.5, 2)


def test_a_computed_value_fails_its_row_but_its_baseline_and_target_are_imported(
        api, db: Session, keepers: Keepers):
    body = _file("CLPL reach,,2024-25,100,,250,", "CLPL reach,,2025-26,,180,300,")
    problem = assert_problem(send(api, keepers.lead, body, kind=KIND), 422)
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(3, "value")]
    assert "computed from the data (clpl_participants)" in problem["errors"][0]["reason"]
    assert count(db, CriticalIndicatorValue) == 0
    report = _import(api, keepers.lead, body, partial=True)
    assert (report["created"], report["failed"]) == (1, 1)
    assert _values(db)[(keepers.reach["id"], "2024-25")].target == 250


def test_a_bad_row_in_the_middle_writes_nothing_and_partial_writes_the_rest(
        api, db: Session, keepers: Keepers):
    body = _file("Exclusion rate,,2016-17,9.9,,6.5,", "Exclusion rate,,2017-18,lots,,,",
                 "Exclusion rate,,2019-18,,,,", "Exclusion rate,,2018-19,,8.0,,")
    problem = assert_problem(send(api, keepers.lead, body, kind=KIND), 422)
    assert (problem["failed"], problem["applied"]) == (2, False)
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(3, "baseline"), (4, "session")]
    assert count(db, CriticalIndicatorValue) == 0
    report = _import(api, keepers.lead, body, partial=True)
    assert (report["created"], report["failed"]) == (2, 2)
    assert {s for _, s in _values(db)} == {"2016-17", "2018-19"}


def test_one_indicator_and_session_twice_is_a_duplicate(api, db: Session, keepers: Keepers):
    body = _file("Exclusion rate,,2016-17,9.9,,,", "Exclusion rate,,2017-18,,8.1,,",
                 "Exclusion Rate,,2016/17,9.8,,,")
    problem = assert_problem(send(api, keepers.lead, body, kind=KIND), 422)
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(4, "session")]
    assert "already on line 2" in problem["errors"][0]["reason"]
    assert count(db, CriticalIndicatorValue) == 0


def test_unknown_unseen_and_ambiguous_indicators_fail_their_rows(api, make: Factory, db: Session,
                                                                 keepers: Keepers):
    other_lead = make.headers(make.user("regional_lead", region=make.region("tayside")))
    theirs = _define(api, other_lead, "Tayside's own", region_id=str(make.region("tayside").id))
    # North Lanarkshire names one of its indicators as the region did: a name found twice.
    _define(api, keepers.nl_admin, "Exclusion rate", authority_id=str(make.authority(NL).id))
    header = "indicator_id,indicator,owner,session,value"
    body = _file(f"{theirs['id']},,,2024-25,1", f"{make.id()},,,2024-25,1",
                 ",No such indicator,,2024-25,1", ",Exclusion rate,,2024-25,1",
                 ",Exclusion rate,nowhere,2024-25,1", ",Exclusion rate,west-partnership,2024-25,5",
                 ",Exclusion rate,S12000050,2024-25,6", header=header)
    report = _import(api, keepers.lead, body, partial=True)
    # The lead sees North Lanarkshire's indicator (an authority of the region) but does not
    # keep it: its admins do.
    assert report["created"] == 1
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (2, "indicator_id"), (3, "indicator_id"), (4, "indicator"), (5, "indicator"), (6, "owner"),
        (8, "indicator")]
    assert "that you can see" in report["errors"][0]["reason"]
    assert "2 indicators are named" in report["errors"][3]["reason"]
    assert "not allowed to set the figures" in report["errors"][5]["reason"]
    assert [v.value for v in _values(db).values()] == [5]


def test_who_may_import_values(api, make: Factory, db: Session, keepers: Keepers):
    body = _file("Attainment in literacy,,2024-25,60,62,75,")
    head = make.headers(make.user("headteacher"))
    officer = make.headers(make.user("officer", authority=make.authority(NL)))
    client = make.headers(make.client(["imports:write", "summaries:read"]))
    for outsider in (head, officer, client):
        assert_problem(send(api, outsider, body, kind=KIND), 403)
    # Another authority's admin sees no North Lanarkshire indicator; its own admin keeps it.
    glasgow = make.headers(make.user("officer", authority=make.authority("S12000049"),
                                     authority_admin=True))
    problem = assert_problem(send(api, glasgow, body, kind=KIND), 422)
    assert problem["errors"][0]["column"] == "indicator"
    assert count(db, CriticalIndicatorValue) == 0
    assert _import(api, keepers.nl_admin, body)["created"] == 1


def test_a_dry_run_reports_and_writes_nothing(api, db: Session, keepers: Keepers):
    audited = count(db, AuditEvent)
    report = _import(api, keepers.lead, _file("Exclusion rate,,2016-17,9.9,,6.5,"), dry_run=True)
    assert (report["created"], report["applied"]) == (1, False)
    assert count(db, CriticalIndicatorValue) == 0 and count(db, AuditEvent) == audited


def test_json_lines_and_a_semicolon_csv_with_bom(api, db: Session, keepers: Keepers):
    lines = [{"indicator_id": keepers.exclusions["id"], "session": "2016-17", "baseline": 9.9,
              "value": 9.9, "target": 6.5},
             {"indicator": "Exclusion rate", "session": "2017-18", "value": "8,1", "note": "N/A"}]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    assert _import(api, keepers.lead, body, media=JSON_LINES)["created"] == 2
    assert _values(db)[(keepers.exclusions["id"], "2017-18")].note == "N/A"

    text = ("Critical indicator;Year;Baseline;Actual;Target;Notes\r\n"
            "Exclusion rate;2016-17;9,9;9,9;6,5;\r\n"
            "Exclusion rate;2018-19;;7,2 ;6,5;\r\n")
    report = _import(api, keepers.lead, b"\xef\xbb\xbf" + text.encode())
    assert (report["created"], report["unchanged"], report["warnings"]) == (1, 1, [])
    assert _values(db)[(keepers.exclusions["id"], "2018-19")].value == 7.2
