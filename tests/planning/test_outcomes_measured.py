"""Outcomes that can be measured: a unit, and numbers where the unit is numeric (sent as JSON
numbers or as their text), answered as numbers beside the text they are kept as."""

import pytest

from tests.planning.conftest import PRIORITY

PLANS = "/api/v1/improvement-plans"


def _outcome(api, make, planning, **outcome):
    """A priority with one outcome in a fresh school's plan, posted by its headteacher."""
    establishment = make.establishment()
    head = make.headers(make.user("headteacher", establishments=[establishment]))
    plan = planning.plan(establishment, priorities=0)
    body = {**PRIORITY, "outcomes": [{"description": "P4 on track in numeracy",
                                      "measure": "% of P4 at first level", **outcome}]}
    return api.post(f"{PLANS}/{plan.id}/priorities", json=body, headers=head)


def test_a_percent_outcome_takes_and_gives_numbers(api, make, planning):
    answer = _outcome(api, make, planning, unit="percent", baseline=64, target="75.50",
                      actual=None)
    assert answer.status_code == 201, answer.text
    [outcome] = answer.json()["outcomes"]
    assert (outcome["unit"], outcome["baseline"], outcome["target"]) == ("percent", "64", "75.5")
    assert (outcome["baseline_value"], outcome["target_value"], outcome["actual_value"]) == (
        64.0, 75.5, None)
    read = api.get(f"{PLANS}/{answer.json()['plan_id']}/priorities/{answer.json()['id']}",
                   headers=make.headers(make.admin()))
    assert read.json()["outcomes"] == [outcome]


@pytest.mark.parametrize(("unit", "field", "value", "rule"), [
    ("percent", "target", 120, "a percent outcome's target is a number from 0 to 100"),
    ("percent", "baseline", "about half", "a percent outcome's baseline is a number"),
    ("count", "target", 12.5, "a count outcome's target is a whole number, 0 or more"),
    ("count", "baseline", -3, "a count outcome's baseline is a whole number, 0 or more"),
    ("score", "actual", "NaN", "a score outcome's actual is a number"),
    ("score", "target", True, "a number or a text, not true or false"),
])
def test_a_numeric_outcome_refuses_what_is_not_its_number(api, make, planning, unit, field,
                                                          value, rule):
    answer = _outcome(api, make, planning, unit=unit, **{field: value})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "outcomes", 0, field]
    assert rule in error["msg"]


def test_a_text_outcome_keeps_its_words_and_numbers_as_text(api, make, planning):
    worded = _outcome(api, make, planning, unit="text", baseline="Few pupils can say",
                      target=3).json()["outcomes"][0]
    assert (worded["baseline"], worded["target"], worded["target_value"]) == (
        "Few pupils can say", "3", None)
    legacy = _outcome(api, make, planning, baseline="64", target="75").json()["outcomes"][0]
    assert (legacy["unit"], legacy["target"], legacy["target_value"]) == (None, "75", None)


def test_a_count_of_1_200_is_kept_as_written_out(api, make, planning):
    outcome = _outcome(api, make, planning, unit="count", baseline=1.2e3,
                       target="1500").json()["outcomes"][0]
    assert (outcome["baseline"], outcome["baseline_value"], outcome["target_value"]) == (
        "1200", 1200.0, 1500.0)
