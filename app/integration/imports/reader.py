"""Reading an import body as it arrives: UTF-8 lines, then CSV records or JSON lines (an .xlsx
workbook is read by workbook.py, into the same records).

Nothing here holds more than one line (and one CSV record) at a time, so a file of any length
is read in flat memory. Bytes are split at "\\n" before decoding (UTF-8 never uses that byte
inside a character), so a bad byte is reported with the line it is on."""

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import RuleViolation
from app.core.media_types import streamed_media_type

CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv"})
JSON_LINES_MEDIA_TYPES = frozenset({"application/x-ndjson", "application/jsonl",
                                    "application/x-jsonlines"})
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = CSV_MEDIA_TYPES | JSON_LINES_MEDIA_TYPES | {XLSX_MEDIA_TYPE}
MAX_LINE_BYTES = 1024 * 1024
DELIMITERS = (",", ";", "\t")


class FileProblem(Exception):
    """The file as a whole cannot be read (not UTF-8, not CSV): fatal for the import."""

    def __init__(self, line: int, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.column = column


@dataclass
class Record:
    line: int
    cells: dict[str, Any] = field(default_factory=dict)  # the file's own column names or keys
    error: str | None = None  # this line could not be read as a record
    extra_fields: int = 0  # CSV fields beyond the header's names


def media_type_of(content_type: str | None, sheet: str | None) -> str:
    """The body's media type (415 unless accepted); `sheet` names a workbook's sheet, so it
    is a mistake with any other file (422), refused before the body is read."""
    media_type = streamed_media_type(content_type, MEDIA_TYPES)
    if sheet is not None and media_type != XLSX_MEDIA_TYPE:
        message = f"?sheet= applies to .xlsx workbooks only, not to {media_type} files."
        raise RuleViolation(message, errors=[{"loc": ["query", "sheet"], "msg": message,
                                              "type": "rule"}])
    return media_type


def _decode(raw: bytes, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1]
        guess = bad.decode("cp1252", errors="replace")
        raise FileProblem(
            number,
            f"Line {number} is not UTF-8: byte 0x{bad.hex().upper()} at position {exc.start + 1} "
            f"(in Windows-1252 or Latin-1 that is {guess!r}). Save the file as UTF-8 (in Excel: "
            "\"CSV UTF-8\") and send it again.",
        ) from None


def decoded_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, text with its line ending) for each line of a UTF-8 body; BOM dropped."""
    pending = bytearray()
    number = 0
    for chunk in chunks:
        pending += chunk
        end = pending.rfind(b"\n")
        if end < 0:
            if len(pending) > MAX_LINE_BYTES:
                raise FileProblem(number + 1, f"Line {number + 1} is longer than {MAX_LINE_BYTES} "
                                              "bytes: is this really a CSV or JSON-lines file?")
            continue
        complete = bytes(pending[:end + 1])
        del pending[:end + 1]
        for raw in complete.split(b"\n")[:-1]:
            number += 1
            text = _decode(raw + b"\n", number)
            yield number, text[1:] if number == 1 and text.startswith("\ufeff") else text
    if pending:
        number += 1
        text = _decode(bytes(pending), number)
        yield number, text[1:] if number == 1 and text.startswith("\ufeff") else text


def _delimiter(header_line: str) -> str:
    """The separator a spreadsheet used, judged from the header: the most frequent of
    comma, semicolon and tab outside quotes (comma on a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


class _Lines:
    """Feeds csv.reader line by line, remembering how far it has read."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self.lines = lines
        self.last = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        self.last, text = next(self.lines)
        return text


class CsvSource:
    """A CSV body: `header` (after `open()`), then its records."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._lines = decoded_lines(chunks)
        self.header: list[str] | None = None
        self.header_line = 1
        self._feed: _Lines | None = None
        self._reader: Any = None

    def open(self) -> None:
        for number, text in self._lines:
            if text.strip():
                self.header_line = number
                self._feed = _Lines(_chain((number, text), self._lines))
                self._reader = csv.reader(self._feed, delimiter=_delimiter(text))
                self.header = [name.strip() for name in self._next_values() or []]
                return

    def _next_values(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            assert self._feed is not None
            raise FileProblem(self._feed.last, f"Line {self._feed.last} is not valid CSV: {exc}.") from None

    def __iter__(self) -> Iterator[Record]:
        if self._reader is None or self.header is None or self._feed is None:
            return
        positions: dict[str, int] = {}
        for index, name in enumerate(self.header):
            positions.setdefault(name, index)  # a repeated column name: the first one counts
        width = len(self.header)
        while True:
            start = self._feed.last + 1
            values = self._next_values()
            if values is None:
                return
            if not any(v.strip() for v in values):
                continue  # a blank line, or a line of empty cells as spreadsheets leave them
            cells = {name: values[index] for name, index in positions.items() if index < len(values)}
            yield Record(start, cells, extra_fields=max(0, len(values) - width))


def _chain(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


class JsonLinesSource:
    """A JSON-lines body: one JSON object per line; blank lines are ignored."""

    header: list[str] | None = None
    header_line = 0

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._lines = decoded_lines(chunks)

    def open(self) -> None:
        pass

    def __iter__(self) -> Iterator[Record]:
        for number, text in self._lines:
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                yield Record(number, error=f"not valid JSON: {exc}")
                continue
            except RecursionError:  # not a ValueError: json's scanner gives up on deep nesting
                yield Record(number, error="not a record: its arrays or objects are nested too "
                                           "deeply to read (a row is one flat JSON object)")
                continue
            if not isinstance(value, dict):
                yield Record(number, error="each line must be a JSON object, e.g. "
                                           '{"code": "8000001", "name": "..."}')
                continue
            yield Record(number, {str(k): v for k, v in value.items()})


def open_source(media_type: str, chunks: Iterable[bytes]) -> CsvSource | JsonLinesSource:
    source: CsvSource | JsonLinesSource = (
        CsvSource(chunks) if media_type in CSV_MEDIA_TYPES else JsonLinesSource(chunks))
    source.open()
    return source
