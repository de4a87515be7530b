"""Rate limits per principal: every authenticated request counts against its caller's budget
(`SIH_RATE_LIMIT_PER_PRINCIPAL`, e.g. "1200/minute"; empty turns them off).

Sliding window counters: two counts per caller, whatever the budget (a moving window keeps a
timestamp per request: 22 us a hit with 90,000 in a window). The counts live where
`SIH_RATE_LIMIT_STORAGE_URI` says: `memory://` (the default) counts per process, so with N
replicas a caller gets up to N times the budget; `redis://host:6379` shares one count across
replicas. Unlike the sign-in limits (identity/ratelimit.py, in the database, because they stop
password guessing), these protect capacity, so they must cost next to nothing per request: no
database write on the hot path."""

import math
import threading
import time
from collections.abc import Callable, Hashable
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.identity.principal import Principal
from app.identity.rate_limit_headers import Budget, record_budget

POLICY = "principal"  # its name in the RateLimit and RateLimit-Policy headers


@lru_cache(maxsize=8)
def _item(rule: str) -> RateLimitItem:
    return parse(rule)


class PrincipalLimits:
    def __init__(self, settings: Settings) -> None:
        uri = settings.rate_limit_storage_uri
        self._local = LocalWindows()  # memory://: counted here, not by the library
        self._limiter = (None if uri == "memory://" else
                         SlidingWindowCounterRateLimiter(storage_from_string(uri)))

    def hit(self, settings: Settings, principal: Principal) -> None:
        """Count one request of `principal`; 429 with Retry-After once its budget is spent.
        The settings are those of the moment (tests and operators may change the rule)."""
        if not settings.rate_limit_per_principal:
            return
        item = _item(settings.rate_limit_per_principal)
        if self._limiter is None:
            wait, budget = self._local.count((principal.kind, principal.id), item.amount,
                                             item.get_expiry())
            record_budget(POLICY, budget)
            if wait:
                raise TooManyRequests(max(1, math.ceil(wait)))
            return
        key = f"{principal.kind}:{principal.id}"
        counted = self._limiter.hit(item, "principal", key)
        stats = self._limiter.get_window_stats(item, "principal", key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        record_budget(POLICY, Budget(item.amount, item.get_expiry(), max(0, stats.remaining), wait))
        if not counted:
            raise TooManyRequests(wait)


class LocalWindows:
    """Sliding window counters in this process, for `memory://`: the rule and approximation of
    the `limits` library's sliding window counter (the previous window's count, weighted by
    how much of it the window ending now still covers, plus the current one's), at a dict
    lookup a request. Its memory storage cost 20 us a request in the app (locks, key
    strings, an expiry thread), a fifth of a whole read; shared stores still go through it."""

    KEPT = 10_000  # callers remembered before the idle ones are forgotten

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[Hashable, tuple[int, int, int]] = {}  # window, count, previous count

    def _state(self, key: Hashable, seconds: int) -> tuple[float, int, int, int]:
        """Now, its window, and `key`'s count in it and in the window before (held lock)."""
        now = self._clock()
        window = int(now // seconds)
        current, count, previous = self._counts.get(key, (window, 0, 0))
        if window != current:
            count, previous = 0, (count if window == current + 1 else 0)
        return now, window, count, previous

    def hit(self, key: Hashable, amount: int, seconds: int) -> float:
        """Count one request under `key` (`amount` per `seconds`): 0 if counted, else how
        many seconds until one would be (then nothing is counted)."""
        return self.count(key, amount, seconds)[0]

    def count(self, key: Hashable, amount: int, seconds: int) -> tuple[float, Budget]:
        """As hit, and what is left of the budget after it (RateLimit), in one pass."""
        with self._lock:
            now, window, count, previous = self._state(key, seconds)
            ends = (window + 1) * seconds
            if previous * (ends - now) / seconds + count + 1 <= amount:
                count += 1
                wait = 0.0
            else:
                wait = self._wait(now, ends, seconds, amount, count, previous)
            if len(self._counts) >= self.KEPT and key not in self._counts:
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= window - 1}
            self._counts[key] = (window, count, previous)
        used = previous * (ends - now) / seconds + count
        return wait, Budget(amount, seconds, max(0, math.floor(amount - used + 1e-9)),
                            max(1, math.ceil(ends - now)))

    @staticmethod
    def _wait(now: float, ends: float, seconds: int, amount: int, count: int,
              previous: int) -> float:
        """When previous x share + count + 1 first fits the budget: later in this window as the
        previous one's share shrinks, or else in the next, where this window is the previous."""
        if count + 1 <= amount:  # so previous > 0: its share must fall to what is left
            return ends - seconds * (amount - count - 1) / previous - now
        share = (amount - 1) / count
        return ends + seconds - seconds * share - now
