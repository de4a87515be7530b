"""Field types and base models that every domain's contract uses."""

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints


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


class WriteModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_SESSION = re.compile(r"^(\d{4})-(\d{2})$")


def _consecutive_years(value: str) -> str:
    match = _SESSION.match(value)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError("a school session is written YYYY-YY with consecutive years, e.g. 2025-26")
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
