"""The finishing touches that make openapi/openapi.json usable on its own by a front-end team:
tag descriptions, explicit security on the public operations, and an example on every JSON
request and answer.

Examples are declared where the models live (`json_schema_extra` in app/*/schemas.py); this
module only lifts them onto each operation, so a reader (or a mock server) sees one concrete
request and answer per operation without chasing `$ref`s. A test validates every example
against its schema, so an example that drifts from its model fails the build."""

from typing import Any

from app.core.openapi_bounds import bound_contract

METHODS = ("get", "put", "post", "patch", "delete")
SCHEMAS_PREFIX = "#/components/schemas/"
PROBLEM_REF = SCHEMAS_PREFIX + "Problem"
EXAMPLE_INSTANCE = "/api/v1/establishments/0b6f1c9e-3f52-4d8a-9a7e-5c2d1e8f4a10"
# An opaque cursor as the server writes them: clients pass it back untouched.
EXAMPLE_CURSOR = "eyJrIjpbIjIwMjUtMDgtMThUMDk6MDA6MDBaIiwiMGI2ZjFjOWUiXX0.q2V0Yk9o"

TAGS = [
    {"name": "identity", "description": "Tokens (OAuth2 password, refresh and client-credentials "
     "grants), the caller, users and integration clients."},
    {"name": "organisation", "description": "Regions (Regional Improvement Collaboratives), "
     "local authorities, clusters and establishments."},
    {"name": "frameworks", "description": "Reference data: HGIOS4, HGIOELC and other quality "
     "frameworks with their indicators and scales; the National Improvement Framework."},
    {"name": "planning", "description": "School improvement plans and their priorities, "
     "standards and quality reports, and each authority's planning calendar."},
    {"name": "assurance", "description": "Support status, officer visits and validated "
     "self-evaluation (VSE) cycles."},
    {"name": "professional learning", "description": "Trios and quads of headteachers, their "
     "meetings and peer reviews; CLPL events, registrations and evaluations."},
    {"name": "performance", "description": "The figures authorities steer by, as published: "
     "attainment (ACEL), school statistics and external inspections."},
    {"name": "insight", "description": "Aggregated summaries for portals and critical indicators."},
    {"name": "integration", "description": "Bulk imports, the change feed and the audit log."},
    {"name": "operations", "description": "Liveness, readiness and metrics for the platform."},
]
# Answered before any token is looked at: the token endpoint issues them, the probes serve
# load balancers and Prometheus, which hold none.
PUBLIC_OPERATIONS = {"issueToken", "getHealth", "getReadiness"}
# Operations with a token of their own, not an access token: the scraper's (app/ops.py), which
# is asked for only where the setting holds one (`{}`: no token is also a way in).
OWN_SECURITY: dict[str, list[dict[str, list[str]]]] = {"getMetrics": [{"MetricsToken": []}, {}]}
# POSTs that ignore Idempotency-Key (main.py: never_remembered): their answers are tokens.
NOT_REMEMBERED = {"issueToken", "revokeToken"}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "One key per intended action (a UUID): a retry with the same key and body "
                   "replays the first answer instead of doing the work twice. Kept 24 hours; "
                   "what one caller may keep a day is bounded (429 `idempotency-store-full` "
                   "beyond). An answer that holds a secret is never kept: its retry is 409 "
                   "`secret-shown-once`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "5f0c6a2e-8b1d-4c3a-9e7f-2d4b6a8c0e13",
}
IDEMPOTENCY_ANSWERS = {
    "400": "Malformed request (bad JSON, bad Idempotency-Key)",
    "409": "Conflicts with the current state, or a retry with this Idempotency-Key while the "
           "first request is still running (see Retry-After)",
    "422": "Valid JSON that breaks a rule, or this Idempotency-Key reused with another body",
}

_PROBLEM_DETAILS = {
    400: ("malformed-json", "Malformed JSON", "The body is not valid JSON."),
    401: ("unauthorized", "Not authenticated", "The access token has expired."),
    403: ("forbidden", "Not allowed", "Only officers of the establishment's authority may do this."),
    404: ("not-found", "Not found", "No establishment 0b6f1c9e-3f52-4d8a-9a7e-5c2d1e8f4a10."),
    409: ("conflict", "Conflict with the current state",
          "An establishment with SEED code 8412321 already exists."),
    412: ("stale-version", "Precondition failed",
          'If-Match "3" does not match the current version "4".'),
    413: ("body-too-large", "Request body too large", "The body is larger than 1048576 bytes."),
    415: ("unsupported-media-type", "Unsupported media type", "Send application/json."),
    428: ("if-match-required", "Precondition required",
          "Send If-Match with the ETag you read, so no update is lost."),
    429: ("rate-limited", "Too many requests", "Too many attempts; retry after 60 seconds."),
    503: ("unavailable", "Service unavailable", "The database cannot be reached."),
}


def problem_example(status: int) -> dict[str, Any]:
    """A problem+json body as the error handlers write it for `status`."""
    from app.core.errors import TYPE_BASE

    if status == 422:
        return {
            "type": TYPE_BASE + "validation", "title": "Validation failed", "status": 422,
            "detail": "The request breaks 1 rule.", "instance": "/api/v1/establishments",
            "errors": [{"loc": ["body", "roll"], "msg": "must be >= 0", "type": "ge"}],
        }
    slug, title, detail = _PROBLEM_DETAILS.get(status, ("bad-request", "Bad request", None))
    return {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail,
            "instance": EXAMPLE_INSTANCE}


def finish_contract(document: dict[str, Any]) -> dict[str, Any]:
    """Complete the generated document in place (and return it)."""
    document["tags"] = TAGS
    schemas = document.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        for example in schema.get("examples", []):
            restore_nulls(example, schema, schemas)
    for path_item in document.get("paths", {}).values():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            if operation.get("operationId") in PUBLIC_OPERATIONS:
                operation["security"] = []
            elif operation.get("operationId") in OWN_SECURITY:
                operation["security"] = OWN_SECURITY[operation["operationId"]]
            elif method == "post" and operation.get("operationId") not in NOT_REMEMBERED:
                _declare_idempotency(operation)
            body = operation.get("requestBody", {}).get("content", {})
            _lift_examples(body, schemas)
            for code, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if code.isdigit() and int(code) >= 400:
                    for media in content.values():
                        if media.get("schema", {}).get("$ref") == PROBLEM_REF:
                            media.setdefault("example", problem_example(int(code)))
                    _lift_examples(content, schemas)
                else:
                    _lift_examples(content, schemas)
    return bound_contract(document)


def _declare_idempotency(operation: dict[str, Any]) -> None:
    """Every authenticated POST honours Idempotency-Key (app/core/idempotency.py): say so, with
    the answers it adds: 400 for a malformed key, 409 while the first request still runs, 422
    for the same key with another body."""
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
        parameters.append(IDEMPOTENCY_KEY)
    responses = operation.setdefault("responses", {})
    for code, description in IDEMPOTENCY_ANSWERS.items():
        responses.setdefault(code, {"description": description, "content": {
            "application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}})


def _lift_examples(content: dict[str, Any], schemas: dict[str, Any]) -> None:
    for media_type, media in content.items():
        if "json" not in media_type or "example" in media or "examples" in media:
            continue
        example = example_of(media.get("schema", {}), schemas)
        if example is not None:
            media["example"] = example


def example_of(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The first declared example of `schema`; a page or list of a model is built from the
    model's own example. None when nothing is declared."""
    if "examples" in schema:
        return schema["examples"][0]
    ref = schema.get("$ref", "")
    if ref.startswith(SCHEMAS_PREFIX):
        name = ref.removeprefix(SCHEMAS_PREFIX)
        target = schemas.get(name, {})
        if "examples" in target:
            return target["examples"][0]
        if name.startswith("Page_"):
            item = example_of(target["properties"]["items"]["items"], schemas)
            return None if item is None else {"items": [item], "next_cursor": EXAMPLE_CURSOR}
        return None
    for branch in schema.get("anyOf", []):  # an optional body or a choice: show the first
        example = None if branch.get("type") == "null" else example_of(branch, schemas)
        if example is not None:
            return example
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        item = example_of(schema["items"], schemas)
        return None if item is None else [item]
    return None


def restore_nulls(example: Any, schema: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put back the nulls that FastAPI's document builder strips (it drops every None, examples
    included): a required, nullable field missing from an example was null in the model."""
    ref = schema.get("$ref", "")
    if ref.startswith(SCHEMAS_PREFIX):
        restore_nulls(example, schemas.get(ref.removeprefix(SCHEMAS_PREFIX), {}), schemas)
        return
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            restore_nulls(example, branch, schemas)
    if isinstance(example, list) and isinstance(schema.get("items"), dict):
        for item in example:
            restore_nulls(item, schema["items"], schemas)
    if not isinstance(example, dict):
        return
    for name, field in schema.get("properties", {}).items():
        if name in example:
            restore_nulls(example[name], field, schemas)
        elif name in schema.get("required", []) and _nullable(field):
            example[name] = None


def _nullable(field: dict[str, Any]) -> bool:
    return field.get("type") == "null" or any(b.get("type") == "null" for b in field.get("anyOf", []))
