"""The demo holds the West Partnership's published critical indicators (its ACEL ones computed
from the published ACEL figures the demo imports), and North Lanarkshire's own computed from
the demo's reports."""

from sqlmodel import Session, col, select

from app.cli import SYSTEM
from app.demo import seed_demo
from app.demo.year import Year
from app.insight.models import CriticalIndicator, CriticalIndicatorValue


def test_demo_critical_indicators(engine, db: Session, api, make) -> None:
    with Session(engine, expire_on_commit=False) as session:
        counts = seed_demo(session, SYSTEM)
        session.commit()
        assert seed_demo(session, SYSTEM)["critical_indicators"] == 0
        session.commit()
    assert counts["critical_indicators"] == 22
    change = db.exec(select(CriticalIndicator).where(
        col(CriticalIndicator.name).startswith("% of establishments evaluated as good or better "
                                               "for leadership"))).one()
    value = db.exec(select(CriticalIndicatorValue).where(
        CriticalIndicatorValue.indicator_id == change.id)).one()
    assert (value.session, value.baseline, value.value, value.target) == ("2017-18", 59, 63, 75)
    exclusions = db.exec(select(CriticalIndicator).where(
        col(CriticalIndicator.name).startswith("Primary exclusion"))).one()
    assert exclusions.direction == "lower"

    lead = make.headers(make.user("regional_lead"))
    items = api.get("/api/v1/critical-indicators", params={"limit": 100}, headers=lead).json()["items"]
    assert len(items) == 22
    computed = {i["name"]: i for i in items if i["computed"]}
    assert len(computed) == 9  # 6 from ACEL, CLPL participants, and North Lanarkshire's 2
    qi = next(i for i in computed.values() if i["source"] == "qi_good_or_better:1.3")
    values = api.get(f"/api/v1/critical-indicators/{qi['id']}/values", headers=lead).json()["items"]
    assert [(v["session"], v["value"], v["value_source"]) for v in values] == [
        (Year.now().last, 100.0, "computed")]  # every demo school's agreed report grades 1.3 good

    literacy = next(i for i in computed.values() if i["source"] == "acel:p147:literacy")
    values = api.get(f"/api/v1/critical-indicators/{literacy['id']}/values", params={"limit": 20},
                     headers=lead).json()["items"]
    # Every published session but 2019-20 (not collected), from the demo's ACEL figures; the
    # plan's own 2017-18 baseline and target stay beside the computed value.
    sessions = [v["session"] for v in values]
    assert sessions == ["2016-17", "2017-18", "2018-19", "2020-21", "2021-22", "2022-23",
                        "2023-24", "2024-25"]
    plan = next(v for v in values if v["session"] == "2017-18")
    assert (plan["baseline"], plan["target"], plan["value_source"]) == (71.0, 78.0, "computed")
    assert all(60 < v["value"] < 90 and v["authorities_left_out"] == 0 for v in values)
