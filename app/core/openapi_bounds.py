"""Bounds and headers the OWASP API ruleset (Spectral, run by scripts/lint_contract) asks of
the contract, added to the generated document in one place rather than on every model.

- Strings: a UUID is 36 characters, a date 10, a date-time at most 35 (RFC 3339 with
  microseconds and an offset is 32); a pattern's longest match when it has one. An answer's
  field takes the limit of the request field it was written through (`XRead.name` that of
  `XCreate.name`/`XUpdate.name`); what is left in answers is text the service writes itself or
  stores from bounded input, declared with the ceilings below.
- A decimal written as text (the `string` beside a `number`): 32 characters.
- Integers: int32 or int64 by their bounds; counts and versions in answers are 0 or more.
- Arrays in answers: a page holds at most 500 items (the `limit` cap); others take the limit of
  the request field they were written through, else the ceiling below.
- Headers: RateLimit and RateLimit-Policy on every answer (sent to callers with a request
  budget, app/identity/ratelimit.py), Retry-After on 429, Access-Control-Allow-Origin (sent to
  browsers calling from an allowed origin, when SIH_CORS_ORIGINS is set).
- The bearer scheme says it follows RFC 8725; the server says it is public (`x-internal`).

Request-side limits are never invented here: a request string or array is bounded only where
its value could never be longer (UUIDs, dates, patterns) or the model already says so."""

import math
import re
from collections.abc import Iterator
from typing import Any

from app.core.schemas import DECIMAL_TEXT_MAX

SCHEMAS_PREFIX = "#/components/schemas/"
INT32 = 2**31 - 1
INT64 = 2**63 - 1
PAGE_MAX = 500  # app/core/pagination: ?limit= at most 500
# Text the service writes in answers beyond what any request field bounds (labels it builds,
# messages, summaries' names, opaque cursors). No request body may exceed 1 MiB, and what is
# stored from one is bounded by its model; these ceilings are generous on purpose.
ANSWER_TEXT_MAX = 65_536
ANSWER_ARRAY_MAX = 10_000
FORMAT_MAX = {"uuid": 36, "date": 10, "date-time": 35, "email": 320, "uri": 2083,
              "duration": 64, "time": 21}
HEADER_TEXT_MAX = 1024
# The request model an answer model's fields were written through: VseRead <- VseCreate, ...
WRITE_SUFFIXES = ("Create", "Update", "Upsert", "Put", "Write", "Patch", "In")
READ_SUFFIXES = ("Read", "Created", "ListItem", "Out", "")

RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit": {
        "description": "What is left of the caller's request budget (IETF "
                       "draft-ietf-httpapi-ratelimit-headers): `r` requests in the next `t` "
                       "seconds. Sent on every answer to a caller with a budget "
                       "(SIH_RATE_LIMIT_PER_PRINCIPAL); pace requests before a 429.",
        "schema": {"type": "string", "maxLength": 256},
        "example": '"principal";r=1187;t=42',
    },
    "RateLimit-Policy": {
        "description": "The caller's request budget: `q` requests per `w` seconds, sent with "
                       "RateLimit.",
        "schema": {"type": "string", "maxLength": 256},
        "example": '"principal";q=1200;w=60',
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 86400},
        "example": 42,
    },
    "Access-Control-Allow-Origin": {
        "description": "The calling page's origin, sent only to a browser calling from one of "
                       "the allowed origins (SIH_CORS_ORIGINS; none by default). Never `*` "
                       "with credentials.",
        "schema": {"type": "string", "maxLength": 2048},
        "example": "https://portal.example.org",
    },
}
HEADERS_PREFIX = "#/components/headers/"
# Answered to no caller (the probes) or counted per address and account, not per caller (the
# token endpoint): no RateLimit headers are sent on these (.spectral.yaml says why).
UNBUDGETED_OPERATIONS = {"issueToken", "getHealth", "getReadiness", "getMetrics"}
RFC8725_NOTE = (" Access tokens are JWTs signed and checked as RFC8725 (JSON Web Token Best "
                "Current Practices) asks: one allowed algorithm per key, `alg: none` refused, "
                "issuer, audience, expiry and not-before checked; access tokens are short-lived "
                "and refreshed with rotating refresh tokens.")


def bound_contract(document: dict[str, Any]) -> dict[str, Any]:
    """Add bounds and headers in place (and return the document)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    requested = _reachable(_request_roots(document), schemas)
    written = _write_limits(schemas)
    for name, schema in schemas.items():
        in_request = name in requested
        for field, node in _properties(schema):
            _bound(node, in_request, written.get((_stem(name), field)))
        _bound(schema, in_request, None)
    for path_item in document.get("paths", {}).values():
        for operation in _operations(path_item):
            for parameter in operation.get("parameters", []):
                _bound(parameter.get("schema", {}), True, None)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _bound(media.get("schema", {}), True, None)
            for answer in operation.get("responses", {}).values():
                for media in answer.get("content", {}).values():
                    _bound(media.get("schema", {}), False, None)
                for header in answer.get("headers", {}).values():
                    if "schema" in header:
                        _bound(header["schema"], False, None, header=True)
            _declare_headers(operation)
    components = document.setdefault("components", {})
    components.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    for scheme in components.get("securitySchemes", {}).values():
        if scheme.get("type") == "oauth2" or str(scheme.get("bearerFormat", "")).lower() == "jwt":
            description = scheme.get("description", "Bearer tokens from /api/v1/auth/token.")
            if "RFC8725" not in description:
                scheme["description"] = description + RFC8725_NOTE
    for server in document.get("servers", []):
        server.setdefault("x-internal", False)
    return document


def _declare_headers(operation: dict[str, Any]) -> None:
    budgeted = operation.get("operationId") not in UNBUDGETED_OPERATIONS
    for code, answer in operation.get("responses", {}).items():
        headers = answer.setdefault("headers", {})
        names = ["Access-Control-Allow-Origin"]
        if budgeted:
            names += ["RateLimit", "RateLimit-Policy"]
        if code == "429":
            names.append("Retry-After")
        for name in names:
            headers.setdefault(name, {"$ref": HEADERS_PREFIX + name})


def _operations(path_item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for method in ("get", "put", "post", "patch", "delete", "head", "options"):
        if isinstance(path_item.get(method), dict):
            yield path_item[method]


def _request_roots(document: dict[str, Any]) -> Iterator[Any]:
    for path_item in document.get("paths", {}).values():
        for operation in _operations(path_item):
            yield operation.get("parameters", [])
            yield operation.get("requestBody", {})


def _reachable(roots: Iterator[Any], schemas: dict[str, Any]) -> set[str]:
    """Names of the component schemas a request can carry."""
    found: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(SCHEMAS_PREFIX):
                name = ref.removeprefix(SCHEMAS_PREFIX)
                if name not in found:
                    found.add(name)
                    pending.append(schemas.get(name, {}))
            pending.extend(v for k, v in node.items() if k not in ("example", "examples"))
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _stem(name: str) -> str:
    for suffix in READ_SUFFIXES + WRITE_SUFFIXES:
        if suffix and name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


def _write_limits(schemas: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(stem, field) -> the limits a request model puts on that field (the largest)."""
    limits: dict[tuple[str, str], dict[str, Any]] = {}
    for name, schema in schemas.items():
        if not name.endswith(WRITE_SUFFIXES):
            continue
        for field, node in schema.get("properties", {}).items():
            found = {k: v for k, v in _limits_in(node)}
            if found:
                slot = limits.setdefault((_stem(name), field), {})
                for key, value in found.items():
                    slot[key] = max(slot.get(key, 0), value)
    return limits


def _limits_in(node: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """maxLength of a string (or its array's items), maxItems of an array, through anyOf."""
    for branch in [node, *node.get("anyOf", [])]:
        if branch.get("type") == "string" and "maxLength" in branch:
            yield "maxLength", branch["maxLength"]
        if branch.get("type") == "array":
            if "maxItems" in branch:
                yield "maxItems", branch["maxItems"]
            items = branch.get("items", {})
            if isinstance(items, dict) and "maxLength" in items:
                yield "itemMaxLength", items["maxLength"]


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from schema.get("properties", {}).items()


def _bound(node: Any, in_request: bool, written: dict[str, Any] | None,
           header: bool = False) -> None:
    """Bound `node` and the schemas under it. `written`: the limits of the request field the
    value came through. Request schemas get only bounds their values cannot exceed."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        return  # bounded where it is defined
    for key in ("anyOf", "oneOf", "allOf"):
        branches = node.get(key, [])
        kinds = {b.get("type") for b in branches} - {"null"}
        # A decimal, number or text: its text is bounded in requests too (core.schemas'
        # DecimalText refuses longer text in every decimal field).
        if kinds == {"number", "string"}:
            for branch in branches:
                if branch.get("type") == "string" and len(branch) == 1:
                    branch["maxLength"] = DECIMAL_TEXT_MAX
        for branch in branches:
            _bound(branch, in_request, written, header)
    kind = node.get("type")
    if kind == "string":
        _bound_string(node, in_request, written, header)
    elif kind == "integer":
        _bound_integer(node, in_request)
    elif kind == "array":
        if "maxItems" not in node and not in_request:
            node["maxItems"] = (written or {}).get("maxItems", ANSWER_ARRAY_MAX)
        items = node.get("items")
        item_written = ({"maxLength": written["itemMaxLength"]}
                        if written and "itemMaxLength" in written else None)
        _bound(items, in_request, item_written, header)
    elif kind == "object":
        for _field, sub in _properties(node):
            _bound(sub, in_request, None, header)
        if isinstance(node.get("additionalProperties"), dict):
            _bound(node["additionalProperties"], in_request, None, header)


def _bound_string(node: dict[str, Any], in_request: bool, written: dict[str, Any] | None,
                  header: bool) -> None:
    if "maxLength" in node or "enum" in node or "const" in node:
        return
    if node.get("format") in FORMAT_MAX:
        node["maxLength"] = FORMAT_MAX[node["format"]]
    elif "pattern" in node and (width := _longest_match(node["pattern"])) is not None:
        node["maxLength"] = width
    elif in_request:
        return  # only the model may bound what a client sends
    elif written and "maxLength" in written:
        node["maxLength"] = written["maxLength"]
    else:
        node["maxLength"] = HEADER_TEXT_MAX if header else ANSWER_TEXT_MAX


def _bound_integer(node: dict[str, Any], in_request: bool) -> None:
    if not in_request and "minimum" not in node and "exclusiveMinimum" not in node:
        node["minimum"] = 0  # counts, versions, positions, sizes
    if "maximum" not in node and "exclusiveMaximum" not in node:
        node["maximum"] = INT64  # what a BIGINT column holds: nothing larger is stored
    if "format" not in node:
        low = node.get("minimum", node.get("exclusiveMinimum", -math.inf))
        high = node.get("maximum", node.get("exclusiveMaximum", math.inf))
        node["format"] = "int32" if low >= -INT32 - 1 and high <= INT32 else "int64"


def _longest_match(pattern: str) -> int | None:
    """The longest string `pattern` can match, when it is anchored and bounded."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    try:
        from re import _parser  # type: ignore[attr-defined]

        high = _parser.parse(pattern).getwidth()[1]
        limit = _parser.MAXREPEAT
    except (re.error, ImportError):
        return None
    return None if high >= limit else int(high)
