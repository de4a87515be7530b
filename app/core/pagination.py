"""Keyset pagination: every list answers a page of items and a signed cursor to the next.

`Paginator` pages a statement (built per request, or once per shape with `keyset_page`);
routes take `Limit` and `Cursor` and the app's paginator (`PaginatorDep`)."""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, and_, bindparam, or_
from sqlmodel import Session

from app.core.errors import BadRequest

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH = 500, 50, 1024
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size (max {MAX_PAGE_SIZE}).")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` from the previous page."),
]


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
    """Keyset pagination over ascending, unique column tuples; cursors are signed so a
    tampered cursor is a clean 400, never a query on attacker-chosen values."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:32]

    def encode(self, scope: str, values: Sequence[Any]) -> str:
        payload = json.dumps([scope, [_encode_value(v) for v in values]]).encode()
        token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{token}.{self._sign(payload)}"

    def decode(self, scope: str, cursor: str, columns: Sequence[Any]) -> list[Any]:
        try:
            token, signature = cursor.rsplit(".", 1)
            payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            if not hmac.compare_digest(self._sign(payload), signature):
                raise ValueError("bad signature")
            cursor_scope, raw = json.loads(payload)
            if cursor_scope != scope or len(raw) != len(columns):
                raise ValueError("cursor for another list")
            return [_decode_value(c, v) for c, v in zip(columns, raw, strict=True)]
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise BadRequest("The cursor is not one this service issued for this list.") from exc

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
        return rows[:limit], self.encode(scope, [getattr(last, c.key) for c in order])

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
        return list(rows[:limit]), self.encode(scope, [getattr(last, c.key) for c in order])


PAGE_SIZE, AFTER = "page_size", "after_"


def keyset_page(stmt: Select[Any], order: Sequence[Any], *, after: bool) -> Select[Any]:
    """The statement for Paginator.prepared_page: ordered, limited, and when `after`, past a
    cursor's values, all as bound parameters."""
    if after:
        stmt = stmt.where(_after(order, [bindparam(f"{AFTER}{i}", type_=c.type)
                                         for i, c in enumerate(order)]))
    return stmt.order_by(*order).limit(bindparam(PAGE_SIZE))


def _after(order: Sequence[Any], values: Sequence[Any]) -> Any:
    """(a, b, c) > (x, y, z), spelt out because SQLite and PostgreSQL differ on row values."""
    clauses = []
    for i, column in enumerate(order):
        equal = [order[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal, column > values[i]))
    return or_(*clauses)


async def get_paginator(request: Request) -> Paginator:  # async: no threadpool hop
    paginator: Paginator = request.app.state.paginator
    return paginator


PaginatorDep = Annotated[Paginator, Depends(get_paginator)]
