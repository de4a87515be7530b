"""The one writer of every .xlsx workbook the service sends: sheets of a header row and rows,
as a person pastes them into a board paper.

Numbers stay numbers (a sheet must add them up); text goes through the CSV's formula rule
(`csv_cell`: a leading `'`), since openpyxl stores any text beginning with `=` as a formula.
The bytes hold no clock (the document and every zip member dated 1980-01-01), so the same
figures make the same file and its content ETag lets a client poll with If-None-Match."""

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from app.core.media_types import csv_cell

Sheet = tuple[str, Sequence[Any], Iterable[Sequence[Any]]]  # title, header, rows
MAX_TITLE = 31  # Excel's own limit on a sheet's name
_NOT_IN_TITLES = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name
WIDEST = 60  # characters: longer text wraps in the cell rather than widening the sheet
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the zip format's first day


def sheet_titles(names: Iterable[str]) -> list[str]:
    """Names as Excel takes them: no `[]:*?/\\`, at most 31 characters, unique whatever the
    case (a clash gets ` (2)`)."""
    titles: list[str] = []
    for name in names:
        base = _NOT_IN_TITLES.sub(" ", name).strip()[:MAX_TITLE] or "Sheet"
        title, n = base, 1
        while title.lower() in (t.lower() for t in titles):
            n += 1
            title = f"{base[:MAX_TITLE - len(f' ({n})')]} ({n})"
        titles.append(title)
    return titles


def xlsx_cell(value: Any) -> Any:
    """One cell as openpyxl should store it: numbers as numbers (money too), a date as a date,
    anything else as text that never runs (and without the control characters XML refuses)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", csv_cell(value))


class _Archive(zipfile.ZipFile):
    """A zip whose members carry one fixed date, not the time of writing."""

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # openpyxl writes each worksheet through a temporary file: added as it is, the member
        # would carry that file's time (the bytes, and the ETag, would change every 2 seconds).
        with open(filename, "rb") as written:
            self.writestr(arcname or filename, written.read(), compress_type, compresslevel)

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, _ZIP_EPOCH)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


def workbook_document(sheets: Iterable[Sheet]) -> bytes:
    """An .xlsx of one sheet per (title, header, rows): the header bold and frozen, each
    column as wide as its longest cell (up to WIDEST). Titles must come from sheet_titles."""
    book = Workbook()
    book.remove(book.active)
    # No clock in the bytes: the document's dates are the zip's fixed day, not today's.
    book.properties.created = book.properties.modified = datetime(*_ZIP_EPOCH)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([xlsx_cell(h) for h in header])
        for row in rows:
            sheet.append([xlsx_cell(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
            longest = max((len(str(v)) for v in column if v is not None), default=0)
            sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, WIDEST)
    if not book.worksheets:
        book.create_sheet("Sheet")  # a workbook holds at least one sheet
    out = io.BytesIO()
    ExcelWriter(book, _Archive(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return out.getvalue()
