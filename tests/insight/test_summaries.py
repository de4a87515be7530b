"""Every summary figure against a hand-made world whose answers are known (tests/insight/world.py),
as JSON and as CSV, with ETags; on SQLite and PostgreSQL alike."""

import csv
import io
from typing import Any

import pytest

from tests.insight.conftest import Callers, authority_url, region_url
from tests.insight.world import (
    EXPECTED_GC,
    EXPECTED_NL,
    EXPECTED_REGION,
    SECRETS,
    World,
    empty_authority,
)

MEASURES = ("establishments", "plans", "reports", "visits", "vse", "indicators", "clpl", "trios")
# Every section is in the CSV, in the JSON's order (these two have tests of their own).
IN_CSV = (*MEASURES, "accuracy_basis", "pef")


def _check(body: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Figure by figure, so a failure names the one that is wrong."""
    assert set(MEASURES) <= set(body), where
    for measure in MEASURES:
        got, want = body[measure], expected[measure]
        if isinstance(want, dict):
            for name in want:
                assert got[name] == want[name], f"{where}: {measure}.{name}"
            assert set(got) == set(want), f"{where}: {measure} has other figures"
        else:
            assert got == want, f"{where}: {measure}"


@pytest.mark.parametrize("code,expected", [("nl", EXPECTED_NL), ("gc", EXPECTED_GC)])
def test_authority_summary_figure_by_figure(api, world: World, callers: Callers, code: str,
                                            expected: dict[str, Any]) -> None:
    authority = getattr(world, code)
    answer = api.get(authority_url(authority.id), headers=callers.admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["scope"], body["session"], body["authority_id"], body["authority_code"]) == (
        "authority", "2024-25", str(authority.id), authority.code)
    assert body["region_id"] == str(world.region.id)
    _check(body, expected, authority.code)


def test_region_summary_totals_and_each_authority(api, world: World, callers: Callers) -> None:
    answer = api.get(region_url(world.region.id), headers=callers.lead)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["scope"], body["region_code"], body["session"]) == (
        "region", "west-partnership", "2024-25")
    _check(body["totals"], EXPECTED_REGION, "totals")
    codes = [a["authority_code"] for a in body["authorities"]]
    assert len(codes) == 8 and codes == sorted(codes)
    for item in body["authorities"]:
        expected = {world.nl.code: EXPECTED_NL, world.gc.code: EXPECTED_GC}.get(
            item["authority_code"], empty_authority())
        _check(item, expected, item["authority_code"])


def test_the_breakdown_equals_each_authority_summary(api, world: World, callers: Callers) -> None:
    region = api.get(region_url(world.region.id), headers=callers.admin).json()
    for item in region["authorities"][:8]:
        alone = api.get(authority_url(item["authority_id"]), headers=callers.admin).json()
        assert {m: alone[m] for m in MEASURES} == {m: item[m] for m in MEASURES}


def test_another_session_has_its_own_figures(api, world: World, callers: Callers) -> None:
    body = api.get(authority_url(world.nl.id, "2025-26"), headers=callers.admin).json()
    assert body["plans"]["by_status"]["draft"] == 1  # A4's plan for 2025-26
    assert body["trios"]["establishments_in_trio"] == 1
    assert body["visits"]["final_visits"] == 0 and body["vse"]["total"] == 0
    assert body["establishments"] == EXPECTED_NL["establishments"]  # current statuses


def test_the_session_defaults_to_the_current_one(api, world: World, callers: Callers) -> None:
    from app.insight.service import current_session

    answer = api.get(f"/api/v1/summaries/authorities/{world.nl.id}", headers=callers.admin)
    assert answer.status_code == 200 and answer.json()["session"] == current_session()


def test_a_malformed_session_is_422(api, world: World, callers: Callers) -> None:
    answer = api.get(authority_url(world.nl.id, "2024-26"), headers=callers.admin)
    assert answer.status_code == 422


# CSV ----------------------------------------------------------------------------------


def _rows_of_json(scope: str, code: str, session: str, figures: dict[str, Any]) -> list[tuple[str, ...]]:
    """The CSV the contract promises, written out independently from the JSON."""
    rows = []

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    def walk(node: dict[str, Any], path: str) -> None:
        for key, value in node.items():
            if key == "themes":
                rows.extend((scope, code, session, f"{path}themes", t["theme"], cell(t["count"]))
                            for t in value)
            elif key == "indicators":
                for item in value:
                    label = f"{item['framework_code']}:{item['indicator_code']}"
                    for part in ("self_evaluated", "validated", "accuracy", "inspected",
                                 "inspection_accuracy"):
                        rows.extend((scope, code, session, f"indicators.{part}.{k}", label, cell(v))
                                    for k, v in item[part].items())
            elif isinstance(value, dict) and (key.startswith("by_") or key == "mean_change"):
                rows.extend((scope, code, session, f"{path}{key}", k, cell(v))
                            for k, v in value.items())
            elif isinstance(value, dict):
                walk(value, f"{path}{key}.")
            else:
                rows.append((scope, code, session, f"{path}{key}", "", cell(value)))

    walk({m: value for m, value in figures.items() if m in IN_CSV}, "")
    return rows


def _csv(answer: Any) -> list[tuple[str, ...]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["scope", "authority_code", "session", "measure", "dimension", "value"]
    return [tuple(r) for r in rows[1:]]


def test_authority_csv_holds_the_same_figures_as_json(api, world: World, callers: Callers) -> None:
    url = authority_url(world.nl.id)
    body = api.get(url, headers=callers.admin).json()
    rows = _csv(api.get(url, headers={**callers.admin, "Accept": "text/csv"}))
    assert rows == _rows_of_json("authority", world.nl.code, "2024-25", body)
    assert ("authority", world.nl.code, "2024-25", "plans.by_status", "returned", "1") in rows
    assert ("authority", world.nl.code, "2024-25", "indicators.accuracy.mean_difference",
            "HGIOS4:1.3", "0.5") in rows


def test_region_csv_has_the_totals_then_one_block_per_authority(api, world: World,
                                                                callers: Callers) -> None:
    url = region_url(world.region.id)
    body = api.get(url, headers=callers.admin).json()
    rows = _csv(api.get(url, headers={**callers.admin, "Accept": "text/csv;q=0.9, application/json;q=0.5"}))
    expected = _rows_of_json("region", "", "2024-25", body["totals"])
    for item in body["authorities"]:
        expected += _rows_of_json("authority", item["authority_code"], "2024-25", item)
    assert rows == expected
    assert ("region", "", "2024-25", "clpl.participants", "", "6") in rows
    assert ("authority", world.gc.code, "2024-25", "vse.themes", "Learner voice", "1") in rows


def test_json_is_the_default_representation(api, world: World, callers: Callers) -> None:
    for accept in ("*/*", "application/json, text/csv", "text/html"):
        answer = api.get(authority_url(world.nl.id), headers={**callers.admin, "Accept": accept})
        assert answer.headers["content-type"].startswith("application/json"), accept


# ETags ------------------------------------------------------------------------------


def test_if_none_match_gives_304_until_the_figures_change(api, make, db, world: World,
                                                          callers: Callers) -> None:
    url = authority_url(world.nl.id)
    first = api.get(url, headers=callers.admin)
    etag = first.headers["ETag"]
    assert first.headers["Vary"] == "Accept"
    again = api.get(url, headers={**callers.admin, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    csv_etag = api.get(url, headers={**callers.admin, "Accept": "text/csv"}).headers["ETag"]
    assert csv_etag != etag
    assert api.get(url, headers={**callers.admin, "Accept": "text/csv",
                                 "If-None-Match": csv_etag}).status_code == 304
    assert api.get(url, headers={**callers.admin, "If-None-Match": csv_etag}).status_code == 200

    make.establishment(world.nl)  # one more open school changes the figures
    changed = api.get(url, headers={**callers.admin, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["establishments"]["total"] == 5


def test_if_none_match_does_not_reveal_another_regions_summary(api, world: World,
                                                               callers: Callers) -> None:
    etag = api.get(region_url(world.region.id), headers=callers.admin).headers["ETag"]
    answer = api.get(region_url(world.region.id),
                     headers={**callers.other_lead, "If-None-Match": etag})
    assert answer.status_code == 404


# What never appears -----------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "text/csv"])
def test_no_visit_notes_or_vse_text_anywhere(api, world: World, callers: Callers, accept: str) -> None:
    for url, headers in ((region_url(world.region.id), callers.lead),
                         (authority_url(world.nl.id), callers.nl_officer),
                         (authority_url(world.gc.id), callers.region_client)):
        answer = api.get(url, headers={**headers, "Accept": accept})
        assert answer.status_code == 200, answer.text
        for secret in SECRETS:
            assert secret.split()[0] not in answer.text, (url, secret)
        assert "@x.scot" not in answer.text  # nor a participant


def test_a_csv_summary_comes_with_a_file_name_browsers_save(api, world: World, callers: Callers) -> None:
    answer = api.get(authority_url(world.nl.id, "2025-26"), headers={**callers.admin, "Accept": "text/csv"})
    assert answer.headers["content-disposition"] == 'attachment; filename="summary-S12000050-2025-26.csv"'
    region = api.get(region_url(world.region.id), headers={**callers.admin, "Accept": "text/csv"})
    assert region.headers["content-disposition"].endswith('-2024-25.csv"')
    assert "content-disposition" not in api.get(authority_url(world.nl.id), headers=callers.admin).headers
