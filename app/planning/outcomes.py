"""A priority's measurable outcomes: what is measured, in which unit, from which baseline to
which target, and the actual reached. Schools are "seeing more measurable outcomes in their
annual improvement plans" (North Lanarkshire's inspection report): with a numeric unit the
figures are numbers, checked and answered as numbers beside the text they are stored as."""

from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from app.core.schemas import LongText, ReadModel, ShortText, WriteModel

FIGURES = ("baseline", "target", "actual")


OutcomeUnit = Literal["percent", "count", "score", "text"]
NUMERIC = ("percent", "count", "score")
_RULES = {"percent": "a number from 0 to 100", "count": "a whole number, 0 or more",
          "score": "a number"}
FIGURE = ("A number (JSON number or its text) when `unit` is percent, count or score; any short "
          "text otherwise")


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip().removesuffix("%").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _fits(unit: str, number: Decimal) -> bool:
    if unit == "percent":
        return 0 <= number <= 100
    if unit == "count":
        return number >= 0 and number == number.to_integral_value()
    return True


def _written(number: Decimal) -> str:
    """A number as the text stored: 64, 64.5, 1200 (never 6.4E+1)."""
    return format(number.normalize(), "f")


def figure(unit: str | None, value: str | float, name: str) -> str:
    """A figure as the text stored: a number where the unit is numeric (ValueError naming the
    unit's rule otherwise), any text where it is not. Measures through the year use it too."""
    text = value if isinstance(value, str) else _written(Decimal(str(value)))
    if unit not in NUMERIC:
        return text
    number = _number(text)
    if number is None or not _fits(unit, number):
        raise ValueError(f"a {unit} outcome's {name} is {_RULES[unit]}")
    return _written(number)


def as_number(unit: str | None, text: str | None) -> float | None:
    """The figure as a number where the unit is numeric, else None."""
    number = None if text is None or unit not in NUMERIC else _number(text)
    return None if number is None else float(number)


class Outcome(WriteModel):
    description: LongText
    measure: ShortText = ""
    unit: OutcomeUnit | None = Field(default=None, description=(
        "percent, count or score: the figures are numbers; text (or none, as before units "
        "were asked for): any text"))
    baseline: ShortText | float | None = Field(default=None, description=FIGURE)
    target: ShortText | float | None = Field(default=None, description=FIGURE)
    actual: ShortText | float | None = Field(default=None, description=FIGURE)

    @field_validator(*FIGURES, mode="before")
    @classmethod
    def _not_a_flag(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a number or a text, not true or false")
        return value

    @field_validator(*FIGURES, mode="after")
    @classmethod
    def _figure(cls, value: str | float | None, info: ValidationInfo) -> str | None:
        """The figure as the text stored; a number where the unit is numeric."""
        if value is None:
            return None
        return figure(info.data.get("unit"), value, str(info.field_name))


class OutcomeRead(ReadModel):
    description: str
    measure: str = ""
    unit: OutcomeUnit | None = None
    baseline: str | None = None
    target: str | None = None
    actual: str | None = None
    baseline_value: float | None = Field(default=None, description="The baseline as a number "
                                                                   "(numeric units)")
    target_value: float | None = Field(default=None, description="The target as a number "
                                                                 "(numeric units)")
    actual_value: float | None = Field(default=None, description="The actual as a number "
                                                                 "(numeric units)")

    @model_validator(mode="before")
    @classmethod
    def _values(cls, stored: Any) -> Any:
        if not isinstance(stored, dict) or stored.get("unit") not in NUMERIC:
            return stored
        values = {}
        for name in FIGURES:
            number = None if stored.get(name) is None else _number(str(stored[name]))
            values[f"{name}_value"] = None if number is None else float(number)
        return {**stored, **values}
