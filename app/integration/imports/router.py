"""HTTP for imports: send a file (CSV, JSON lines or an .xlsx workbook), or poll the job a big
one became."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse

from app.core.db import SessionDep
from app.core.errors import Problem, problems
from app.core.request_body import body_chunks
from app.core.schemas import SchoolSession
from app.identity.deps import PrincipalDep, get_principal
from app.integration.imports import jobs as import_jobs
from app.integration.imports import service as import_service
from app.integration.imports.reader import XLSX_MEDIA_TYPE
from app.integration.imports.schemas import ImportJobRead, ImportKind, ImportRejected, ImportReport
from app.integration.imports.workbook import MAX_SHEET_NAME

# Not protected_router: its bodies are JSON, these are files.
router = APIRouter(prefix="/imports", tags=["integration"], dependencies=[Depends(get_principal)],
                   responses=problems(400, 401, 503))

_CSV_EXAMPLE = ("code,name,sector,authority_code,cluster,roll,simd_q1_percent,gaelic_medium\r\n"
                "8000001,Sgoil Ghàidhlig Ghlaschu,primary,S12000049,Glasgow North,412,23.5,yes\r\n")
_JSON_LINES_EXAMPLE = ('{"code": "8000001", "name": "Sgoil Ghàidhlig Ghlaschu", "sector": "primary", '
                       '"authority_code": "S12000049", "roll": 412}\n')
_FILE = {"type": "string", "description": "The file, UTF-8"}
REQUEST_BODY = {
    "required": True,
    "description": "CSV (UTF-8 with or without BOM; comma, semicolon or tab, read from the header "
                   "line; CRLF or LF), JSON lines (one object per line, keys as CSV columns), or "
                   "an Excel workbook (.xlsx; its first sheet, or the one `sheet` names).",
    "content": {
        "text/csv": {"schema": _FILE, "example": _CSV_EXAMPLE},
        "application/x-ndjson": {"schema": _FILE, "example": _JSON_LINES_EXAMPLE},
        "application/jsonl": {"schema": _FILE, "example": _JSON_LINES_EXAMPLE},
        XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary",
                                     "description": "The workbook, as Excel saves it (.xlsx)"},
                          # Binary: no text example can be the file; this says what to send.
                          "example": "(the bytes of an .xlsx workbook: Excel's \"Excel "
                                     "Workbook\" format)"},
    },
}
DESCRIPTION = """Create or update records from a file, by their code (establishments: SEED code or
URN; users: email; clpl-registrations: the event, by `event_id` or title and date, and the
participant's email; critical-indicator-values: the indicator, by `indicator_id` or name, and
the session). Columns: the service's own field names, or those of the public files councils
hold (the Scottish Government school roll table, Ofsted/GIAS extracts, booking sheets);
unknown columns are reported as warnings and ignored. Blank cells leave a field as it is.

An .xlsx workbook is read from its first sheet, or the one `sheet` names; its header is the
first row with at least two filled cells (a title or banner above it is passed over), and a
report's `line` is the sheet's row number. Numbers, dates and text cells are read as typed (a
SEED code stored as a number is read as the code). Formulas are read as the values Excel last
saved. An old .xls file or a password-protected workbook cannot be read: save it as Excel
Workbook (.xlsx) or CSV UTF-8.

All or nothing by default: if any row fails, nothing is written and the answer is 422 with the
report. `partial=true` applies the good rows and reports the bad ones (a file of which no row can
be imported is 422 in every mode). `dry_run=true` does everything, writes nothing, and answers as
the import itself would (200, or 422 with the report). Re-importing the same file changes
nothing (every row `unchanged`, no `version` moves).

Bodies over the job threshold (2 MiB by default), of unknown length, or sent with `async=true`
run as a job: the answer is 202 with the job in `Location`; poll it until it has `succeeded` or
`failed` (with the same report). A file that cannot be read at its start (encoding, header,
empty, not a workbook, no such sheet) is refused at once with 422 rather than queued.

Admins import any kind; authority admins into their authority; integration clients with
`imports:write` import establishments of the authorities they are bound to (rows for others fail).
CLPL registrations follow the booking policy (an event's managers book anyone, headteachers their
own schools' staff) and critical indicator values their keepers (the region's leads, the
authority's admins), row by row. Users created by an import get no usable password until an
admin sets one."""


@router.post(
    "/{kind}", operation_id="runImport",
    summary="Import a file of establishments, users, CLPL registrations or indicator values",
    description=DESCRIPTION, response_model=ImportReport,
    responses={
        200: {"description": "Applied (or, for a dry run, checked): the report"},
        202: {"model": ImportJobRead, "description": "Running as a job: poll `Location`",
              "headers": {"Location": {"schema": {"type": "string"},
                                       "description": "The job: GET /api/v1/imports/jobs/{id}"}}},
        **problems(403, 413, 415, 429),
        422: {"model": ImportRejected | Problem,
              "description": "Nothing written: rows failed (all or nothing) or the file could not "
                             "be read; the body is the report (or, for a bad query, a problem)"},
    },
    openapi_extra={"requestBody": REQUEST_BODY},
)
def run_import(
    kind: ImportKind, request: Request, session: SessionDep, principal: PrincipalDep,
    background: BackgroundTasks,
    dry_run: Annotated[bool, Query(description="Check and report; write nothing")] = False,
    partial: Annotated[bool, Query(description="Apply the good rows, report the bad")] = False,
    run_async: Annotated[bool, Query(alias="async", description="Run as a job whatever the size")] = False,
    sheet: Annotated[str | None, Query(
        min_length=1, max_length=MAX_SHEET_NAME,
        description="An .xlsx workbook's sheet to read, by its name (the first sheet by default); "
                    "not for CSV or JSON lines")] = None,
    school_session: Annotated[SchoolSession | None, Query(
        alias="session", description="The session the whole file is for, where its rows name "
                                     "none (`school-statistics` as published: 2025-26 for the "
                                     "September 2025 census); a row's own session wins")] = None,
) -> Any:
    options = {name: value for name, value in (("sheet", sheet), ("session", school_session))
               if value is not None}
    settings = request.app.state.settings
    content_type = request.headers.get("content-type")
    declared = request.headers.get("content-length", "0")
    chunked = "transfer-encoding" in request.headers and "content-length" not in request.headers
    empty = declared == "0" and not chunked
    if content_type is None and empty:
        content_type = "text/csv"  # no body at all: an empty file, refused as such at once
    large = chunked or not declared.isdigit() or int(declared) > settings.import_job_threshold_bytes
    # Before the body is read: a caller over its share is told so at once (limits.py).
    slot = request.app.state.import_slots.take(principal.id)
    try:
        if (run_async or large) and not empty:
            job, path = import_jobs.create_job(session, principal, kind, body_chunks(request),
                                               content_type, dry_run=dry_run, partial=partial,
                                               spool_dir=settings.import_spool_dir,
                                               options=options)
            slot.hand_over()  # to the job's worker, which gives it back when the job ends
            background.add_task(import_jobs.launch, request.app.state.engine, job.id, principal,
                                path, slot)
            return JSONResponse(job.model_dump(mode="json"), 202, headers={
                "Location": f"/api/v1/imports/jobs/{job.id}", "Retry-After": "1"})
        return import_service.run_import(session, principal, kind, body_chunks(request),
                                         content_type, dry_run=dry_run, partial=partial,
                                         sheet=sheet, options=options)
    finally:
        if not slot.handed_over:  # this request was the import
            slot.release()


@router.get("/jobs/{job_id}", operation_id="getImportJob", summary="An import job and its report",
            description="Only its sender (and admins) may read a job.",
            response_model=ImportJobRead, responses=problems(404, 422))
def get_import_job(job_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ImportJobRead:
    return import_jobs.get_job(session, principal, job_id)
