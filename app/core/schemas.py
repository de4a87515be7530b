"""Field types and base models that every domain's contract uses."""

import re
from datetime import date, datetime
from enum import StrEnum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)


def _printable(value: str) -> str:
    # NUL and other C0 controls (but tab and newlines) break PostgreSQL text and log lines.
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError("control characters are not allowed")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_printable)]
LongText = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_printable)]
# Query-string text (search terms, filters): same rule, so NUL never reaches the database.
QueryText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_printable)]


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339_only(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the contract says RFC 3339.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("an RFC 3339 date-time with an offset, e.g. 2025-08-18T09:00:00Z")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_only)]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the contract says YYYY-MM-DD.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("a date written YYYY-MM-DD")
    return value


FIRST_SESSION_START = 2000  # 2000-01: the oldest session the hub keeps records for


def latest_session_start(today: date | None = None) -> int:
    """The start year of the next school session: the latest one anything may be planned in."""
    today = today or datetime.now().date()
    return (today.year if today.month >= 8 else today.year - 1) + 1


def _in_the_window(value: date) -> date:
    # The same window as sessions (2000-01 to the next one), so every record dated can be
    # found again by its session, and a mistyped year is refused rather than kept for ever.
    last = latest_session_start()
    if not date(FIRST_SESSION_START, 8, 1) <= value <= date(last + 1, 7, 31):
        raise ValueError(f"a date from 1 August {FIRST_SESSION_START} to 31 July {last + 1} (the "
                         f"school sessions {FIRST_SESSION_START}-01 to {last}-"
                         f"{(last + 1) % 100:02d}, the next one); {value.isoformat()} is outside")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_in_the_window)]


def _scalar(annotation: Any) -> Any:
    """bool or int when a field holds just that (optionally None), else None."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else None
        while get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
    return annotation if annotation in (bool, int) else None


class WriteModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped, and JSON types are
    taken at their word: `0` is not false and `"4"` is not 4."""

    model_config = ConfigDict(extra="forbid")

    # A field validator (not a model one), so that the error's loc names the field.
    @field_validator("*", mode="before")
    @classmethod
    def _json_types_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        kind = _scalar(field.annotation) if field is not None else None
        if kind is None or value is None:
            return value
        if kind is bool and not isinstance(value, bool):
            raise ValueError("must be true or false")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("must be a whole number")
        return value


class Rag(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"


class SupportLevel(StrEnum):
    universal = "universal"
    additional = "additional"
    intensive = "intensive"


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_SESSION = re.compile(r"^(\d{4})-(\d{2})$")


def _consecutive_years(value: str) -> str:
    match = _SESSION.match(value)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError("a school session is written YYYY-YY with consecutive years, e.g. 2025-26")
    last = latest_session_start()
    if not FIRST_SESSION_START <= int(match.group(1)) <= last:
        raise ValueError(f"a school session from {FIRST_SESSION_START}-01 to the next one, "
                         f"{last}-{(last + 1) % 100:02d}; {value} is outside")
    return value


SchoolSession = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}$"),
    AfterValidator(_consecutive_years),
]


def session_bounds(session: str) -> tuple[Any, Any]:
    """A Scottish school session runs from 1 August to 31 July."""
    from datetime import date

    start = int(session[:4])
    return date(start, 8, 1), date(start + 1, 7, 31)


def current_session() -> str:
    """The school session today falls in."""
    return session_of(datetime.now().date())


def session_of(day: Any) -> str:
    """The school session a date falls in (sessions start on 1 August)."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"
