"""Sessions and days relative to today, for the trio rules that depend on it (a meeting held,
a review dated): the last session (all of it past), this one, and the next (all of it ahead)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.core.schemas import session_of
from tests.learning.trio_world import TRIOS, TrioWorld


def today() -> date:
    return datetime.now(UTC).date()


def sessions() -> tuple[str, str, str]:
    """(last session, this session, next session)."""
    start = int(session_of(today())[:4])
    return tuple(f"{y}-{(y + 1) % 100:02d}" for y in (start - 1, start, start + 1))  # type: ignore[return-value]


def past_session() -> str:
    return sessions()[0]


def next_session() -> str:
    return sessions()[2]


def in_session(session: str, month: int, day: int) -> str:
    """A day of `session` (months from August belong to its first year)."""
    start = int(session[:4])
    return date(start if month >= 8 else start + 1, month, day).isoformat()


def tomorrow() -> str:
    return (today() + timedelta(days=1)).isoformat()


def plan(api: Any, world: TrioWorld, trio: dict[str, Any]) -> list[dict[str, Any]]:
    answer = api.post(f"{TRIOS}/{trio['id']}/meetings/plan", headers=world.headers(world.officer))
    assert answer.status_code == 201, answer.text
    meetings: list[dict[str, Any]] = answer.json()
    return meetings


def everyone(trio: dict[str, Any], status: str = "present") -> list[dict[str, str]]:
    return [{"establishment_id": m["establishment_id"], "status": status} for m in trio["members"]]


def if_match(world: TrioWorld, who: Any, version: int | str = 1) -> dict[str, str]:
    tag = version if isinstance(version, str) else f'"{version}"'
    return world.headers(who, **{"If-Match": tag})
