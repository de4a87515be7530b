"""Media types: which representation a client prefers (JSON or CSV), and which bodies an
operation takes (JSON, or a streamed file of an accepted type); 415 otherwise. And the one
writer of every CSV the service sends, which keeps free text from running as a formula."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from fastapi import Request

from app.core.errors import UnsupportedMediaType

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MEDIA_TYPE = "application/json"

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google
# Sheets (OWASP "CSV injection"); a single quote in front makes it text again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> str:
    """One cell as text that a spreadsheet shows and never runs. Numbers, and text that is
    exactly a number, stay as they are: a negative figure must still add up in the sheet."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_document(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV (UTF-8, CRLF, as RFC 4180 has it) with every cell through `csv_cell`: every CSV
    the service writes is written here, so none can forget the rule."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _quality(accept: str, media_type: str) -> float:
    """The q the Accept header gives a media type (its most specific matching range)."""
    kind = media_type.split("/")[0]
    best, specificity = 0.0, -1
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media)
        if rank is None or rank < specificity:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best, specificity = q, rank
    return best


def prefers_csv(request: Request) -> bool:
    """CSV when the client ranks text/csv above JSON; JSON otherwise (and by default)."""
    accept = request.headers.get("accept", "")
    return _quality(accept, CSV_MEDIA_TYPE) > _quality(accept, "application/json")


def preferred_media_type(request: Request, offered: Sequence[str]) -> str:
    """The offered media type the client ranks highest; on a tie the first offered (JSON, so
    that `*/*` and no Accept at all still get JSON)."""
    accept = request.headers.get("accept", "")
    return max(offered, key=lambda media_type: _quality(accept, media_type))  # first of equals


async def require_json(request: Request) -> None:
    """Bodies of JSON operations must say they are JSON (415 otherwise). `async def`: a
    sync dependency would cost every request a threadpool hop."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"This operation takes application/json, not {media or 'a body without Content-Type'}."
        )


def streamed_media_type(content_type: str | None, accepted: Iterable[str]) -> str:
    """The media type of a streamed (non-JSON) body, if it is one of `accepted` and UTF-8;
    415 otherwise."""
    media, _, params = (content_type or "").partition(";")
    media = media.strip().lower()
    names = sorted(accepted)
    if media not in names:
        raise UnsupportedMediaType(
            f"This operation takes {', '.join(names)}, not {media or 'a body without Content-Type'}.")
    charset = next((v.strip().strip('"').lower() for k, _, v in
                    (p.partition("=") for p in params.split(";")) if k.strip().lower() == "charset"),
                   "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"Send the file as UTF-8 (charset={charset} is not read).")
    return media
