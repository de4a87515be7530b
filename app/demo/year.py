"""The demo's year: the current school session (the one today falls in) and the last one,
with dates inside them computed from today, so the demo is right whenever it is loaded. What
the record says happened is dated on or before today; what is planned, after it. Each school
draws its year from its own random numbers (seeded by its code), so the same school gets the
same year on every load, and adding a school reshuffles no other."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.core.schemas import session_bounds, session_of
from app.core.types import utcnow

# Chosen (among a few tried) for the spread it gives the demo officer's twelve schools: five green,
# five amber and two red; four at or above the minimum of visits, eight below it.
SEED = "nl-demo-8"
TERM_STARTS = timedelta(days=17)  # schools go back about 18 August
WEEKEND = 5  # Saturday, as date.weekday() counts
# (month, day) to (month, day), both included: no visit is made or planned then.
HOLIDAYS = [((7, 1), (8, 17)), ((12, 22), (12, 31)), ((1, 1), (1, 5)), ((4, 3), (4, 17))]


def school_day(day: date) -> bool:
    """Not a weekend, nor in the (usual) school holidays."""
    return day.weekday() < WEEKEND and not any(
        first <= (day.month, day.day) <= last for first, last in HOLIDAYS)


def rng(*keys: object) -> random.Random:
    """The random numbers of one thing of the demo (a school, by its code): the same on
    every load, whatever else the demo holds."""
    return random.Random(":".join([SEED, *map(str, keys)]))  # noqa: S311 - not for secrets


def previous(session_name: str) -> str:
    start = int(session_name[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class Year:
    today: date

    @classmethod
    def now(cls) -> "Year":
        return cls(utcnow().date())

    @property
    def current(self) -> str:
        return session_of(self.today)

    @property
    def last(self) -> str:
        return previous(self.current)

    @property
    def start(self) -> date:
        return session_bounds(self.current)[0]

    def past(self, fraction: float) -> date:
        """A school day of this session so far, `fraction` of the way from the start of term
        to today (never after today; today itself if term has not started)."""
        first = min(self.start + TERM_STARTS, self.today)
        day = first + timedelta(days=round((self.today - first).days * min(max(fraction, 0), 1)))
        while not school_day(day) and day - timedelta(days=1) >= first:
            day -= timedelta(days=1)
        return day

    def ahead(self, days: int) -> date:
        """The `days`-th school day after today (weekends and holidays not counted)."""
        day, left = self.today, max(days, 1)
        while left:
            day += timedelta(days=1)
            left -= school_day(day)
        return day

    def week(self, day: date, past: bool) -> tuple[date, date]:
        """Monday to Wednesday of a school week near `day`: the one it is in (`past`: not
        before the start of its session, not after today), else the next whole one."""
        if past:
            first = max(day - timedelta(days=day.weekday()), session_bounds(session_of(day))[0])
            return first, min(first + timedelta(days=2), self.today)
        first = day + timedelta(days=(7 - day.weekday()) % 7)
        while not (school_day(first) and school_day(first + timedelta(days=2))):
            first += timedelta(days=7)
        return first, first + timedelta(days=2)

    def in_last(self, month: int, day: int) -> date:
        """A day of the last session (month 8 to 12 in its first year, 1 to 7 in its second)."""
        first = int(self.last[:4])
        found = date(first if month >= 8 else first + 1, month, day)
        while not school_day(found):
            found -= timedelta(days=1)
        return found

    def due(self, session_name: str) -> tuple[date, date]:
        """The authority's calendar: plans due 30 September, reports the last Friday of June."""
        first = int(session_name[:4])
        report = date(first + 1, 6, 30)
        while report.weekday() != 4:
            report -= timedelta(days=1)
        return date(first, 9, 30), report
