"""Keyset pagination: every list answers a page of items and a signed cursor to the next.

`Paginator` pages a statement (built per request, or once per shape with `keyset_page`);
routes take `Limit` and `Cursor` and the app's paginator (`PaginatorDep`).

A cursor is good only for the list and the filters that made it: `PaginatorDep` binds the
paginator to a digest of the list's filters (the query parameters the route declares, other
than `cursor` and `limit`), and a cursor carries that digest under its signature. A cursor is
refused with a 422, like any other bad query parameter: forged, from another list, from other
filters, or from before cursors carried their filters."""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from sqlalchemy import Select, and_, bindparam, or_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session

from app.core.errors import RuleViolation

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH = 500, 50, 1024
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size (max {MAX_PAGE_SIZE}).")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH,
          description="`next_cursor` from the previous page, sent with the same filters as that "
          "page (422 under other filters: start again without it)."),
]


class InvalidCursor(RuleViolation):
    """A 422 at the cursor parameter: start again without it."""

    def __init__(self, detail: str, kind: str, param: str = "cursor") -> None:
        super().__init__(detail, errors=[{"loc": ["query", param], "msg": detail,
                                          "type": f"cursor.{kind}"}])


NOT_OURS = "The cursor is not one this service issued for this list; start again without it."
OTHER_FILTERS = "This cursor was made for other filters; start again without it."
UNBOUND = ("This cursor is from before cursors carried the filters they were made for; "
           "start again without it.")


def _key(item: Any) -> tuple[Any, bool]:
    """An ordering term as (column, descending): `column` or `column.desc()`."""
    if isinstance(item, UnaryExpression) and item.modifier is operators.desc_op:
        return item.element, True
    return item, False


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date):  # date covers datetime (lists ordered by a day)
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def _decode_value(column: Any, raw: Any) -> Any:
    python_type = column.type.python_type
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is date:
        return date.fromisoformat(raw)
    if not isinstance(raw, python_type):
        raise ValueError("cursor value of the wrong type")
    return raw


class Paginator:
    """Keyset pagination over unique column tuples, each ascending or `.desc()` (all one way
    or mixed); cursors are signed so a tampered cursor is a clean 422, never a query on
    attacker-chosen values.

    The app holds one, unbound; each request pages with a copy bound to its list's filters
    (`bound`, done by `get_paginator`). An unbound paginator writes and reads cursors without
    a filter digest: the change feed's, whose `since` is a position in commit order, good
    under any `kinds`."""

    __slots__ = ("_digest", "_filters", "_key")

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()
        self._filters: tuple[tuple[str, str], ...] | None = None  # None: unbound
        self._digest: str | None = None

    def bound(self, filters: Iterable[tuple[str, str]]) -> "Paginator":
        """This paginator for a list read with these filters ((name, value) pairs). Per
        request, so cheap: the digest is worked out only when a cursor is read or written."""
        paginator = Paginator.__new__(Paginator)
        paginator._key, paginator._filters, paginator._digest = self._key, tuple(filters), None
        return paginator

    def _filters_digest(self) -> str | None:
        if self._filters is None:
            return None
        if self._digest is None:
            self._digest = filters_digest(self._filters)
        return self._digest

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:32]

    def encode(self, scope: str, values: Sequence[Any]) -> str:
        body: list[Any] = [scope, [_encode_value(v) for v in values]]
        digest = self._filters_digest()
        if digest is not None:
            body.append(digest)
        payload = json.dumps(body).encode()
        token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{token}.{self._sign(payload)}"

    def decode(self, scope: str, cursor: str, columns: Sequence[Any], *,
               param: str = "cursor") -> list[Any]:
        """The cursor's values, one per ordering term; InvalidCursor (422 at `param`) when it
        is not this list's, or was made for other filters."""
        try:
            token, signature = cursor.rsplit(".", 1)
            payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            if not hmac.compare_digest(self._sign(payload), signature):
                raise ValueError("bad signature")
            body = json.loads(payload)
            if not isinstance(body, list) or len(body) not in (2, 3):
                raise ValueError("not a cursor")
            cursor_scope, raw, *filters = body
            if cursor_scope != scope or len(raw) != len(columns):
                raise ValueError("cursor for another list")
            values = [_decode_value(_key(c)[0], v) for c, v in zip(columns, raw, strict=True)]
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidCursor(NOT_OURS, "invalid", param) from exc
        digest = self._filters_digest()
        if digest is not None and filters != [digest]:
            if not filters:
                raise InvalidCursor(UNBOUND, "outdated", param)
            raise InvalidCursor(OTHER_FILTERS, "other_filters", param)
        return values

    def page(
        self,
        session: Session,
        stmt: Select[Any],
        order: Sequence[Any],
        *,
        scope: str,
        limit: int,
        cursor: str | None,
        whole_rows: bool = False,
    ) -> tuple[list[Any], str | None]:
        """`whole_rows`: the statement selects columns, not one entity; pages are its rows."""
        if cursor:
            values = self.decode(scope, cursor, order)
            stmt = stmt.where(_after(order, values))
        stmt = stmt.order_by(*order).limit(limit + 1)
        # Whole rows skip the ORM's result handling, which loads entities they do not need.
        rows = list(session.connection().execute(stmt).all() if whole_rows else session.scalars(stmt))
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1]
        return rows[:limit], self.encode(scope, [getattr(last, _key(c)[0].key) for c in order])

    def prepared_page(self, session: Session, stmt: Select[Any], order: Sequence[Any], *,
                      scope: str, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
        """`page` for a statement built once per shape by `keyset_page` (the cursor and the
        size are bound parameters), so that it is neither rebuilt nor re-keyed per request.
        Its rows are whole rows."""
        params: dict[str, Any] = {PAGE_SIZE: limit + 1}
        if cursor:
            params.update({f"{AFTER}{i}": value for i, value in
                           enumerate(self.decode(scope, cursor, order))})
        rows = session.connection().execute(stmt, params).all()
        if len(rows) <= limit:
            return list(rows), None
        last = rows[limit - 1]
        return list(rows[:limit]), self.encode(scope, [getattr(last, _key(c)[0].key)
                                                      for c in order])


PAGE_SIZE, AFTER = "page_size", "after_"


def keyset_page(stmt: Select[Any], order: Sequence[Any], *, after: bool) -> Select[Any]:
    """The statement for Paginator.prepared_page: ordered, limited, and when `after`, past a
    cursor's values, all as bound parameters."""
    if after:
        stmt = stmt.where(_after(order, [bindparam(f"{AFTER}{i}", type_=_key(c)[0].type)
                                         for i, c in enumerate(order)]))
    return stmt.order_by(*order).limit(bindparam(PAGE_SIZE))


def _after(order: Sequence[Any], values: Sequence[Any]) -> Any:
    """(a, b, c) > (x, y, z) in the list's order (< for a descending term), spelt out because
    SQLite and PostgreSQL differ on row values."""
    keys = [_key(item) for item in order]
    clauses = []
    for i, (column, descending) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        clauses.append(and_(*equal, column < values[i] if descending else column > values[i]))
    return or_(*clauses)


NOT_FILTERS = frozenset({"cursor", "limit"})
_UNWORKED = object()


def _declared_filters(route: Any) -> frozenset[str] | None:
    """The query parameters a list route declares, other than cursor and limit; None when it
    takes no `cursor` (the change feed, whose `since` is good under any filter). Worked out
    once per route, and kept on it."""
    found = getattr(route, "sih_list_filters", _UNWORKED)
    if found is not _UNWORKED:
        return found  # type: ignore[return-value]
    names: set[str] = set()
    dependants: list[Dependant] = [route.dependant] if hasattr(route, "dependant") else []
    while dependants:
        dependant = dependants.pop()
        names.update(field.alias for field in dependant.query_params)
        dependants.extend(dependant.dependencies)
    filters = frozenset(names - NOT_FILTERS) if "cursor" in names else None
    if route is not None:
        route.sih_list_filters = filters
    return filters


def filters_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """The filters a page was read with, normalised (sorted, blanks dropped: `?q=` is no
    filter; each name and value length-prefixed, so no two sets spell the same) and hashed
    short: the cursor is signed, so this only has to tell them apart."""
    text = "".join(f"{len(name)}.{len(value)}:{name}{value}"
                   for name, value in sorted(pair for pair in pairs if pair[1]))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


async def get_paginator(request: Request) -> Paginator:  # async: no threadpool hop
    paginator: Paginator = request.app.state.paginator
    names = _declared_filters(request.scope.get("route"))
    if names is None:
        return paginator
    return paginator.bound((k, v) for k, v in request.query_params.multi_items() if k in names)


PaginatorDep = Annotated[Paginator, Depends(get_paginator)]
