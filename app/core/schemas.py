"""Field types and base models that every domain's contract uses."""

import calendar
import json
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
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError


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

# A decimal may be sent as text ("23.50"); its text is as bounded as the contract says
# (core/openapi_bounds.py declares this maxLength on every decimal's string form).
DECIMAL_TEXT_MAX = 32


def _short_decimal_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > DECIMAL_TEXT_MAX:
        raise ValueError(f"a number written as text has at most {DECIMAL_TEXT_MAX} characters")
    return value


DecimalText = BeforeValidator(_short_decimal_text)  # put it in every decimal field's Annotated


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


SHOWN_LENGTH = 40  # the longest part of a rejected value a message repeats


def shown(value: Any) -> str:
    """A rejected value as an error message repeats it: text quoted (and cut short), numbers
    and literals as JSON writes them, objects and lists only named."""
    if isinstance(value, str):
        cut = value[:SHOWN_LENGTH]
        return repr(cut)[:-1] + ("…" if len(value) > SHOWN_LENGTH else "") + repr(cut)[-1]
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return "(an object)" if isinstance(value, dict) else "(a list)" if isinstance(value, list) \
        else "(another type)"


def _rfc3339_only(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the contract says RFC 3339.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(f"date-time {shown(value)} is not an RFC 3339 date-time with an offset: "
                         "write it like 2025-08-18T09:00:00Z")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_only)]

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")  # whole value: fullmatch


def _iso_date_only(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the contract says YYYY-MM-DD. Both
    # refusals repeat the value sent, so a client can see which of its dates was refused.
    if isinstance(value, date):
        return value
    match = _ISO_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"date {shown(value)} is not written YYYY-MM-DD: write the year, "
                         "month and day with hyphens, e.g. 2025-10-07")
    try:
        return date.fromisoformat(value)
    except ValueError:
        year, month, _day = (int(part) for part in match.groups())
        if not 1 <= month <= 12:
            why = f"there is no month {month:02d}"
        elif year < 1:
            why = "there is no year 0000"
        else:
            why = (f"{calendar.month_name[month]} {year} has "
                   f"{calendar.monthrange(year, month)[1]} days")
        # The type pydantic gives an impossible date, so that clients keying on it still work.
        raise PydanticCustomError(
            "date_from_datetime_parsing",
            f"date {shown(value)} does not exist ({why}): send a real date, YYYY-MM-DD",
        ) from None


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


class VisitKind(StrEnum):
    support_and_challenge = "support_and_challenge"
    plan_review = "plan_review"
    attainment_review = "attainment_review"
    learning_teaching_review = "learning_teaching_review"
    vse = "vse"
    other = "other"


# The visits an authority counts toward its minimum unless it says otherwise.
COUNTED_VISIT_KINDS = ("support_and_challenge", "plan_review", "vse")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_SESSION = re.compile(r"([0-9]{4})-([0-9]{2})")  # whole value: fullmatch
# What people write for a session instead: 2025/26, 2025-2026, 2025 - 26 (any dash), 2025_26.
_SESSION_LOOSELY = re.compile(r"\s*([0-9]{4})\s*[-/\u2010-\u2015_.\s]\s*([0-9]{2}|[0-9]{4})\s*")


def _session_example() -> str:
    start = latest_session_start() - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _school_session(value: str) -> str:
    """A session is written YYYY-YY with consecutive years, within the window the hub keeps.
    Every refusal repeats the value and says how to write it (not the regular expression)."""
    match = _SESSION.fullmatch(value)
    if match is None:
        loose = _SESSION_LOOSELY.fullmatch(value)
        start = int(loose.group(1)) if loose else None
        if loose and start is not None and int(loose.group(2)) in (start + 1, (start + 1) % 100):
            how = f"write it as {start}-{(start + 1) % 100:02d}"
        else:
            how = f"write it YYYY-YY with consecutive years, e.g. {_session_example()}"
        # The type the regular expression gave, so that clients keying on it still work.
        raise PydanticCustomError(
            "string_pattern_mismatch", f"session {shown(value)} is not a school session: {how}")
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        raise ValueError(f"session {shown(value)} is not a school session: the years must follow "
                         f"each other, e.g. {start}-{(start + 1) % 100:02d}")
    last = latest_session_start()
    if not FIRST_SESSION_START <= start <= last:
        raise ValueError(f"session {shown(value)} is outside the sessions the hub keeps: a school "
                         f"session from {FIRST_SESSION_START}-01 to the next one, "
                         f"{last}-{(last + 1) % 100:02d}")
    return value


# The pattern stays in the contract (clients and generated forms use it); the messages come
# from _school_session, which checks it.
SchoolSession = Annotated[
    str,
    AfterValidator(_school_session),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$"}),
]


MAX_SESSIONS = 12  # a trend of twelve sessions is already more than any board paper shows


def _school_sessions(value: str) -> str:
    """`2022-23,2023-24` or a range `2022-23..2024-25`: the sessions, oldest first, each
    checked as a session is, as one comma-separated text (split it with `.split(",")`)."""
    wanted: set[str] = set()
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        first, dots, last = part.partition("..")
        first, last = _school_session(first.strip()), _school_session(last.strip()) if dots else None
        if last is None:
            wanted.add(first)
            continue
        if last < first:
            raise ValueError(f"sessions {shown(part)}: the range must run from the earlier "
                             "session to the later one")
        for start in range(int(first[:4]), int(last[:4]) + 1):
            wanted.add(f"{start}-{(start + 1) % 100:02d}")
        if len(wanted) > MAX_SESSIONS:
            break
    if not wanted:
        raise ValueError("name at least one session, e.g. 2023-24,2024-25 or 2022-23..2024-25")
    if len(wanted) > MAX_SESSIONS:
        raise ValueError(f"at most {MAX_SESSIONS} sessions at once")
    return ",".join(sorted(wanted))


SchoolSessions = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(_school_sessions),
    WithJsonSchema({"type": "string", "maxLength": 200,
                    "pattern": r"^\d{4}-\d{2}((,|\.\.)\d{4}-\d{2})*$"}),
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
