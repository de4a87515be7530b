"""What an import kind is made of, and the converters its row schema uses.

A kind is one small module (see kinds/) that registers an `ImportKindSpec`:
- a row schema: a pydantic model that reads one record's cells, whether text from a CSV or
  typed values from JSON lines, using the same field types as the API's own contract;
- the columns it accepts (header names, including those of the public files councils hold);
- `lookup`: the existing records of a whole batch, in one query (or a few), never per row;
- `apply`: one row, written through the domain's own service functions, so every rule,
  policy check and audit record is the one a single API write gets.
"""

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from app.identity.principal import Principal


class Outcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


class RowFailure(Exception):
    """This row cannot be imported; `field` names the row field at fault, if one is."""

    def __init__(self, field_name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Skipped:
    """The row is left out on purpose (reported as a warning, not an error)."""

    reason: str


@dataclass(frozen=True)
class Noted:
    """The row was written (`outcome`), with something the sender should know about it
    (reported as a warning on its line, naming `field`'s column)."""

    outcome: Outcome
    field: str | None
    reason: str


@dataclass
class ImportContext:
    session: Session
    principal: Principal  # the principal rows are written as (policy.importer)
    dry_run: bool
    also_created: Counter[str] = field(default_factory=Counter)
    created_as: Counter[str] = field(default_factory=Counter)  # how created records came out
    cache: dict[str, Any] = field(default_factory=dict)  # per-import lookups (directories)
    # What the sender said of the whole file beside it (?session= for a file naming none).
    options: dict[str, str] = field(default_factory=dict)


Numbered = tuple[int, Any]  # (line, row)
Lookup = Callable[[ImportContext, list[Any]], Any]
Apply = Callable[[ImportContext, Any, Any], "Outcome | Skipped | Noted"]


@dataclass(frozen=True)
class ImportKindSpec:
    name: str
    row: type[BaseModel]
    columns: Mapping[str, str]  # normalised header name -> row field
    required: tuple[str, ...]  # row fields whose column must be there
    key: str  # row field naming the record, unique within a file
    lookup: Lookup
    apply: Apply
    # Two rows with one key: the merged row, or None (then the second is a duplicate).
    merge: Callable[[Any, Any], Any | None] | None = None
    # Service error locations (`body.<field>`) -> row field, to name the file's column.
    fields_of: Mapping[str, str] = field(default_factory=dict)
    # True when `apply` refuses a row (RowFailure, a refusal) before it writes anything, and
    # its lookup only reads: a partial import then writes a batch in one savepoint.
    checks_first: bool = False

    def field_for(self, header_name: str) -> str | None:
        return self.columns.get(normalise_header(header_name))

    def names_for(self, row_field: str) -> list[str]:
        return [name for name, target in self.columns.items() if target == row_field]


def normalise_header(name: str) -> str:
    """"Pupil_Roll", "pupil roll" and "pupilroll" are one column; so are "Pupil roll [Note 2]"
    and "Pupil roll" (the Scottish Government's tables number their footnotes per edition)."""
    return re.sub(r"[^0-9a-z]", "", re.sub(r"\[\s*note\s*\d+\s*\]", "", name.lower()))


# Converters for row schemas (pydantic BeforeValidators) --------------------------------------

NOT_GIVEN = frozenset({"", "null", "none", "n/a", "na"})
SUPPRESSED = frozenset({"*", "c", "z"})  # statistical suppression markers (SG tables)


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return None if value.lower() in NOT_GIVEN else value
    return value


def number_or_none(value: Any) -> Any:
    """Counts and shares: blank and suppressed cells are "not given"."""
    value = blank_to_none(value)
    if isinstance(value, str) and value.lower() in SUPPRESSED:
        return None
    return value


def whole_number(value: Any) -> Any:
    value = number_or_none(value)
    if isinstance(value, float):  # JSON lines and workbooks: 412.0 is 412, 412.5 is no roll
        if value.is_integer():
            return int(value)
        raise ValueError("a whole number, e.g. 412")
    if isinstance(value, str):
        text = value.replace(",", "").replace(" ", "")
        if re.fullmatch(r"[0-9]+(\.0+)?", text):
            return int(text.split(".")[0])
        raise ValueError("a whole number, e.g. 412")
    return value


def decimal_number(value: Any) -> Any:
    value = number_or_none(value)
    if isinstance(value, float):
        if not math.isfinite(value):  # JSON lines may say NaN or Infinity
            raise ValueError("a number, e.g. 23.5")
        # The shortest text that is this float: 23.5, not Decimal(23.5)'s binary expansion.
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.rstrip("%").strip()
        if re.fullmatch(r"-?[0-9]+,[0-9]+", text):
            text = text.replace(",", ".")  # a decimal comma, as European spreadsheets write
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError("a number, e.g. 23.5") from None
    return value


TRUE = frozenset({"true", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "no", "n", "0", "f"})


def yes_no(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in TRUE or lowered in FALSE:
            return lowered in TRUE
        raise ValueError("yes or no (also: true/false, Y/N, 1/0)")
    return value


def text_code(value: Any) -> Any:
    """Codes arrive as numbers from JSON and from spreadsheets that dropped the quotes (a
    workbook's whole numbers arrive as ints, workbook.py)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return blank_to_none(value)


def code_list(value: Any) -> Any:
    """"8000001; 8000002" or "8000001 8000002" (or a JSON list)."""
    value = blank_to_none(value)
    if isinstance(value, str):
        return [part for part in re.split(r"[;,\s]+", value) if part]
    if isinstance(value, list):
        return [text_code(v) for v in value]
    return value
