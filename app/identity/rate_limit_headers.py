"""Rate-limit headers (IETF draft-ietf-httpapi-ratelimit-headers): a caller with a request
budget is told, on every answer, what the budget is and what is left of it, so that it can pace
itself before a 429:

    RateLimit-Policy: "principal";q=1200;w=60     (q requests per w seconds)
    RateLimit: "principal";r=1187;t=42           (r left, t seconds until the window turns)

The limiter (request_limits.py) records the state of the budget it counted against in a holder
that the middleware below puts in a context variable for each request; the holder is a mutable
object, so a count recorded in a task that copied the context still reaches the answer."""

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Budget:
    quota: int
    window_seconds: int
    remaining: int
    reset_seconds: int


_budgets: ContextVar[dict[str, Budget] | None] = ContextVar("rate_limit_budgets", default=None)


def record_budget(policy: str, budget: Budget) -> None:
    """Note the budget `policy` counted this request against (outside a request: nothing)."""
    holder = _budgets.get()
    if holder is not None:
        holder[policy] = budget


def rate_limit_headers(budgets: dict[str, Budget]) -> list[tuple[bytes, bytes]]:
    if not budgets:
        return []
    policy = ", ".join(f'"{name}";q={b.quota};w={b.window_seconds}' for name, b in budgets.items())
    state = ", ".join(f'"{name}";r={b.remaining};t={b.reset_seconds}'
                      for name, b in budgets.items())
    return [(b"ratelimit-policy", policy.encode()), (b"ratelimit", state.encode())]


class RateLimitHeadersMiddleware:
    """Add RateLimit and RateLimit-Policy to the answer of a request that was counted against
    a budget (every authenticated request while SIH_RATE_LIMIT_PER_PRINCIPAL is set); answers
    to no caller (probes, a 401) carry none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder: dict[str, Budget] = {}
        token = _budgets.set(holder)

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start" and holder:
                names = {b"ratelimit", b"ratelimit-policy"}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + rate_limit_headers(holder)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_budget)
        finally:
            _budgets.reset(token)
