"""Rate limits per principal: every authenticated request counts against its caller's budget
(`SIH_RATE_LIMIT_PER_PRINCIPAL`, e.g. "1200/minute"; empty turns them off).

A sliding window counter kept by the `limits` library: two counts per caller, whatever the
budget (a moving window keeps a timestamp per request, and its memory store shifts all of
them on every hit: 22 us a request with 90,000 in a window, against 5). The counts live where
`SIH_RATE_LIMIT_STORAGE_URI` says: `memory://` (the default) counts per process, so with N
replicas a caller gets up to N times the budget; `redis://host:6379` shares one count across
replicas. Unlike the sign-in limits (identity/ratelimit.py, in the database, because they stop
password guessing), these protect capacity, so they must cost next to nothing per request: no
database write on the hot path."""

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.identity.principal import Principal


@lru_cache(maxsize=8)
def _item(rule: str) -> RateLimitItem:
    return parse(rule)


class PrincipalLimits:
    def __init__(self, settings: Settings) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(settings.rate_limit_storage_uri))

    def hit(self, settings: Settings, principal: Principal) -> None:
        """Count one request of `principal`; 429 with Retry-After once its budget is spent.
        The settings are those of the moment (tests and operators may change the rule)."""
        if not settings.rate_limit_per_principal:
            return
        item = _item(settings.rate_limit_per_principal)
        key = f"{principal.kind}:{principal.id}"
        if self._limiter.hit(item, "principal", key):
            return
        reset_at = self._limiter.get_window_stats(item, "principal", key).reset_time
        raise TooManyRequests(max(1, math.ceil(reset_at - time.time())))
