"""Critical indicators: defined by their owner's managers, read like the owner's summaries;
manual values round-trip with If-Match; computed ones are filled in from the data."""

from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from tests.core.problems import assert_problem
from tests.insight.conftest import Callers
from tests.insight.world import World

URL = "/api/v1/critical-indicators"


def _define(api: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Leadership of change good or better", "unit": "%", "direction": "higher",
            **fields}
    answer = api.post(URL, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"].endswith(answer.json()["id"])
    created: dict[str, Any] = answer.json()
    return created


def _values_url(indicator: dict[str, Any], session: str = "2024-25") -> str:
    return f"{URL}/{indicator['id']}/values/{session}"


def test_manual_values_round_trip_with_if_match(api, db: Session, world: World,
                                                callers: Callers) -> None:
    indicator = _define(api, callers.lead, region_id=str(world.region.id),
                        name="Primary exclusion rate", unit="per 1,000 pupils", direction="lower",
                        baseline_session="2016-17", target_session="2020-21")
    assert indicator["computed"] is False and indicator["source"] == "manual"
    url = _values_url(indicator, "2017-18")
    first = api.put(url, json={"baseline": 9.9, "target": 6.5, "note": "N/A"}, headers=callers.lead)
    assert first.status_code == 201, first.text
    assert first.json() | {"updated_at": None} == {
        "indicator_id": indicator["id"], "session": "2017-18", "baseline": 9.9, "value": None,
        "value_source": "manual", "target": 6.5, "note": "N/A", "version": 1, "updated_at": None,
        "authorities_counted": None, "authorities_left_out": None}  # those are ACEL's
    etag = first.headers["ETag"]

    figures = {"baseline": 9.9, "value": 8.1, "target": 6.5, "note": ""}
    assert_problem(api.put(url, json=figures, headers=callers.lead), 428)
    assert_problem(api.put(url, json=figures, headers={**callers.lead, "If-Match": '"7"'}), 412)
    replaced = api.put(url, json=figures, headers={**callers.lead, "If-Match": etag})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["value"] == 8.1 and replaced.headers["ETag"] == '"2"'
    again = api.put(url, json=figures, headers={**callers.lead, "If-Match": '"2"'})
    assert again.status_code == 200 and again.json()["version"] == 2  # nothing changed

    read = api.get(url, headers=callers.lead)
    assert read.json() == replaced.json() and read.headers["ETag"] == '"2"'
    assert api.get(url, headers={**callers.lead, "If-None-Match": '"2"'}).status_code == 304
    listed = api.get(f"{URL}/{indicator['id']}/values", headers=callers.region_client).json()
    assert [v["session"] for v in listed["items"]] == ["2017-18"]
    assert listed["items"][0]["value"] == 8.1

    actions = list(db.exec(select(AuditEvent.action).where(
        col(AuditEvent.resource_id).in_([indicator["id"], first.json()["indicator_id"]]))))
    assert actions == ["critical_indicator.create"]
    value_actions = sorted(db.exec(select(AuditEvent.action).where(
        col(AuditEvent.resource_type) == "critical_indicator_value")))
    assert value_actions == ["critical_indicator_value.create", "critical_indicator_value.update"]


@pytest.mark.parametrize("source,expected", [
    ("qi_good_or_better:1.3", 66.7),             # self-evaluated 4 5 3 across the region
    ("qi_good_or_better_validated:1.3", 66.7),   # validated, latest per school: 4 4 3
    ("qi_good_or_better:2.3", 66.7),
    ("clpl_participants", 6.0),
    ("clpl_mean_change:knowledge", 1.4),
    ("clpl_mean_change:understanding", 1.0),
])
def test_computed_region_values_come_from_the_data(api, world: World, callers: Callers,
                                                   source: str, expected: float) -> None:
    indicator = _define(api, callers.lead, region_id=str(world.region.id), source=source)
    assert indicator["computed"] is True
    answer = api.put(_values_url(indicator), json={"baseline": 59, "target": 75},
                     headers=callers.lead)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["value"], answer.json()["value_source"]) == (expected, "computed")
    assert api.get(_values_url(indicator), headers=callers.region_client).json()["value"] == expected


def test_computed_authority_values_cover_the_authority_only(api, world: World, callers: Callers) -> None:
    for source, expected in (("clpl_mean_change:confidence", 1.33), ("qi_good_or_better:1.3", 100.0),
                             ("clpl_participants", 4.0)):
        indicator = _define(api, callers.nl_admin, authority_id=str(world.nl.id), source=source,
                            name=source)
        api.put(_values_url(indicator), json={}, headers=callers.nl_admin)
        api.put(_values_url(indicator, "2023-24"), json={"note": "before the data"},
                headers=callers.nl_admin)
        items = api.get(f"{URL}/{indicator['id']}/values", headers=callers.nl_officer).json()["items"]
        assert [(i["session"], i["value"]) for i in items] == [
            ("2023-24", None if source != "clpl_participants" else 0.0), ("2024-25", expected)]


def test_a_computed_value_cannot_be_entered(api, world: World, callers: Callers) -> None:
    indicator = _define(api, callers.lead, region_id=str(world.region.id),
                        source="clpl_participants")
    answer = api.put(_values_url(indicator), json={"value": 12}, headers=callers.lead)
    assert_problem(answer, 422, loc=["body", "value"])


def test_who_manages_and_who_reads(api, world: World, callers: Callers) -> None:
    region_owned = {"region_id": str(world.region.id), "name": "Regional", "unit": "%",
                    "direction": "higher"}
    nl_owned = {**region_owned, "region_id": None, "authority_id": str(world.nl.id), "name": "NL"}
    for headers in (callers.nl_admin, callers.other_lead, callers.region_client):
        assert_problem(api.post(URL, json=region_owned, headers=headers), 403)
    for headers in (callers.nl_officer, callers.lead, callers.gc_admin):
        assert_problem(api.post(URL, json=nl_owned, headers=headers), 403)
    for headers in (callers.headteacher, callers.unscoped_client):
        assert_problem(api.post(URL, json=nl_owned, headers=headers), 403)
        assert_problem(api.get(URL, headers=headers), 403)
    regional = _define(api, callers.lead, **region_owned)
    local = _define(api, callers.nl_admin, **nl_owned)
    admin_made = _define(api, callers.admin, authority_id=str(world.gc.id), name="GC")

    def visible(headers: dict[str, str]) -> set[str]:
        return {i["name"] for i in api.get(URL, headers=headers).json()["items"]}

    assert visible(callers.admin) == {"Regional", "NL", "GC"}
    assert visible(callers.lead) == visible(callers.region_client) == {"Regional", "NL", "GC"}
    assert visible(callers.nl_officer) == visible(callers.nl_client) == {"NL"}
    assert visible(callers.other_lead) == set()
    assert {i["name"] for i in api.get(URL, params={"authority_id": str(world.nl.id)},
                                       headers=callers.lead).json()["items"]} == {"NL"}
    assert_problem(api.get(f"{URL}/{regional['id']}", headers=callers.nl_officer), 404)
    assert_problem(api.get(f"{URL}/{local['id']}", headers=callers.other_lead), 404)
    assert_problem(api.get(f"{URL}/{admin_made['id']}", headers=callers.headteacher), 403)
    # Reading is not managing: the lead reads NL's indicator but may not change it.
    assert api.get(f"{URL}/{local['id']}", headers=callers.lead).status_code == 200
    patch = {"name": "Renamed"}
    assert_problem(api.patch(f"{URL}/{local['id']}", json=patch,
                             headers={**callers.lead, "If-Match": '"1"'}), 403)
    assert_problem(api.put(_values_url(local), json={"baseline": 1},
                           headers=callers.nl_officer), 403)


def test_definitions_are_checked_and_changed_with_if_match(api, world: World,
                                                           callers: Callers) -> None:
    owner = {"region_id": str(world.region.id)}
    both = {**owner, "authority_id": str(world.nl.id), "name": "X", "unit": "%",
            "direction": "higher"}
    assert_problem(api.post(URL, json=both, headers=callers.admin), 422, loc=["body", "region_id"])
    unknown = {**owner, "name": "X", "unit": "%", "direction": "higher",
               "source": "qi_good_or_better:9.9"}
    assert_problem(api.post(URL, json=unknown, headers=callers.lead), 422, loc=["body", "source"])
    bad = {**owner, "name": "X", "unit": "%", "direction": "higher", "source": "clpl_mean_change:joy"}
    assert_problem(api.post(URL, json=bad, headers=callers.lead), 422)
    indicator = _define(api, callers.lead, **owner)
    assert_problem(api.post(URL, json={**owner, "name": indicator["name"], "unit": "%",
                                       "direction": "higher"}, headers=callers.lead), 409)
    url = f"{URL}/{indicator['id']}"
    assert_problem(api.patch(url, json={"position": 3}, headers=callers.lead), 428)
    changed = api.patch(url, json={"position": 3, "source": "qi_good_or_better:1.3"},
                        headers={**callers.lead, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["position"], changed.json()["computed"], changed.headers["ETag"]) == (
        3, True, '"2"')
    assert_problem(api.patch(url, json={"unit": "people"},
                             headers={**callers.lead, "If-Match": '"1"'}), 412)
