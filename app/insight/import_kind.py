"""Import kind `critical-indicator-values`: a region's or an authority's table of critical
indicators, one row per indicator and session, as the West Partnership keeps it.

Columns: the indicator, by `indicator_id` or by its `indicator` name (with `owner`, a region
or authority code, where a name repeats among the indicators the caller can see); `session`
(2025-26; the record: one row per indicator and session); `baseline`, `value`, `target`
(numbers; "62%", "62,5", and "TBC" or "N/A" for not known) and `note`.

Rows are written as PUT /critical-indicators/{id}/values/{session} writes them, by the
indicator's managers (the region's leads, the authority's admins). Blank cells leave a figure
as it is. A computed indicator's value comes from the service's own data: a file giving one
fails that row (its baseline, target and note are imported).
"""

import uuid
from contextlib import suppress
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from app.core.errors import Forbidden
from app.core.schemas import Name, SchoolSession, ShortText
from app.insight.indicators import (
    indicators_named,
    owner_of,
    stored_values,
    write_value,
)
from app.insight.models import CriticalIndicator
from app.insight.schemas import Figure
from app.integration.imports.published import school_session
from app.integration.imports.registry import register
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Outcome,
    RowFailure,
    blank_to_none,
    decimal_number,
    text_code,
)
from app.organisations.service import authority_directory, region_directory

NOT_KNOWN = frozenset({"tbc", "tbd", "unknown"})  # the note says why; the figure stays empty


def _figure(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in NOT_KNOWN:
        return None
    return decimal_number(value)


def _text(value: Any) -> Any:
    """A note as written: only an empty cell is "not given" ("N/A" is a note)."""
    if isinstance(value, str):
        return value.strip() or None
    return value


class ValueRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    indicator_id: Annotated[uuid.UUID | None, BeforeValidator(blank_to_none)] = None
    indicator: Annotated[Name | None, BeforeValidator(blank_to_none)] = None
    owner: Annotated[str | None, BeforeValidator(text_code)] = None
    school_session: Annotated[SchoolSession, BeforeValidator(school_session)]
    baseline: Annotated[Figure | None, BeforeValidator(_figure)] = None
    value: Annotated[Figure | None, BeforeValidator(_figure)] = None
    target: Annotated[Figure | None, BeforeValidator(_figure)] = None
    note: Annotated[ShortText | None, BeforeValidator(_text)] = None

    @property
    def session(self) -> str:
        """The record's key, named as the file's column, so a repeat is reported against it."""
        named = self.indicator_id or repr((self.indicator or "").lower())
        owner = f" of {self.owner.upper()}" if self.owner and not self.indicator_id else ""
        return f"{self.school_session} of indicator {named}{owner}"


def _owners(ctx: ImportContext) -> dict[str, set[uuid.UUID]]:
    """Code (upper case) -> the region or authority ids it names, read once per import."""
    if "owners" not in ctx.cache:
        owners: dict[str, set[uuid.UUID]] = {}
        for authority_id, code, _name in authority_directory(ctx.session):
            owners.setdefault(code.upper(), set()).add(authority_id)
        for code, region_id in region_directory(ctx.session).items():
            owners.setdefault(code.upper(), set()).add(region_id)
        ctx.cache["owners"] = owners
    return ctx.cache["owners"]


class Batch:
    """The indicators a batch names (held for the whole import, with their owners), and the
    stored values of its rows."""

    def __init__(self, ctx: ImportContext, rows: list[ValueRow]) -> None:
        known = ctx.cache.setdefault("indicators", {
            "by_id": {}, "by_name": {}, "owners": {}, "ids": set(), "names": set()})
        self.by_id: dict[uuid.UUID, CriticalIndicator] = known["by_id"]
        self.by_name: dict[str, list[CriticalIndicator]] = known["by_name"]
        self.owners: dict[uuid.UUID, Any] = known["owners"]
        self.ctx = ctx
        ids = {row.indicator_id for row in rows if row.indicator_id} - known["ids"]
        names = {row.indicator.lower() for row in rows
                 if row.indicator_id is None and row.indicator} - known["names"]
        known["ids"] |= ids
        known["names"] |= names
        for name in names:
            self.by_name[name] = []
        for indicator in indicators_named(ctx.session, ctx.principal, ids, names):
            self.by_id[indicator.id] = indicator
            self.owners[indicator.id] = owner_of(ctx.session, indicator)
            if indicator.name.lower() in names:
                self.by_name[indicator.name.lower()].append(indicator)
        pairs = []
        for row in rows:
            with suppress(RowFailure):  # reported when the row is applied
                pairs.append((self.indicator_of(row).id, row.school_session))
        self.stored = stored_values(ctx.session, pairs)

    def indicator_of(self, row: ValueRow) -> CriticalIndicator:
        if row.indicator_id is not None:
            if row.indicator_id not in self.by_id:
                raise RowFailure("indicator_id", f"no critical indicator with id "
                                                 f"{row.indicator_id} that you can see")
            return self.by_id[row.indicator_id]
        if row.indicator is None:
            raise RowFailure("indicator", "name the indicator: its indicator_id, or its name")
        found = self.by_name.get(row.indicator.lower(), [])
        if row.owner is not None:
            owners = _owners(self.ctx).get(row.owner.upper())
            if owners is None:
                raise RowFailure("owner", f"no region or authority with code {row.owner!r}")
            found = [i for i in found if (i.region_id or i.authority_id) in owners]
        if not found:
            of = f" of {row.owner}" if row.owner else ""
            raise RowFailure("indicator", f"no critical indicator named {row.indicator!r}{of} "
                                          "that you can see")
        if len(found) > 1:
            raise RowFailure("owner" if row.owner else "indicator",
                             f"{len(found)} indicators are named {row.indicator!r}: give owner "
                             "(the code of the region or authority that keeps it), or indicator_id")
        return found[0]


def apply(ctx: ImportContext, row: ValueRow, batch: Batch) -> Outcome:
    indicator = batch.indicator_of(row)
    values = {name: getattr(row, name) for name in ("baseline", "value", "target", "note")
              if getattr(row, name) is not None}
    key = (indicator.id, row.school_session)
    try:
        stored, outcome = write_value(ctx.session, ctx.principal, indicator,
                                      batch.owners[indicator.id], row.school_session, values,
                                      batch.stored.get(key))
    except Forbidden:
        raise RowFailure("indicator_id" if row.indicator_id else "indicator",
                         f"not allowed to set the figures of {indicator.name!r}: its region's "
                         "leads or its authority's admins keep them") from None
    batch.stored[key] = stored
    return Outcome(outcome)


COLUMNS = {
    **dict.fromkeys(("indicatorid", "criticalindicatorid"), "indicator_id"),
    **dict.fromkeys(("indicator", "indicatorname", "criticalindicator", "name", "measure"),
                    "indicator"),
    **dict.fromkeys(("owner", "ownercode", "regioncode", "authoritycode", "lacode"), "owner"),
    **dict.fromkeys(("session", "schoolsession", "year", "schoolyear", "academicyear"),
                    "school_session"),
    "baseline": "baseline",
    **dict.fromkeys(("value", "actual", "figure"), "value"),
    "target": "target",
    **dict.fromkeys(("note", "notes", "comment"), "note"),
}

SPEC = register(ImportKindSpec(
    name="critical-indicator-values", row=ValueRow, columns=COLUMNS,
    required=("school_session",), key="session", lookup=Batch, apply=apply,
    fields_of={"value": "value", "baseline": "baseline", "target": "target", "note": "note"},
))
