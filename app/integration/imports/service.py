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
from contextlib import ExitStack, contextmanager
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
from app.identity.policy import importer, require
from app.identity.principal import Principal
from app.integration.imports.kinds import KINDS
from app.integration.imports.reader import (
    XLSX_MEDIA_TYPE,
    CsvSource,
    FileProblem,
    JsonLinesSource,
    media_type_of,
    open_source,
)
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Noted,
    Outcome,
    RowFailure,
    Skipped,
)
from app.integration.imports.schemas import ImportIssue, ImportReport
from app.integration.imports.workbook import WorkbookSource, open_workbook

BATCH_SIZE = 500
Source = CsvSource | JsonLinesSource | WorkbookSource
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

    def read_header(self, source: CsvSource | WorkbookSource) -> None:
        assert source.header is not None
        for name in source.header:
            if not name:  # a header cell left blank (spreadsheets' trailing columns): no column
                self.targets[name] = None
                continue
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

    def rows(self, source: Source, limit: int | None = None) -> bool:
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
            # A kind that merges rows (a school's departments) reads the whole file first: a
            # record's later part may come after any number of other records.
            if len(batch) >= self.batch_size and self.spec.merge is None:
                self.apply(list(batch.values()))
                batch = {}
            batch[key] = (record.line, row)
            seen[key] = record.line
        records = list(batch.values())
        for start in range(0, len(records), self.batch_size):
            self.apply(records[start:start + self.batch_size])
        return True

    def apply(self, batch: list[tuple[int, Any]]) -> None:
        ctx = self.ctx
        if ctx is None:  # a preflight: read, never written
            self.readable += len(batch)
            return
        if self.before_batch is not None:
            self.before_batch()
        session = ctx.session
        rows = [row for _, row in batch]
        results: list[tuple[int, Any]] | None = None
        if self.partial and self.spec.checks_first:
            results = self._whole_batch(ctx, batch, self.spec.lookup(ctx, rows))
        if results is None:
            found = self.spec.lookup(ctx, rows)
            results = [(line, self._row(ctx, row, found, isolated=self.partial))
                       for line, row in batch]
        for line, result in results:
            self._tell(line, result)
        session.flush()
        if ctx.dry_run:  # rolled back in any case: its audit and feed rows are never written
            forget_changes_since(session, 0)
        else:
            write_collected_changes(session)
        session.expunge_all()  # the batch is written; let it go

    def _whole_batch(self, ctx: ImportContext, batch: list[tuple[int, Any]],
                     found: Any) -> list[tuple[int, Any]] | None:
        """Partial, for a kind that checks a row before it writes anything (a failing row
        leaves nothing behind): the batch in one savepoint rather than one per row, three
        round trips a row fewer. None when a write conflicted: the batch is rolled back, to be
        written row by row."""
        session, mark = ctx.session, collected_changes(ctx.session)
        try:
            with session.begin_nested():
                results = [(line, self._row(ctx, row, found, isolated=False))
                           for line, row in batch]
                session.flush()
        except IntegrityError:
            forget_changes_since(session, mark)
            return None
        return results

    def _row(self, ctx: ImportContext, row: Any, found: Any, *, isolated: bool) -> Any:
        """One row's outcome, or the problems that failed it (a list); `isolated`: in a
        savepoint of its own, so that a failure leaves nothing of it behind."""
        session = ctx.session
        mark = collected_changes(session)
        try:
            if isolated:
                with session.begin_nested():  # a failing row leaves nothing behind
                    return self.spec.apply(ctx, row, found)
            return self.spec.apply(ctx, row, found)
        except RowFailure as exc:
            forget_changes_since(session, mark)
            return [(self.column(exc.field), exc.reason)]
        except ProblemError as exc:
            forget_changes_since(session, mark)
            locs = [e["loc"][-1] for e in exc.errors or [] if e.get("loc")]
            target = self.spec.fields_of.get(str(locs[0])) if locs else None
            return [(self.column(target), exc.detail or exc.title)]
        except ValidationError as exc:
            forget_changes_since(session, mark)
            return [(self.column(self.spec.fields_of.get(str(e["loc"][0]))), _reason(e))
                    for e in exc.errors()]
        except IntegrityError:
            if not isolated:
                raise  # all or nothing: the transaction is lost, the import fails (409)
            forget_changes_since(session, mark)
            return [(None, "conflicts with a record written meanwhile by someone else; send "
                           "the file again")]

    def _tell(self, line: int, result: Any) -> None:
        if isinstance(result, list):
            self.tally.fail(line, result)
        elif isinstance(result, Skipped):
            self.tally.counts["skipped"] += 1
            self.tally.warn(line, None, result.reason)
        elif isinstance(result, Noted):
            self.tally.counts[result.outcome.value] += 1
            self.tally.warn(line, self.column(result.field), result.reason)
        else:
            self.tally.counts[Outcome(result).value] += 1


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


@contextmanager
def _opened(run: _Run, media_type: str, chunks: Iterable[bytes],
            sheet: str | None) -> Iterator[Source]:
    with ExitStack() as stack:
        source: Source = (stack.enter_context(open_workbook(chunks, sheet))
                          if media_type == XLSX_MEDIA_TYPE else open_source(media_type, chunks))
        if not isinstance(source, JsonLinesSource):
            if source.header is None:
                raise _Empty()
            run.read_header(source)
        yield source


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
              partial: bool, sheet: str | None = None) -> None:
    """What a job's file is refused for at once, before it is queued, exactly as it would be
    without a job: it is not UTF-8 or not CSV where it starts, it is empty, its header lacks a
    required column, or (for a file of at most PREFLIGHT_ROWS rows) not one row can be read."""
    tally = _Tally(kind, dry_run, partial)
    run = _Run(KINDS[kind], None, tally, partial, BATCH_SIZE)
    with _refusals(tally, None), _opened(run, media_type, chunks, sheet) as source:
        ended = run.rows(source, limit=PREFLIGHT_ROWS)
        if tally.counts["rows"] == 0:
            raise _Empty(source.header_line)
        if ended and run.readable == 0:
            refusal = _refusal(tally, 0, partial)
            if refusal is not None:
                raise _Rejected(refusal)


def run_import(session: Session, principal: Principal, kind: str, chunks: Iterable[bytes],
               content_type: str | None, *, dry_run: bool = False, partial: bool = False,
               batch_size: int | None = None,
               before_batch: Callable[[], None] | None = None,
               sheet: str | None = None, options: dict[str, str] | None = None) -> ImportReport:
    """Import a body (an iterable of byte chunks, read as it arrives) of one kind. Returns the
    report of an applied import, left for the caller to commit, or of a dry run (rolled
    back); raises ImportRejectedError when nothing may be written. `before_batch` is called
    before each batch is written, and may stop the import by raising. `sheet`: a workbook's
    sheet to read (its first by default). `options`: what the sender says of the whole file
    (`session` for a file that names none), for the kind's rows (ImportContext.options)."""
    require(principal, "import.run", kind)
    media_type = media_type_of(content_type, sheet)
    # The read transaction that resolved the caller ends before the body is read: the import's
    # own transaction starts with its first batch, so a slow upload holds no lock meanwhile.
    session.commit()
    copy = scratch_copy(session.get_bind().engine) if dry_run else None
    if copy is None:
        return _import(session, principal, kind, chunks, media_type, sheet, options or {},
                       dry_run=dry_run,
                       partial=partial, batch_size=batch_size, before_batch=before_batch)
    # SQLite has one writer at a time: a dry run there works on a copy of the database, so
    # it neither waits for the writers' lock nor holds it (and with it every writer and the
    # change feed's order) for the length of the file.
    try:
        with Session(copy, expire_on_commit=False) as scratch:
            return _import(scratch, principal, kind, chunks, media_type, sheet, options or {},
                           dry_run=True,
                           partial=partial, batch_size=batch_size, before_batch=before_batch)
    finally:
        copy.dispose()


def _import(session: Session, principal: Principal, kind: str, chunks: Iterable[bytes],
            media_type: str, sheet: str | None, options: dict[str, str], *, dry_run: bool,
            partial: bool,
            batch_size: int | None,
            before_batch: Callable[[], None] | None) -> ImportReport:
    tally = _Tally(kind, dry_run, partial)
    ctx = ImportContext(session=session, principal=importer(principal, kind), dry_run=dry_run,
                        options=options)
    run = _Run(KINDS[kind], ctx, tally, partial, batch_size or BATCH_SIZE)
    run.before_batch = before_batch
    with (_refusals(tally, session), changes_in_bulk(session),
          _opened(run, media_type, chunks, sheet) as source):
        run.rows(source)
        if tally.counts["rows"] == 0:
            raise _Empty(source.header_line)
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
