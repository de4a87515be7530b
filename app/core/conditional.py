"""Conditional requests: ETags on reads (If-None-Match answered with 304) and If-Match on
writes (428 without it, 412 when it names another version)."""

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request, Response

from app.core.errors import PreconditionFailed, PreconditionRequired, RuleViolation

# The longest If-Match / If-None-Match accepted (a list of ETags): 422 beyond, as the contract
# says (an ETag here is a version or a 32-character hash, in quotes).
MAX_CONDITION_LENGTH = 1024


def etag_for(version: int) -> str:
    return f'"{version}"'


def etag_with(version: int, derived: Any) -> str:
    """The ETag of a versioned resource shown with figures derived from other records (an
    establishment with its year): the version, then a digest of the figures, so that a poll
    with If-None-Match sees them change. If-Match compares the version part only: it guards
    the resource's own fields, which is what a write could lose."""
    if derived is None:
        return etag_for(version)
    digest = hashlib.sha256(orjson.dumps(derived, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f'"{version}.{digest[:16]}"'


def _version_part(tag: str) -> str:
    """`"7.<digest>"` (etag_with) as the version it names, `"7"`; any other tag as it is."""
    head, dot, _ = tag.partition(".")
    return f'{head}"' if dot and tag.startswith('"') and head[1:].isdigit() else tag


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def held(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or any, `*`): answer 304 then."""
    if if_none_match is None:
        return False
    if len(if_none_match) > MAX_CONDITION_LENGTH:
        too_long = f"String should have at most {MAX_CONDITION_LENGTH} characters"
        raise RuleViolation(too_long, errors=[{"loc": ["header", "If-None-Match"],
                                               "msg": too_long, "type": "string_too_long"}])
    tags = _tags(if_none_match)
    return tag in tags or "*" in tags


@dataclass(frozen=True)


class IfMatch:
    """The If-Match a client sent; services call it with the version they hold."""

    header: str | None
    required: bool = True

    def __call__(self, version: int) -> None:
        if self.header is None:
            if self.required:
                raise PreconditionRequired(
                    "Send If-Match with the ETag you last read, so no update is lost."
                )
            return
        tags = [_version_part(t) for t in _tags(self.header)]
        if "*" not in tags and etag_for(version) not in tags:
            raise PreconditionFailed(
                f"The resource is at version {version}; your If-Match does not match. "
                "Fetch it again and retry."
            )


def if_match(
    header: Annotated[
        str | None,
        Header(alias="If-Match", description="ETag of the version you are changing.",
               max_length=MAX_CONDITION_LENGTH),
    ] = None,
) -> IfMatch:
    return IfMatch(header)


def if_match_optional(
    header: Annotated[
        str | None,
        Header(alias="If-Match", description="Optional: ETag of the version you are changing.",
               max_length=MAX_CONDITION_LENGTH),
    ] = None,
) -> IfMatch:
    return IfMatch(header, required=False)


IfMatchDep = Annotated[IfMatch, Depends(if_match)]
OptionalIfMatchDep = Annotated[IfMatch, Depends(if_match_optional)]


def with_version_etag(response: Response, body: Any) -> Any:
    """Send a written resource back with the ETag of its new version."""
    response.headers["ETag"] = etag_for(body.version)
    return body


def with_etag(request: Request, response: Response, body: Any, version: int,
              tag: str | None = None) -> Any:
    """Set the ETag (`tag`, else the version's); answer 304 when the client already holds
    it."""
    tag = tag or etag_for(version)
    if held(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return body


def conditional_get() -> dict[str, Any]:
    """`openapi_extra` for a GET answered by with_etag or conditional_response: the ETag it
    sends and the If-None-Match / 304 it honours, declared for clients (fresh per route: the
    document builder merges it into the operation, and later steps add to what it holds)."""
    etag = {"description": "The version of this representation (strong): send it back in "
                           "If-None-Match to poll, or in If-Match to write",
            "schema": {"type": "string"}, "example": '"3"'}
    return {
        "parameters": [{
            "name": "If-None-Match", "in": "header", "required": False,
            "schema": {"type": "string", "maxLength": MAX_CONDITION_LENGTH}, "example": '"3"',
            "description": "ETags the client holds: 304 without a body if one is current"}],
        "responses": {
            "200": {"headers": {"ETag": etag}},
            "304": {"description": "Not modified: the representation the client holds is "
                                   "current", "headers": {"ETag": dict(etag)}},
        },
    }


def content_etag(body: bytes) -> str:
    """A strong ETag for a computed representation (a summary): a hash of its bytes."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def conditional_response(request: Request, body: bytes, media_type: str,
                         filename: str | None = None) -> Response:
    """The representation with its content ETag, or 304 when the client already holds it.
    Varies on Accept: the JSON and CSV of one resource are different representations.
    `filename`: what a browser saves it as (Content-Disposition: attachment)."""
    headers = {"ETag": content_etag(body), "Vary": "Accept"}
    if filename is not None:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'

    if held(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)
