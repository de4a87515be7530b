"""The board's table of critical indicators (GET /critical-indicators/table): one document
for one region or authority, its indicators' baseline, value and target session by session."""

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.insight.schemas import Direction


class TableSessionFigures(BaseModel):
    session: str = Field(description="A school session, e.g. 2024-25")
    baseline: float | None
    value: float | None = Field(description=(
        "As GET /critical-indicators/{id}/values/{session} answers it: entered, or computed "
        "from the data; null where that answers 404 (no figures for the session)"))
    target: float | None
    note: str = Field(description='What the owner noted, e.g. "TBC" or "N/A"')
    value_source: Literal["manual", "computed"]
    authorities_counted: int | None = Field(default=None, description=(
        "ACEL indicators: the authorities whose published figure the value is made of"))
    authorities_left_out: int | None = Field(default=None, description=(
        "ACEL indicators: member authorities left out (figure suppressed or not collected)"))


class MemberSessionValue(BaseModel):
    session: str
    value: float | None = Field(description=(
        "The authority's own published figure (% of pupils achieving the expected level); "
        "null where it is not published (suppressed or not collected), never zero"))


class MemberFigures(BaseModel):
    authority_id: uuid.UUID
    authority_code: str = Field(description="The council's official code, e.g. S12000050")
    authority_name: str
    sessions: list[MemberSessionValue] = Field(description="One per session of the table")


class TableIndicator(BaseModel):
    indicator_id: uuid.UUID
    position: int = Field(description="Its number in the owner's table (the order of rows)")
    name: str
    unit: str
    direction: Direction = Field(description="Which way is better")
    source: str = Field(description="`manual`, or what the value is computed from")
    computed: bool
    baseline_session: str | None
    target_session: str | None
    sessions: list[TableSessionFigures] = Field(description="One per session of the table")
    by_authority: list[MemberFigures] | None = Field(description=(
        "A region's ACEL indicator (`acel:...`): each member authority's own figure, by "
        "authority code; null where the source is not computed per authority"))


_SESSIONS = [{"session": "2023-24", "baseline": 60.5, "value": 64.0, "target": 70.0, "note": "",
              "value_source": "computed", "authorities_counted": 2, "authorities_left_out": 6},
             {"session": "2024-25", "baseline": None, "value": 66.0, "target": 72.0, "note": "",
              "value_source": "computed", "authorities_counted": 2, "authorities_left_out": 6}]
_EXAMPLE: dict[str, Any] = {
    "region_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "authority_id": None,
    "code": "west-partnership", "name": "West Partnership", "sessions": ["2023-24", "2024-25"],
    "indicators": [{
        "indicator_id": "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968", "position": 1,
        "name": "P1, P4 and P7 combined: literacy", "unit": "%", "direction": "higher",
        "source": "acel:p147:literacy", "computed": True, "baseline_session": "2023-24",
        "target_session": "2025-26", "sessions": _SESSIONS,
        "by_authority": [{"authority_id": "0c9b8a7f-6e5d-4c3b-a291-807f6e5d4c3b",
                          "authority_code": "S12000050", "authority_name": "North Lanarkshire",
                          "sessions": [{"session": "2023-24", "value": 68.0},
                                       {"session": "2024-25", "value": 70.0}]}]}],
}


class CriticalIndicatorTable(BaseModel):
    """Bounded by the indicators of one region or authority: one document, not a page."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})
    region_id: uuid.UUID | None = Field(description="The region whose indicators these are, or ...")
    authority_id: uuid.UUID | None = Field(description="... the authority whose they are")
    code: str = Field(description="The region's or the authority's code")
    name: str
    sessions: list[str] = Field(description="The sessions of the table, oldest first")
    indicators: list[TableIndicator] = Field(description="In the owner's order (`position`)")
