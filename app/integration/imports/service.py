"""Imports: a file's rows, read as they arrive, written in batches through the domains' own
service functions, in one transaction.

All or nothing by default: if any row fails, the transaction is rolled back and the answer is
422 with the report. `partial` applies the good rows (each in a savepoint, so a failing row
leaves nothing behind) and reports the bad ones. `dry_run` does everything, then rolls back:
its report is exactly what the import would do. A crash anywhere rolls everything back.

Memory stays flat whatever the file's length: rows are read one at a time, kept only until
their batch is written, and the session forgets each batch once it is flushed. Only the keys
seen so far are kept for the whole file (to find duplicates)."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit.service import (
    changes_in_bulk,
    collected_changes,
    forget_changes_since,
    write_collected_changes,
)
from app.core.db import scratch_copy
from app.core.errors import ProblemError
from app.core.media_types import streamed_media_type
from app.identity.policy import importer, require
from app.identity.principal import Principal
from app.integration.imports.kinds import KINDS
from app.integration.imports.reader import (
    MEDIA_TYPES,
    CsvSource,
    FileProblem,
    JsonLinesSource,
    open_source,
)
from app.integration.imports.rows import ImportContext, ImportKindSpec, Outcome, RowFailure, Skipped
from app.integration.imports.schemas import ImportIssue, ImportReport

BATCH_SIZE = 500
MAX_ISSUES = 1000


class ImportRejectedError(ProblemError):
    """Nothing was written: the file could not be read, or rows failed in all-or-nothing mode.
    The problem+json answer carries the whole report."""

    status, title, slug = 422, "Import rejected", "import-rejected"

    def __init__(self, report: ImportReport, detail: str) -> None:
        super().__init__(detail, extensions=report.model_dump(mode="json"))
        self.report = report


class _Tally:
    def __init__(self, kind: str, dry_run: bool, partial: bool) -> None:
        self.kind, self.dry_run, self.partial = kind, dry_run, partial
        self.counts = dict.fromkeys(("rows", "created", "updated", "unchanged", "failed",
                                     "skipped", "merged"), 0)
        self.errors: list[ImportIssue] = []
        self.warnings: list[ImportIssue] = []
        self.errors_truncated = self.warnings_truncated = False

    def fail(self, line: int, problems: list[tuple[str | None, str]]) -> None:
        self.counts["failed"] += 1
        for column, reason in problems:
            if len(self.errors) < MAX_ISSUES:
                self.errors.append(ImportIssue(line=line, column=column, reason=reason))
            else:
                self.errors_truncated = True

    def warn(self, line: int, column: str | None, reason: str) -> None:
        if len(self.warnings) < MAX_ISSUES:
            self.warnings.append(ImportIssue(line=line, column=column, reason=reason))
        else:
            self.warnings_truncated = True

    def report(self, applied: bool, also_created: dict[str, int] | None = None,
               created_as: dict[str, int] | None = None) -> ImportReport:
        return ImportReport.model_validate({
            "kind": self.kind, "dry_run": self.dry_run, "partial": self.partial,
            "applied": applied, **self.counts, "also_created": dict(also_created or {}),
            "created_as": dict(created_as or {}),
            "errors": self.errors, "errors_truncated": self.errors_truncated,
            "warnings": self.warnings, "warnings_truncated": self.warnings_truncated,
        })


def _reason(error: Any) -> str:
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "missing":
        return "required, but missing or empty"
    given = error.get("input")
    if isinstance(given, str) and 0 < len(given) <= 60 and given not in message:
        message = f"{message} (got {given!r})"
    return message


class _Run:
    def __init__(self, spec: ImportKindSpec, ctx: ImportContext | None, tally: _Tally,
                 partial: bool, batch_size: int) -> None:
        self.spec, self.ctx, self.tally = spec, ctx, tally
        self.partial, self.batch_size = partial, batch_size
        self.display: dict[str, str] = {}  # row field -> the column's name in this file
        self.readable = 0
        self.targets: dict[str, str | None] = {}  # the file's column name -> row field
        self.before_batch: Callable[[], None] | None = None

    def column(self, row_field: str | None) -> str | None:
        return None if row_field is None else self.display.get(row_field, row_field)

    # Header -------------------------------------------------------------------------------

    def read_header(self, source: CsvSource) -> None:
        assert source.header is not None
        for name in source.header:
            target = self.target(name)
            if target is None:
                self.tally.warn(source.header_line, name, "not a column of this import; ignored")
            elif target in self.display:
                self.tally.warn(source.header_line, name,
                                f"names the same field as column {self.display[target]!r}, "
                                "which is the one used; ignored")
            else:
                self.display[target] = name
        missing = [f for f in self.spec.required if f not in self.display]
        for row_field in missing:
            names = ", ".join(self.spec.names_for(row_field)[:6])
            self.tally.fail(source.header_line, [(row_field, f"required column {row_field!r} is "
                                                              f"missing (accepted names: {names})")])
        if missing:
            self.tally.counts["failed"] = 0  # a header is not a row
            raise _Rejected(f"The header lacks the required column(s) {', '.join(missing)}.")

    # Rows ---------------------------------------------------------------------------------

    def target(self, name: str) -> str | None:
        if name not in self.targets:
            self.targets[name] = self.spec.field_for(name)
        return self.targets[name]

    def cells_of(self, record: Any) -> dict[str, Any]:
        cells: dict[str, Any] = {}
        for name, value in record.cells.items():
            if name in self.targets:
                target = self.targets[name]
            else:  # a key first seen on this JSON line (CSV columns are all known from the header)
                target = self.target(name)
                if target is None:
                    self.tally.warn(record.line, name, "not a field of this import; ignored")
            if target is None:
                continue
            if target not in cells:
                cells[target] = value
                self.display.setdefault(target, name)
        return cells

    def rows(self, source: CsvSource | JsonLinesSource, limit: int | None = None) -> bool:
        """Read (and, with a context, write) the rows; False if `limit` rows came first.
        Without a context (a preflight) rows are only read: `readable` counts the good ones."""
        batch: dict[Any, tuple[int, Any]] = {}
        seen: dict[Any, int] = {}
        extra_reported = False
        for record in source:
            if limit is not None and self.tally.counts["rows"] >= limit:
                return False
            self.tally.counts["rows"] += 1
            if record.error is not None:
                self.tally.fail(record.line, [(None, record.error)])
                continue
            if record.extra_fields and not extra_reported:
                extra_reported = True
                self.tally.warn(record.line, None, "rows have more fields than the header names "
                                                   "(from this line on); the extra fields are ignored")
            try:
                row = self.spec.row.model_validate(self.cells_of(record))
            except ValidationError as exc:
                self.tally.fail(record.line, [(self.column(str(e["loc"][0]) if e["loc"] else None),
                                               _reason(e)) for e in exc.errors()])
                continue
            key = getattr(row, self.spec.key)
            if key in batch:
                first_line, first = batch[key]
                merged = self.spec.merge(first, row) if self.spec.merge else None
                if merged is not None:
                    batch[key] = (first_line, merged)
                    self.tally.counts["merged"] += 1
                    continue
            if key in seen:
                self.tally.fail(record.line, [(self.column(self.spec.key),
                                               f"{key} is already on line {seen[key]}: "
                                               "each record may appear once in a file")])
                continue
            if len(batch) >= self.batch_size:
                self.apply(list(batch.values()))
                batch = {}
            batch[key] = (record.line, row)
            seen[key] = record.line
        if batch:
            self.apply(list(batch.values()))
        return True

    def apply(self, batch: list[tuple[int, Any]]) -> None:
        ctx = self.ctx
        if ctx is None:  # a preflight: read, never written
            self.readable += len(batch)
            return
        if self.before_batch is not None:
            self.before_batch()
        session = ctx.session
        found = self.spec.lookup(ctx, [row for _, row in batch])
        for line, row in batch:
            mark = collected_changes(session)
            try:
                if self.partial:
                    with session.begin_nested():  # a failing row leaves nothing behind
                        outcome = self.spec.apply(ctx, row, found)
                else:
                    outcome = self.spec.apply(ctx, row, found)
            except RowFailure as exc:
                forget_changes_since(session, mark)
                self.tally.fail(line, [(self.column(exc.field), exc.reason)])
            except ProblemError as exc:
                forget_changes_since(session, mark)
                locs = [e["loc"][-1] for e in exc.errors or [] if e.get("loc")]
                target = self.spec.fields_of.get(str(locs[0])) if locs else None
                self.tally.fail(line, [(self.column(target), exc.detail or exc.title)])
            except ValidationError as exc:
                forget_changes_since(session, mark)
                self.tally.fail(line, [(self.column(self.spec.fields_of.get(str(e["loc"][0]))),
                                        _reason(e)) for e in exc.errors()])
            except IntegrityError:
                if not self.partial:
                    raise  # the transaction is lost: the whole import fails (409)
                forget_changes_since(session, mark)
                self.tally.fail(line, [(None, "conflicts with a record written meanwhile by "
                                              "someone else; send the file again")])
            else:
                if isinstance(outcome, Skipped):
                    self.tally.counts["skipped"] += 1
                    self.tally.warn(line, None, outcome.reason)
                else:
                    self.tally.counts[Outcome(outcome).value] += 1
        session.flush()
        if ctx.dry_run:  # rolled back in any case: its audit and feed rows are never written
            forget_changes_since(session, 0)
        else:
            write_collected_changes(session)
        session.expunge_all()  # the batch is written; let it go


class _Rejected(Exception):
    pass


@contextmanager
def _refusals(tally: _Tally, session: Session | None) -> Iterator[None]:
    """A file that cannot be read, an empty one, or one whose header lacks a required column:
    rejected, with nothing written."""
    try:
        yield
    except (FileProblem, _Empty, _Rejected) as refusal:
        if session is not None:
            session.rollback()
        if isinstance(refusal, _Rejected):
            raise ImportRejectedError(tally.report(False), str(refusal)) from None
        if isinstance(refusal, FileProblem):
            line, column, reason = refusal.line, refusal.column, refusal.reason
        else:
            line, column = max(1, refusal.header_line), None
            reason = (f"The file has a header (line {refusal.header_line}) but no rows."
                      if refusal.header_line else "The file is empty: send a header line and "
                                                  "rows (CSV) or one JSON object per line.")
        tally.fail(line, [(column, reason)])
        tally.counts["failed"] = 0  # the file failed, not a row
        raise ImportRejectedError(tally.report(False), reason) from None
    except BaseException:
        if session is not None:
            session.rollback()
        raise


def _open(run: _Run, media_type: str, chunks: Iterable[bytes]) -> CsvSource | JsonLinesSource:
    source = open_source(media_type, chunks)
    if isinstance(source, CsvSource):
        if source.header is None:
            raise _Empty()
        run.read_header(source)
    return source


def _refusal(tally: _Tally, imported: int, partial: bool) -> str | None:
    """Why an import must write nothing, or None. All or nothing: any failed row. Partial: no
    row could be imported at all (a file of nothing but failures is refused in every mode)."""
    failed = tally.counts["failed"]
    if not failed or (partial and imported):
        return None
    rows = f"{failed} row{'s' if failed != 1 else ''}"
    if partial or not imported:
        return f"No row could be imported ({rows} failed), so nothing was written."
    return (f"{rows} failed, so nothing was written (all or nothing). Fix the rows and send the "
            "file again, or send it with ?partial=true to apply the others.")


PREFLIGHT_ROWS = 1000


def preflight(kind: str, chunks: Iterable[bytes], media_type: str, *, dry_run: bool,
              partial: bool) -> None:
    """What a job's file is refused for at once, before it is queued, exactly as it would be
    without a job: it is not UTF-8 or not CSV where it starts, it is empty, its header lacks a
    required column, or (for a file of at most PREFLIGHT_ROWS rows) not one row can be read."""
    tally = _Tally(kind, dry_run, partial)
    run = _Run(KINDS[kind], None, tally, partial, BATCH_SIZE)
    with _refusals(tally, None):
        source = _open(run, media_type, chunks)
        ended = run.rows(source, limit=PREFLIGHT_ROWS)
        if tally.counts["rows"] == 0:
            raise _Empty(source.header_line if isinstance(source, CsvSource) else 0)
        if ended and run.readable == 0:
            refusal = _refusal(tally, 0, partial)
            if refusal is not None:
                raise _Rejected(refusal)


def run_import(session: Session, principal: Principal, kind: str, chunks: Iterable[bytes],
               content_type: str | None, *, dry_run: bool = False, partial: bool = False,
               batch_size: int | None = None,
               before_batch: Callable[[], None] | None = None) -> ImportReport:
    """Import a body (an iterable of byte chunks, read as it arrives) of one kind. Returns the
    report of an applied import, left for the caller to commit, or of a dry run (rolled
    back); raises ImportRejectedError when nothing may be written. `before_batch` is called
    before each batch is written, and may stop the import by raising."""
    require(principal, "import.run", kind)
    media_type = streamed_media_type(content_type, MEDIA_TYPES)
    # The read transaction that resolved the caller ends before the body is read: the import's
    # own transaction starts with its first batch, so a slow upload holds no lock meanwhile.
    session.commit()
    copy = scratch_copy(session.get_bind().engine) if dry_run else None
    if copy is None:
        return _import(session, principal, kind, chunks, media_type, dry_run=dry_run,
                       partial=partial, batch_size=batch_size, before_batch=before_batch)
    # SQLite has one writer at a time: a dry run there works on a copy of the database, so
    # it neither waits for the writers' lock nor holds it (and with it every writer and the
    # change feed's order) for the length of the file.
    try:
        with Session(copy, expire_on_commit=False) as scratch:
            return _import(scratch, principal, kind, chunks, media_type, dry_run=True,
                           partial=partial, batch_size=batch_size, before_batch=before_batch)
    finally:
        copy.dispose()


def _import(session: Session, principal: Principal, kind: str, chunks: Iterable[bytes],
            media_type: str, *, dry_run: bool, partial: bool, batch_size: int | None,
            before_batch: Callable[[], None] | None) -> ImportReport:
    tally = _Tally(kind, dry_run, partial)
    ctx = ImportContext(session=session, principal=importer(principal, kind), dry_run=dry_run)
    run = _Run(KINDS[kind], ctx, tally, partial, batch_size or BATCH_SIZE)
    run.before_batch = before_batch
    with _refusals(tally, session), changes_in_bulk(session):
        source = _open(run, media_type, chunks)
        run.rows(source)
        if tally.counts["rows"] == 0:
            raise _Empty(source.header_line if isinstance(source, CsvSource) else 0)
    also_created, created_as = dict(ctx.also_created), dict(ctx.created_as)
    imported = sum(tally.counts[n] for n in ("created", "updated", "unchanged"))
    refusal = _refusal(tally, imported, partial)
    if dry_run or refusal is not None:
        session.rollback()
    if refusal is not None:  # a dry run answers as the import itself would
        raise ImportRejectedError(tally.report(False, also_created, created_as),
                                  f"Dry run: {refusal}" if dry_run else refusal)
    return tally.report(not dry_run, also_created, created_as)


class _Empty(Exception):
    def __init__(self, header_line: int = 0) -> None:
        super().__init__("empty")
        self.header_line = header_line
