"""The contract for frameworks (scales and indicators) and the NIF."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from app.core.schemas import Name, ShortText, WriteModel

FrameworkCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")]
IndicatorCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.]{0,15}$")]


class ScalePoint(WriteModel):
    value: int = Field(ge=0, le=100)
    label: Name


class Indicator(WriteModel):
    code: IndicatorCode
    title: Name
    category: ShortText = ""


class FrameworkCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "LASER", "title": "Local authority self-evaluation judgements",
        "applies_to": [], "good_or_better_from": 3, "core_indicators": ["LM1"],
        "scale": [{"value": 4, "label": "outstanding"}, {"value": 3, "label": "good"},
                  {"value": 2, "label": "requires improvement"},
                  {"value": 1, "label": "inadequate"}],
        "indicators": [{"code": "LM1", "title": "Leadership and management", "category": ""}],
    }]})
    code: FrameworkCode
    title: Name
    applies_to: list[Annotated[str, StringConstraints(
        pattern=r"^(elc|primary|secondary|special|all_through)$")]] = Field(default=[], max_length=5)
    scale: list[ScalePoint] = Field(min_length=2, max_length=20)
    good_or_better_from: int = Field(ge=0, le=100)
    core_indicators: list[IndicatorCode] = Field(default=[], max_length=50)
    indicators: list[Indicator] = Field(default=[], max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> "FrameworkCreate":
        values = [p.value for p in self.scale]
        if len(set(values)) != len(values):
            raise ValueError("scale values must be distinct")
        if self.good_or_better_from not in values:
            raise ValueError("good_or_better_from must be a value on the scale")
        codes = [i.code for i in self.indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator codes must be distinct within a framework")
        missing = [c for c in self.core_indicators if c not in codes]
        if missing:
            raise ValueError(f"core indicators not among the indicators: {', '.join(missing)}")
        return self


class IndicatorRead(Indicator):
    pass


class FrameworkRead(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "4f5d8f0e-5a0b-4a8a-9d6f-0c1b2a3d4e5f", "code": "HGIOS4",
        "title": "How good is our school? (4th edition)",
        "applies_to": ["primary", "secondary", "special", "all_through"],
        "scale": [{"value": 6, "label": "excellent"}, {"value": 1, "label": "unsatisfactory"}],
        "good_or_better_from": 4, "core_indicators": ["1.3", "2.3", "3.1", "3.2"],
        "indicators": [{"code": "1.3", "title": "Leadership of change",
                        "category": "Leadership and management"}],
        "version": 1, "created_at": "2026-08-01T09:00:00Z", "updated_at": "2026-08-01T09:00:00Z",
    }]})
    id: uuid.UUID
    code: str
    title: str
    applies_to: list[str]
    scale: list[ScalePoint]
    good_or_better_from: int
    core_indicators: list[str]
    indicators: list[IndicatorRead]
    version: int
    created_at: datetime
    updated_at: datetime


class NifRead(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "priorities": ["Closing the attainment gap between the most and least disadvantaged "
                       "children and young people"],
        "drivers": ["School and ELC leadership"],
    }]})
    priorities: list[str]
    drivers: list[str]
