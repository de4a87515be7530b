"""Structured JSON logs with the request id, request metrics, and security headers."""

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from functools import lru_cache
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.docs import DOCUMENTATION_PAGES
from app.core.errors import unexpected_error_response

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Labelled by route template (never the raw path: ids would make a series per record).
REQUESTS = Counter("sih_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("sih_http_request_seconds", "HTTP request latency",
                    ["method", "route", "status"],
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
POOL_SIZE = Gauge("sih_db_pool_size", "Connections the pool keeps open (its configured size)")
POOL_CHECKED_OUT = Gauge("sih_db_pool_checked_out", "Pooled connections in use by requests")
POOL_OVERFLOW = Gauge("sih_db_pool_overflow",
                      "Connections open beyond the pool size (negative: size not yet reached)")


def record_pool(engine: Engine) -> None:
    """Sample the pool at scrape time (this process's pool: each worker has its own)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):  # in-memory SQLite in tests uses a single connection
        POOL_SIZE.set(pool.size())
        POOL_CHECKED_OUT.set(pool.checkedout())
        POOL_OVERFLOW.set(pool.overflow())

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
# The documentation pages (/docs, /redoc: app/core/docs.py) load Swagger UI and ReDoc from this
# process; their pages hold no inline script or style. Swagger UI draws its icons from data:
# URLs. ReDoc adds two <style> elements of its own, allowed by their hashes alone: the empty
# ones styled-components fills through the CSSOM, and perfect-scrollbar's fixed stylesheet
# (a new ReDoc may change it: tests/contract/test_docs_browser.py fails on any CSP violation).
# ReDoc's search runs in a worker it makes from a blob. The document and "try it out" are 'self'.
_EMPTY_STYLE = b"'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
_REDOC_SCROLLBAR_STYLE = b"'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"
_DOCS_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self' " + _EMPTY_STYLE + b" "
    + _REDOC_SCROLLBAR_STYLE + b"; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    b"worker-src blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Every request writes one (the access log), so it is written
    by orjson, with the time string made once per second."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
    _stamp: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry, default=str).decode()
        except orjson.JSONEncodeError:  # what orjson refuses (an integer beyond 64 bits)
            return json.dumps(entry, default=str)

    def _time(self, created: float) -> str:
        second, stamp = self._stamp
        if int(created) != second:
            second = int(created)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", self.converter(second))
            self._stamp = (second, stamp)
        return stamp


def configure_logging(level: str, as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    if as_json:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints query strings; ours below does not, and carries the id.
    logging.getLogger("uvicorn.access").disabled = True
    # What no line of ours shows (thread, process, calling frame), not worked out per record:
    # the logging HOWTO's "Optimization" settings.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None


def route_template(scope: Scope) -> str:
    """The matched route's template with its router's prefix ("/api/v1/establishments/{id}").
    The route in the scope knows only its path inside its router; the prefix is the part of
    the request path in front of what the route's pattern matches."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if template is None or pattern is None:
        return "unmatched"
    path: str = scope["path"]
    start = 0
    while start != -1:
        if pattern.fullmatch(path[start:]):
            return path[:start] + str(template)
        start = path.find("/", start + 1)
    return str(template)


class RequestContextMiddleware:
    """Request id in and out, one access-log line, metrics, and security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("app.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]
        documentation = path in DOCUMENTATION_PAGES

        responded = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"server" in names:
                    headers = [(k, v) for k, v in headers if k.lower() != b"server"]
                headers.append((b"x-request-id", request_id.encode()))
                headers += _security_headers(documentation, b"cache-control" in names)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Answered here, inside the request's context, so that the 500 (or the 503 of a
            # database that is away) carries the request id and the security headers, and
            # its log line the request id.
            if responded:
                raise
            await unexpected_error_response(Request(scope), exc)(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"]
            count, latency = _series(method, route_template(scope), status)
            count.inc()
            latency.observe(elapsed)
            self.log.info(
                "request",
                extra={"method": method, "path": path, "status": status,
                       "duration_ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(token)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one method, route and status, looked up
    once (labels() takes a lock and builds the key every time). Any other method a client
    sends is "other": it must not make a series per invented name."""
    key = (method if method in _METHODS else "other", route, status)
    found = _SERIES.get(key)
    if found is None:
        labels = (key[0], route, str(status))
        found = _SERIES[key] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    return found


@lru_cache(maxsize=4)
def _security_headers(documentation: bool, has_cache_control: bool) -> list[tuple[bytes, bytes]]:
    """What SECURITY_HEADERS add to an answer: the docs page needs its own CSP, and an answer
    that sets its own Cache-Control keeps it."""
    return [(name, _DOCS_CSP if documentation and name == b"content-security-policy" else value)
            for name, value in SECURITY_HEADERS
            if not (has_cache_control and name == b"cache-control")]
