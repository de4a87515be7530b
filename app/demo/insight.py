"""The demo's critical indicators: the West Partnership's published ones, and North
Lanarkshire's own that the service computes from the demo's reports."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.demo.common import ANYONE
from app.demo.common import region as demo_region
from app.demo.year import Year
from app.identity.principal import Principal
from app.organisations.models import Authority

# The West Partnership's critical indicators (Regional Improvement Plan 2019-22, "Critical
# Indicators - updated"): name, unit, direction, source, 2016-17 baseline, 2017-18 value,
# 2020-21 target; None where the plan says TBC or N/A (kept in the note). The ACEL ones are
# computed from the published ACEL figures (the plan's own 2017-18 value kept in the note).
WEST_PARTNERSHIP_INDICATORS: list[tuple[str, str, str, str, Any, Any, Any]] = [
    ("% of primary pupils (P1, P4 and P7 combined) achieving expected levels or better in literacy "
     "(based on reading, writing and talking and listening)", "%", "higher", "acel:p147:literacy",
     71, 75, 78),
    ("% of primary pupils (P1, P4 and P7 combined) achieving expected levels or better in numeracy",
     "%", "higher", "acel:p147:numeracy", 78, 81, 85),
    ("% of S3 pupils achieving third level or better in literacy (based on reading, writing and "
     "talking and listening)", "%", "higher", "acel:s3-third:literacy", 90, 91, 91),
    ("% of S3 pupils achieving third level or better in numeracy", "%", "higher",
     "acel:s3-third:numeracy", 90, 90, 91),
    ("% of S3 pupils achieving fourth level or better in literacy (based on reading, writing and "
     "talking and listening)", "%", "higher", "acel:s3-fourth:literacy", 47, 54, 55),
    ("% of S3 pupils achieving fourth level or better in numeracy", "%", "higher",
     "acel:s3-fourth:numeracy", 57, 60, 63),
    ("% of leavers achieving 1 or more awards at SCQF Level 6 or better", "%", "higher", "manual",
     63.8, 65, 74),
    ("% of leavers achieving 5 or more awards at SCQF Level 6 or better", "%", "higher", "manual",
     31.6, 33, 35),
    ("% of leavers achieving SCQF Level 5 or better in literacy", "%", "higher", "manual",
     81.8, 82, 86),
    ("% of leavers achieving SCQF Level 5 or better in numeracy", "%", "higher", "manual",
     69.1, 70, 76),
    ("HWB indicators (baseline to be established in August 2019 when SG census has been designed)",
     "%", "higher", "manual", "TBC", "TBC", None),
    # Published as TBC: the service counts it from its own CLPL registrations.
    ("Number of practitioners accessing professional learning opportunities provided by the West "
     "Partnership", "people", "higher", "clpl_participants", "TBC", "TBC", None),
    ("Mean change in staff knowledge, understanding and confidence as a result of the professional "
     "learning", "points", "higher", "manual", "TBC", 1.1, None),
    ("% of establishments evaluated as good or better for leadership of change", "%", "higher",
     "manual", 59, 63, 75),
    ("Primary exclusion rates (rate per 1,000 pupils)", "per 1,000 pupils", "lower", "manual",
     9.9, "N/A", 6.5),
    ("Secondary exclusion rates (rate per 1,000 pupils)", "per 1,000 pupils", "lower", "manual",
     46.8, "N/A", 45),
    ("Primary attendance rates", "%", "higher", "manual", 94.6, "N/A", 95),
    ("Secondary attendance rates", "%", "higher", "manual", 90.7, "N/A", 92),
    ("Initial school leaver destinations", "%", "higher", "manual", 93.6, 94, 95),
    ("% of establishments evaluated as good or better for learning, teaching and assessment", "%",
     "higher", "manual", 80, 66, 75),
]
# North Lanarkshire's own, computed from the service's data (last session's agreed reports).
AUTHORITY_INDICATORS = [
    ("% of establishments self-evaluating leadership of change (QI 1.3) as good or better",
     "qi_good_or_better:1.3"),
    ("% of establishments self-evaluating learning, teaching and assessment (QI 2.3) as good or "
     "better", "qi_good_or_better:2.3"),
]


def _demo_insight(session: Session, system: Principal, authority: Authority, year: Year) -> int:
    """The West Partnership's published critical indicators with their 2017-18 figures, and two
    of North Lanarkshire's own that the service computes."""
    from app.insight import indicators
    from app.insight.models import CriticalIndicator
    from app.insight.schemas import CriticalIndicatorCreate, CriticalIndicatorValuePut

    region = demo_region(session)
    if session.scalars(select(col(CriticalIndicator.id)).where(
            (col(CriticalIndicator.region_id) == region.id)
            | (col(CriticalIndicator.authority_id) == authority.id))).first():
        return 0
    anyone = ANYONE

    def figure(value: Any) -> float | None:
        return None if value is None or isinstance(value, str) else float(value)

    made = 0
    for position, (name, unit, direction, source, baseline, value, target) in enumerate(
            WEST_PARTNERSHIP_INDICATORS, start=1):
        indicator = indicators.create_indicator(session, system, CriticalIndicatorCreate(
            region_id=region.id, name=name, unit=unit, direction=direction, source=source,
            position=position, baseline_session="2016-17", target_session="2020-21"))
        notes = [f"{label} {raw}" for label, raw in (("baseline", baseline), ("value", value))
                 if isinstance(raw, str)]
        if source != "manual" and value is not None and not isinstance(value, str):
            notes.append(f"the plan published {value}; the value is computed from the data")
        indicators.put_value(session, system, indicator.id, "2017-18", CriticalIndicatorValuePut(
            baseline=figure(baseline), target=figure(target),
            value=figure(value) if source == "manual" else None,
            note="; ".join(notes)), anyone)
        made += 1
    for position, (name, source) in enumerate(AUTHORITY_INDICATORS, start=1):
        indicator = indicators.create_indicator(session, system, CriticalIndicatorCreate(
            authority_id=authority.id, name=name, unit="%", direction="higher", source=source,
            position=position))
        indicators.put_value(session, system, indicator.id, year.last,
                             CriticalIndicatorValuePut(note="Computed from agreed reports"), anyone)
        made += 1
    return made
