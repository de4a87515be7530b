"""Critical indicators computed from ACEL (`acel:<stage>:<organiser>`): every session with
published figures answers without anyone creating value rows first; an authority's own figure,
a region's weighted by cohort over its members, saying how many were left out; baselines and
targets stay editable."""

from typing import Any

import pytest

from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.insight.test_evidence_summaries import evidence  # noqa: F401 - fixture

URL = "/api/v1/critical-indicators"


def _define(api: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "P1, P4 and P7 combined: literacy", "unit": "%", "direction": "higher",
            "source": "acel:p147:literacy", **fields}
    answer = api.post(URL, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _values(api: Any, headers: dict[str, str], indicator: dict[str, Any]) -> list[dict[str, Any]]:
    answer = api.get(f"{URL}/{indicator['id']}/values", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def test_a_region_s_indicator_has_every_session_with_figures(api, evidence):  # noqa: F811
    indicator = _define(api, evidence["lead"], region_id=str(evidence["region"].id))
    assert indicator["computed"] is True
    items = _values(api, evidence["lead"], indicator)
    members = items[0]["authorities_counted"] + items[0]["authorities_left_out"]
    assert [(i["session"], i["value"], i["authorities_counted"], i["version"]) for i in items] == [
        ("2022-23", 62.0, 2, 0), ("2023-24", 64.0, 2, 0), ("2024-25", 66.0, 2, 0)]
    assert members > 3 and all(i["authorities_left_out"] == members - 2 for i in items)
    one = api.get(f"{URL}/{indicator['id']}/values/2023-24", headers=evidence["lead"])
    assert one.status_code == 200 and one.json()["value"] == 64.0
    assert_problem(api.get(f"{URL}/{indicator['id']}/values/2019-20", headers=evidence["lead"]),
                   404)


def test_baselines_and_targets_stay_editable(api, evidence):  # noqa: F811
    indicator = _define(api, evidence["lead"], region_id=str(evidence["region"].id))
    url = f"{URL}/{indicator['id']}/values/2022-23"
    created = api.put(url, json={"baseline": 61.5, "target": 70}, headers=evidence["lead"])
    assert created.status_code == 201, created.text
    assert (created.json()["value"], created.json()["baseline"]) == (62.0, 61.5)
    assert_problem(api.put(url, json={"value": 90}, headers={**evidence["lead"], "If-Match": '"1"'}),
                   422)
    target_only = api.put(f"{URL}/{indicator['id']}/values/2026-27", json={"target": 72},
                          headers=evidence["lead"])
    assert target_only.status_code == 201  # a target for a session with no figures yet
    items = _values(api, evidence["lead"], indicator)
    assert [(i["session"], i["value"], i["baseline"], i["target"]) for i in items] == [
        ("2022-23", 62.0, 61.5, 70.0), ("2023-24", 64.0, None, None),
        ("2024-25", 66.0, None, None), ("2026-27", None, None, 72.0)]


def test_an_authority_s_indicator_is_its_own_published_figure(api, evidence,  # noqa: F811
                                                              make: Factory):
    admin = make.headers(make.user("officer", authority=evidence["nl"], authority_admin=True))
    indicator = _define(api, admin, authority_id=str(evidence["nl"].id))
    items = _values(api, admin, indicator)
    assert [(i["session"], i["value"], i["authorities_counted"], i["authorities_left_out"])
            for i in items] == [("2022-23", 66.0, 1, 0), ("2023-24", 68.0, 1, 0),
                                ("2024-25", 70.0, 1, 0)]
    suppressed = _define(api, make.headers(make.admin()), authority_id=str(evidence["er"].id))
    assert _values(api, make.headers(make.admin()), suppressed) == []  # never published


def test_pages_of_sessions_follow_on_without_repeats(api, evidence):  # noqa: F811
    indicator = _define(api, evidence["lead"], region_id=str(evidence["region"].id))
    api.put(f"{URL}/{indicator['id']}/values/2023-24", json={"baseline": 60},
            headers=evidence["lead"])
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get(f"{URL}/{indicator['id']}/values", params=params,
                       headers=evidence["lead"]).json()
        seen += [i["session"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["2022-23", "2023-24", "2024-25"]


@pytest.mark.parametrize("source", ["acel:p9:literacy", "acel:p147", "acel:p147:maths",
                                    "acel::literacy", "acel:P147:Literacy"])
def test_an_acel_source_names_a_published_stage_and_organiser(api, evidence, source):  # noqa: F811
    answer = api.post(URL, json={"name": "x", "unit": "%", "direction": "higher",
                                 "region_id": str(evidence["region"].id), "source": source},
                      headers=evidence["lead"])
    assert_problem(answer, 422)




def test_a_computed_value_is_news_when_its_figures_change(api, evidence, db):  # noqa: F811
    """Polling a computed value: its ETag follows the published figures it is made of (a
    re-import), not only the row that holds its baseline and target."""
    from sqlmodel import select

    from app.performance.models import AcelFigure

    indicator = _define(api, evidence["lead"], region_id=str(evidence["region"].id))
    url = f"{URL}/{indicator['id']}/values/2023-24"
    first = api.get(url, headers=evidence["lead"])
    tag = first.headers["ETag"]
    assert api.get(url, headers={**evidence["lead"], "If-None-Match": tag}).status_code == 304
    figure = db.exec(select(AcelFigure).where(
        AcelFigure.authority_id == evidence["nl"].id, AcelFigure.school_session == "2023-24",
        AcelFigure.stage == "p147", AcelFigure.organiser == "literacy")).one()
    figure.percent = figure.percent + 10
    db.add(figure)
    db.commit()
    again = api.get(url, headers={**evidence["lead"], "If-None-Match": tag})
    assert again.status_code == 200 and again.json()["value"] > first.json()["value"]
    # Setting a target with the tag read: If-Match compares the row's version.
    put = api.put(url, json={"target": 75}, headers={**evidence["lead"], "If-Match": tag})
    assert put.status_code in (200, 201), put.text
