"""Hostile input: bodies, query strings and paths built to break a parser, a database or a
pagination scheme. Each is answered with a 4xx problem+json, and nothing is written (the rows and
the audit log are counted before and after). Run on PostgreSQL too: it refuses NUL in text and
lone surrogates in UTF-8, where SQLite would store them."""

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.main import app as default_app
from app.organisations.models import Establishment
from tests.factories import Factory

ESTABLISHMENTS = "/api/v1/establishments"
PROBLEM = "application/problem+json"


def _establishment(**fields: Any) -> dict[str, Any]:
    return {"code": "8100001", "name": "Hostile Primary", "sector": "primary",
            "authority_id": "{authority_id}", **fields}


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


# name -> (raw body, content type, expected statuses). {authority_id} is filled in per test.
BODIES: dict[str, tuple[bytes, str | None, set[int]]] = {
    "malformed json": (b'{"code": "8100001", "name": ', "application/json", {400}),
    "trailing garbage": (_json(_establishment()) + b"}}", "application/json", {400}),
    "10,000 nested arrays": (b"[" * 10_000 + b"]" * 10_000, "application/json", {400, 422}),
    "10,000 nested objects": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json",
                              {400, 422}),
    "nested arrays in a field": (
        _json(_establishment())[:-1] + b', "area": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        "application/json", {400, 422}),
    "1e400 (infinite float)": (_json(_establishment()).replace(b'"primary"', b'"primary", "roll": 1e400'),
                               "application/json", {400, 422}),
    "a 5,000-digit integer": (_json(_establishment()).replace(
        b'"primary"', b'"primary", "roll": 1' + b"0" * 5_000), "application/json", {400, 422}),
    "NaN": (_json(_establishment()).replace(b'"primary"', b'"primary", "roll": NaN'),
            "application/json", {400, 422}),
    "negative zero roll as -1e400": (_json(_establishment()).replace(
        b'"primary"', b'"primary", "roll": -1e400'), "application/json", {400, 422}),
    "huge string": (_json(_establishment(name="x" * 500_000)), "application/json", {422}),
    "invalid utf-8": (b'{"code": "8100001", "name": "Bad \xff\xfe Primary", "sector": "primary"}',
                      "application/json", {400, 422}),
    "overlong utf-8 encoding of /": (b'{"code": "8100001", "name": "a\xc0\xafb"}',
                                     "application/json", {400, 422}),
    "NUL in a string": (_json(_establishment(name="Null\u0000Primary")), "application/json", {422}),
    "NUL in the code": (_json(_establishment(code="81\u000000001")), "application/json", {422}),
    "NUL in a key": (_json({**_establishment(), "na\u0000me": "x"}), "application/json", {422}),
    "lone surrogate": (_json(_establishment()).replace(b"Hostile", b"\\ud800Hostile"),
                       "application/json", {400, 422}),
    "array, not object": (b"[]", "application/json", {422}),
    "null body": (b"null", "application/json", {422}),
    "empty body": (b"", "application/json", {400, 422}),
    "wrong content type": (_json(_establishment()), "text/plain", {415}),
    "xml": (b"<establishment><code>8100001</code></establishment>", "application/xml", {415}),
    "form": (b"code=8100001&name=Hostile", "application/x-www-form-urlencoded", {415}),
    "missing content type": (_json(_establishment()), None, {415}),
    "oversized body": (_json(_establishment(name="x", notes="y" * (1024 * 1024 + 10))),
                       "application/json", {413}),
    "sql in a field": (_json(_establishment(name="x'); DROP TABLE establishment; --")),
                       "application/json", {201}),  # stored as text: proves it is just text
}


def _counts(db: Session) -> tuple[int, int]:
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(Establishment)) or 0,
            db.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.parametrize("case", sorted(BODIES))
def test_hostile_body_is_refused_with_nothing_written(api, make: Factory, db: Session,
                                                      case: str) -> None:
    raw, content_type, expected = BODIES[case]
    authority = make.authority()
    headers = make.headers(make.admin())
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = _counts(db)
    answer = api.post(ESTABLISHMENTS, content=raw.replace(b"{authority_id}", str(authority.id).encode()),
                      headers=headers)
    assert answer.status_code in expected, answer.text[:500]
    if answer.status_code == 201:  # the one written on purpose: stored verbatim, nothing else
        assert answer.json()["name"] == "x'); DROP TABLE establishment; --"
        assert _counts(db)[0] == before[0] + 1
        return
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["status"] == answer.status_code
    assert _counts(db) == before


def test_hostile_patch_leaves_the_record_as_it_was(api, make: Factory, db: Session) -> None:
    """An update carrying NUL, a surrogate or an infinite number changes nothing, version included."""
    school = make.establishment()
    headers = make.headers(make.admin())
    current = api.get(f"{ESTABLISHMENTS}/{school.id}", headers=headers)
    for raw in (b'{"name": "a\\u0000b"}', b'{"name": "\\udfff"}', b'{"roll": 1e400}',
                b'{"roll": 1' + b"0" * 5000 + b"}", b"[" * 10_000 + b"]" * 10_000):
        answer = api.patch(f"{ESTABLISHMENTS}/{school.id}", content=raw, headers={
            **headers, "Content-Type": "application/json", "If-Match": current.headers["etag"]})
        assert 400 <= answer.status_code < 500, (raw[:40], answer.text[:300])
        assert answer.headers["content-type"].startswith(PROBLEM)
    after = api.get(f"{ESTABLISHMENTS}/{school.id}", headers=headers)
    assert after.json() == current.json()
    assert after.headers["etag"] == current.headers["etag"]


# Query and path parameters, from the contract so that a new operation is covered too. ----------

TEXT_INJECTIONS = ("' OR '1'='1", "1; DROP TABLE establishment; --", "../../../../etc/passwd",
                   "..%2F..%2Fetc%2Fpasswd", "a\u0000b", "%00", "x" * 5_000, "${jndi:ldap://x/a}",
                   "<script>alert(1)</script>", "\u202e\u0000\u0007", "%")
# As sent on the wire: percent-encoded, plus bytes that are not UTF-8 at all (a lone surrogate
# encoded as if it were a character, a stray 0xFF).
INJECTIONS = (*(quote(text, safe="") for text in TEXT_INJECTIONS), "%ED%A0%80", "%FF%FE", "%C0%AF")


def _get_operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = default_app.openapi()
    found = []
    for path, path_item in document["paths"].items():
        operation = path_item.get("get")
        if operation and path.startswith("/api/v1/"):
            found.append((operation["operationId"], path, operation))
    return found


def _is_list(operation: dict[str, Any]) -> bool:
    return any(p["name"] == "cursor" for p in operation.get("parameters", []))


def _string_params(operation: dict[str, Any]) -> list[dict[str, Any]]:
    def is_text(schema: dict[str, Any]) -> bool:
        kinds = [schema, *schema.get("anyOf", []), *[schema.get("items", {})]]
        return any(k.get("type") == "string" for k in kinds) or "enum" in schema
    return [p for p in operation.get("parameters", [])
            if p["in"] in ("query", "path") and is_text(p.get("schema", {}))]


def _fill_path(path: str, world: dict[str, str], *, fresh: bool = True) -> str:
    for name, value in world.items():
        path = path.replace("{" + name + "}", value)
    if not fresh:
        return path
    return re.sub(r"\{[a-z_]+_id\}", str(uuid.uuid4()), path)  # a record nobody has


@pytest.fixture
def world(make: Factory, db: Session) -> dict[str, Any]:
    authority = make.authority()
    school = make.establishment(authority)
    admin = make.admin()
    db.commit()
    return {"headers": make.headers(admin), "school": school,
            "path": {"authority_id": str(authority.id), "region_id": str(make.region().id),
                     "establishment_id": str(school.id), "code": "HGIOS4",
                     "school_session": "2025-26", "kind": "establishments"}}


@pytest.mark.parametrize("operation_id,path,operation",
                         _get_operations(), ids=[o[0] for o in _get_operations()])
def test_injected_strings_in_query_and_path_are_answered_cleanly(
        api, db: Session, world: dict[str, Any], operation_id: str, path: str,
        operation: dict[str, Any]) -> None:
    before = _counts(db)
    for parameter in _string_params(operation):
        for payload in INJECTIONS:
            if parameter["in"] == "path":
                url = _fill_path(path.replace("{" + parameter["name"] + "}", payload), world["path"])
            else:
                url = f"{_fill_path(path, world['path'])}?{parameter['name']}={payload}"
            answer = api.get(url, headers=world["headers"])
            where = f"{operation_id} {parameter['in']} {parameter['name']}={payload[:30]!r}"
            assert answer.status_code < 500, f"{where}: {answer.text[:300]}"
            if answer.status_code >= 400:
                assert answer.headers["content-type"].startswith(PROBLEM), where
            elif _is_list(operation) and parameter["name"] not in ("cursor",):
                # A filter never widens into "every row": nothing here matches these strings.
                items = answer.json().get("items", [])
                assert all(str(world["school"].id) != i.get("id") for i in items), where
    assert _counts(db) == before


LIST_OPERATIONS = [(o, p) for o, p, op in _get_operations() if _is_list(op)]


@pytest.mark.parametrize("operation_id,path", LIST_OPERATIONS, ids=[o for o, _ in LIST_OPERATIONS])
def test_limits_and_cursors_out_of_bounds_are_refused(api, world: dict[str, Any],
                                                      operation_id: str, path: str) -> None:
    url = _fill_path(path, world["path"])
    # Under a parent this test did not make (a trio's meetings), "no such trio" may come first.
    unknown_parent = re.search(r"\{[a-z_]+_id\}", _fill_path(path, world["path"], fresh=False))
    refusals = {404, 422} if unknown_parent else {422}  # a bad cursor is a 422, like a bad limit
    for limit in ("0", "-1", "501", "10" * 30, "1e3", "abc", ""):
        answer = api.get(url, params={"limit": limit}, headers=world["headers"])
        assert answer.status_code == 422, (operation_id, limit, answer.status_code)
        assert answer.headers["content-type"].startswith(PROBLEM)
    for cursor in ("not-a-cursor", "eyJhIjoxfQ.0000", "." * 40, "x" * 2_000, "\u0000"):
        answer = api.get(url, params={"cursor": cursor}, headers=world["headers"])
        assert answer.status_code in refusals, (operation_id, cursor[:20], answer.status_code)
        assert answer.headers["content-type"].startswith(PROBLEM)


def test_a_tampered_cursor_is_refused(api, make: Factory, world: dict[str, Any]) -> None:
    """A real cursor with one character of its payload or its signature changed is a 422."""
    make.establishment()
    first = api.get(ESTABLISHMENTS, params={"limit": 1}, headers=world["headers"])
    cursor = first.json()["next_cursor"]
    assert cursor
    payload, signature = cursor.split(".")
    flip = {"A": "B", "B": "A"}
    tampered = [payload[:-1] + flip.get(payload[-1], "A") + "." + signature,
                payload + "." + signature[:-1] + ("0" if signature[-1] != "0" else "1"),
                payload + "." + signature + "0", payload, "." + signature]
    for value in tampered:
        answer = api.get(ESTABLISHMENTS, params={"cursor": value, "limit": 1}, headers=world["headers"])
        assert answer.status_code == 422, (value, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
    assert api.get(ESTABLISHMENTS, params={"cursor": cursor, "limit": 1},
                   headers=world["headers"]).status_code == 200


# An authority's areas: hostile names and merge targets are refused, nothing written. --------

AREA_BODIES: dict[str, bytes] = {
    "NUL in the name": _json({"name": "Blan\u0000tyre"}),
    "a control character": _json({"name": "Blantyre\u0007"}),
    "a name that folds to nothing": _json({"name": "'\u2019 "}),
    "a 5,000-character name": _json({"name": "x" * 5_000}),
    "a list for a name": _json({"name": ["Blantyre"]}),
    "a null name": _json({"name": None}),
    "nested arrays for a name": b'{"name": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    "a lone surrogate": b'{"name": "\\ud800Blantyre"}',
    "an unknown field": _json({"name": "Blantyre", "authority_id": str(uuid.uuid4())}),
    "no body": b"",
}
MERGE_BODIES: dict[str, bytes] = {
    "not a uuid": _json({"into_area_id": "' OR '1'='1"}),
    "a null target": _json({"into_area_id": None}),
    "no target": _json({}),
    "a number": _json({"into_area_id": 1e400}),
    "itself": b'{"into_area_id": "{area_id}"}',
    "an area nobody has": _json({"into_area_id": str(uuid.uuid4())}),
}


@pytest.mark.parametrize("operation,case", [
    *(("createArea", case) for case in sorted(AREA_BODIES)),
    *(("updateArea", case) for case in sorted(AREA_BODIES)),
    *(("mergeArea", case) for case in sorted(MERGE_BODIES)),
])
def test_hostile_area_bodies_are_refused_with_nothing_written(api, make: Factory, db: Session,
                                                            operation: str, case: str) -> None:
    from app.organisations.models import Area

    authority = make.authority()
    area = make.area(authority, "Blantyre")
    headers = {**make.headers(make.admin()), "Content-Type": "application/json", "If-Match": '"1"'}
    method, path, raw = {
        "createArea": ("POST", f"/api/v1/authorities/{authority.id}/areas", AREA_BODIES.get(case)),
        "updateArea": ("PATCH", f"/api/v1/areas/{area.id}", AREA_BODIES.get(case)),
        "mergeArea": ("POST", f"/api/v1/areas/{area.id}/merge", MERGE_BODIES.get(case)),
    }[operation]
    assert raw is not None
    db.commit()
    before = (_counts(db), db.scalar(select(func.count()).select_from(Area)))
    answer = api.request(method, path, content=raw.replace(b"{area_id}", str(area.id).encode()),
                         headers=headers)
    assert 400 <= answer.status_code < 500, (operation, case, answer.text[:300])
    assert answer.headers["content-type"].startswith(PROBLEM)
    db.expire_all()
    assert (_counts(db), db.scalar(select(func.count()).select_from(Area))) == before
    assert db.get(Area, area.id).name == "Blantyre"
