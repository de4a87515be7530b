"""Text as people type it, folded so that a search finds what they mean: `Ghaidhlig` finds
`Ghàidhlig`, a decomposed `à` finds a composed one, `St Andrew\u2019s` (a typographic
apostrophe) and `St Andrews` find `St Andrew's`.

Folding happens in Python, once, on both sides: each searched table keeps a folded copy of
the searched text (a `*_folded` column, kept by `keep_folded` on every ORM write and by a
column default on a Core insert), and a search folds its needle the same way. The same
answer on SQLite and PostgreSQL, with no database extension or collation."""

import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import Text, event, inspect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field

# Apostrophes dropped, however typed (keyboards, word processors, phones), so that `St Andrews`,
# `St Andrew's` and `St Andrew\u2019s` are one name; quotes made plain. Before decomposition:
# NFKD turns the acute accent (U+00B4) into a space and a combining mark.
_QUOTES = str.maketrans({
    "'": None, "\u2019": None, "\u2018": None, "\u201b": None, "\u02bc": None, "\u02bb": None,
    "`": None, "\u00b4": None, "\u2032": None, "\uff07": None,
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\uff02": '"',
})


def fold(text: str) -> str:
    """`text` for comparison: apostrophes dropped and quotes made plain, case folded, compatibility
    forms and accents dropped (NFKD without combining marks: any normal form in, one out),
    runs of whitespace made one space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES).casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def contains_folded(column: Any, needle: str) -> ColumnElement[bool]:
    """`column` (a folded column) contains `needle` as folded, `%` and `_` taken literally."""
    condition: ColumnElement[bool] = column.contains(fold(needle), autoescape=True)
    return condition


def FoldedField(source: str) -> Any:
    """The folded copy of the model's `source` column: stored, never dumped (so never in an
    audit snapshot or the change feed) and in no read schema. `keep_folded` keeps it on ORM
    writes; the column default fills it on a Core insert that leaves it out."""

    def from_source(context: DefaultExecutionContext) -> str:
        return fold(context.get_current_parameters().get(source) or "")

    return Field(default="", sa_type=Text, nullable=False, exclude=True,
                 sa_column_kwargs={"default": from_source, "server_default": ""})


def keep_folded(model: type, **folded_from: str) -> None:
    """Before every ORM insert or update of `model`, set each folded column (the keyword) from
    its source column (the value), e.g. keep_folded(Authority, name_folded="name"). On update
    only a changed source is folded again (an unchanged one is not even loaded)."""

    def on_insert(_mapper: Any, _connection: Any, target: Any) -> None:
        for folded, source in folded_from.items():
            setattr(target, folded, fold(getattr(target, source) or ""))

    def on_update(_mapper: Any, _connection: Any, target: Any) -> None:
        attributes = inspect(target).attrs
        for folded, source in folded_from.items():
            if attributes[source].history.has_changes():
                setattr(target, folded, fold(getattr(target, source) or ""))

    listeners: dict[str, Callable[..., None]] = {"before_insert": on_insert, "before_update": on_update}
    for name, listener in listeners.items():
        event.listen(model, name, listener)
