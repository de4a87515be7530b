"""Reading an .xlsx workbook sent to an import: one sheet's rows, as records like a CSV's.

A workbook is a zip archive, and openpyxl must seek in it, so the body is spooled to a
temporary file first (a job's body is on disk already and is read where it lies). The sheet
is read in openpyxl's read-only mode, a row at a time: memory stays flat as for a CSV, but for
the shared strings table, which openpyxl holds whole. What a workbook may expand to is bounded
before openpyxl sees it, from the sizes its archive declares: Python's zipfile never inflates a
deflated member beyond its declared size, so the declaration cannot lie (members compressed
any other way, which Excel never writes, are refused: bzip2 and LZMA are inflated unbounded).

Councils' workbooks put a title or banner above the header ("INFORMATION AS AT 1 APRIL 2025"):
the header is the first row with at least two filled cells. Rows are numbered as the sheet
numbers them, so a report's `line` is the row a person sees in Excel."""

import tempfile
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from openpyxl import load_workbook

from app.integration.imports.reader import FileProblem, Record

MAX_EXPANDED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
# Small parts may shrink far (a part of blank styles) and cannot hurt: only a big one is a bomb.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_ROWS = 1_048_576  # Excel's own limit: a sheet claiming rows beyond it was not saved by Excel
MAX_SHEET_NAME = 31  # Excel's own limit
SHEETS_LISTED = 20
# Old .xls files and password-protected workbooks are OLE2 compound files, not zip archives.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_AS = "Save it as Excel Workbook (.xlsx) or CSV UTF-8 and send it again."


class SpooledBody:
    """A body already on disk (a job's spooled file): read in chunks by `read` like any body,
    or opened where it lies when it is a workbook."""

    def __init__(self, path: str, read: Callable[[str], Iterable[bytes]]) -> None:
        self.path = path
        self._read = read

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._read(self.path))


def _not_a_workbook(why: str) -> FileProblem:
    return FileProblem(1, f"The file is not an .xlsx workbook: {why}. {SAVE_AS}")


def cell_value(value: Any) -> Any:
    """A cell as the row converters (rows.py) take it, as JSON lines would give it: a whole
    number an int (Excel keeps every number as a float, and some writers store a SEED code as
    5241529.0), other numbers floats, dates and times ISO text, text as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):  # a duration cell ([h]:mm): as Excel shows it
        return str(value)
    return value


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class WorkbookSource:
    """One sheet of a workbook: `header` (after `open()`), then its records. Close it."""

    def __init__(self) -> None:
        self.header: list[str] | None = None
        self.header_line = 0
        self._file: IO[bytes] | None = None
        self._book: Any = None
        self._rows: Generator[tuple[int, tuple[Any, ...]], None, None] | None = None
        self._sheet_title = ""

    def open(self, chunks: Iterable[bytes], sheet: str | None) -> None:
        self._file = self._spooled(chunks)
        if self._file.seek(0, 2) == 0:
            return  # an empty body: refused as an empty file, as an empty CSV is
        self._file.seek(0)
        self._guard(self._file)
        try:
            self._book = load_workbook(self._file, read_only=True, data_only=True)
        except MemoryError:
            raise
        except Exception:  # whatever a damaged archive trips in openpyxl: the client's file
            raise _not_a_workbook("it is a zip archive, but not an Excel workbook, or a "
                                  "damaged one") from None
        worksheet = self._pick(sheet)
        # Read-only mode trusts the sheet's declared dimensions, which some writers get wrong
        # (rows past them would be lost): read every row there is instead.
        worksheet.reset_dimensions()
        self._sheet_title = worksheet.title
        self._rows = self._numbered(worksheet)
        for number, values in self._rows:
            if sum(1 for value in values if _filled(value)) >= 2:
                self.header_line = number
                self.header = [str(cell_value(v)).strip() if _filled(v) else "" for v in values]
                return
        raise FileProblem(1, f"Sheet {self._sheet_title!r} has no header row (a row with at "
                             f"least two filled cells). {self._sheets_named()}")

    @staticmethod
    def _spooled(chunks: Iterable[bytes]) -> IO[bytes]:
        if isinstance(chunks, SpooledBody):
            return open(chunks.path, "rb")  # closed by close()
        spooled = tempfile.TemporaryFile(prefix="sih-import-")  # noqa: SIM115 - closed by close()
        try:
            for chunk in chunks:
                spooled.write(chunk)
        except BaseException:
            spooled.close()
            raise
        return spooled

    @staticmethod
    def _guard(file: IO[bytes]) -> None:
        """Refuse what is not a workbook, and a zip bomb, before openpyxl opens it."""
        if file.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
            raise _not_a_workbook("it is an old Excel 97-2003 (.xls) file, or a "
                                  "password-protected workbook (remove the password first)")
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                members = archive.infolist()
        except MemoryError:
            raise
        except Exception:
            raise _not_a_workbook("it is not a complete zip archive, as every .xlsx file is (a "
                                  "CSV is sent as text/csv)") from None
        if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
            raise _not_a_workbook("its parts are compressed in a way Excel never writes")
        expanded = sum(member.file_size for member in members)
        bomb = any(member.file_size > RATIO_FLOOR_BYTES
                   and member.file_size > MAX_RATIO * max(member.compress_size, 1)
                   for member in members)
        if expanded > MAX_EXPANDED_BYTES or bomb:
            raise FileProblem(1, f"The workbook would expand to {expanded} bytes (at most "
                                 f"{MAX_EXPANDED_BYTES} are read, and no part may shrink more "
                                 f"than {MAX_RATIO} times): send its rows as CSV UTF-8 instead.")
        file.seek(0)

    def _pick(self, sheet: str | None) -> Any:
        worksheets = self._book.worksheets  # chart sheets hold no rows
        if not worksheets:
            raise _not_a_workbook("it has no worksheets")
        if sheet is None:
            return worksheets[0]
        found = [w for w in worksheets if w.title == sheet] or [
            w for w in worksheets if w.title.casefold() == sheet.strip().casefold()]
        if not found:
            raise FileProblem(1, f"The workbook has no sheet named {sheet!r}. "
                                 f"{self._sheets_named()}")
        return found[0]

    def _sheets_named(self) -> str:
        titles = [w.title for w in self._book.worksheets]
        names = ", ".join(repr(title[:MAX_SHEET_NAME]) for title in titles[:SHEETS_LISTED])
        more = f" and {len(titles) - SHEETS_LISTED} more" if len(titles) > SHEETS_LISTED else ""
        return f"Its sheets are {names}{more}: name the one to read in ?sheet=."

    def _numbered(self, worksheet: Any) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
        """(row number, values) for each row of the sheet; empty rows included, as they
        count in the numbering."""
        rows = worksheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except MemoryError:
                raise
            except Exception:  # damaged sheet XML, a value openpyxl cannot read
                raise FileProblem(number + 1, f"Row {number + 1} of sheet {self._sheet_title!r} "
                                              f"cannot be read: the workbook is damaged. "
                                              f"{SAVE_AS}") from None
            number += 1
            if number > MAX_ROWS:
                raise FileProblem(number, f"Sheet {self._sheet_title!r} has rows beyond row "
                                          f"{MAX_ROWS}, the last Excel has: the workbook is "
                                          f"damaged. {SAVE_AS}")
            yield number, values

    def __iter__(self) -> Iterator[Record]:
        if self.header is None or self._rows is None:
            return
        positions: dict[str, int] = {}
        for index, name in enumerate(self.header):
            if name:
                positions.setdefault(name, index)  # a repeated column name: the first one counts
        width = len(self.header)
        unnamed = {index for index, name in enumerate(self.header) if not name}
        for number, values in self._rows:
            if not any(_filled(v) for v in values):
                continue  # an empty row, or one of blank cells
            cells = {name: cell_value(values[i]) if i < len(values) else None
                     for name, i in positions.items()}
            # Filled cells the header names nothing for, as a CSV's fields beyond its header.
            extra = sum(1 for i, v in enumerate(values)
                        if (i >= width or i in unnamed) and _filled(v))
            yield Record(number, cells, extra_fields=extra)

    def close(self) -> None:
        if self._rows is not None:
            self._rows.close()  # and with it the sheet's stream in the archive
        if self._book is not None:
            with suppress(Exception):
                self._book.close()
        if self._file is not None:
            self._file.close()  # a temporary file is deleted as it closes


@contextmanager
def open_workbook(chunks: Iterable[bytes], sheet: str | None) -> Iterator[WorkbookSource]:
    source = WorkbookSource()
    try:
        source.open(chunks, sheet)
        yield source
    finally:
        source.close()
