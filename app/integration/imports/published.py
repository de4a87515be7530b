"""Converters for the cells of published statistics (Scottish Government and Education
Scotland files): sessions as they write them, Excel date serials, suppression markers."""

import re
from datetime import date, datetime, timedelta
from typing import Any

from app.integration.imports.rows import blank_to_none, text_code

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, as Lotus 1-2-3's leap-year bug left it
# Markers the SG tables print for a figure not published: `*` and `c` (confidential), `z`
# (not applicable), `x` (not available). Never zero.
NOT_PUBLISHED = frozenset({"*", "c", "z", "x", "-", ".", ".."})


def school_session(value: Any) -> Any:
    """2025-26, also written 2025/26 or 2025-2026 (the files' `2016/17`)."""
    value = text_code(value)
    if isinstance(value, str):
        first, _, second = value.strip().replace("/", "-").partition("-")
        first, second = first.strip(), second.strip()
        if len(second) == 4 and second[:2] == first[:2]:
            second = second[2:]
        return f"{first}-{second}" if second else value
    return value


def published_number(value: Any) -> Any:
    """A figure, or None where the file marks it as not published (never zero)."""
    value = blank_to_none(value)
    if isinstance(value, str) and value.strip().lower() in NOT_PUBLISHED:
        return None
    return value


def day(value: Any) -> Any:
    """A date as files write it: ISO (2023-05-15), 15/05/2023, or an Excel serial (45061,
    also with a time of day as a fraction: 40609.333333333328). Anything else is left for the
    row schema to refuse (or for the kind to read as "not inspected")."""
    value = blank_to_none(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value))
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?", text):
            try:  # ISO, as JSON lines and workbooks give dates (with a time of day: its day)
                return datetime.fromisoformat(text).date()
            except ValueError:
                raise ValueError(f"{text!r} is not a date") from None
        if re.fullmatch(r"[0-9]{4,5}(\.[0-9]+)?", text):
            return _serial(float(text))
        found = re.fullmatch(r"([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})", text)
        if found:
            try:
                return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
            except ValueError:
                raise ValueError(f"{text!r} is not a date") from None
    return value


def _serial(number: float) -> date:
    # 1 January 1990 (32874) to 2100: a serial outside that is no school inspection's.
    if not 32874 <= number < 73051:
        raise ValueError(f"{number:g} is not a date (an Excel date serial from 1990 on, or "
                         "YYYY-MM-DD)")
    return EXCEL_EPOCH + timedelta(days=int(number))


def folded(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", value.lower())
