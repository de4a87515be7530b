"""The contract for imports: the report every import answers with, and import jobs."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ImportKind(StrEnum):
    establishments = "establishments"
    users = "users"
    clpl_registrations = "clpl-registrations"
    critical_indicator_values = "critical-indicator-values"
    acel = "acel"
    school_statistics = "school-statistics"
    inspections = "inspections"


class ImportJobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ImportIssue(BaseModel):
    line: int = Field(description="Line of the file, counted from 1 (a CSV's header is line 1)")
    column: str | None = Field(description="The column at fault, as the file names it")
    reason: str


_REPORT_EXAMPLE: dict[str, Any] = {
    "kind": "establishments", "dry_run": False, "partial": False, "applied": False,
    "rows": 150, "created": 0, "updated": 0, "unchanged": 148, "failed": 1, "skipped": 1,
    "merged": 0, "also_created": {}, "created_as": {},
    "errors": [{"line": 42, "column": "Pupil_Roll", "reason": "a whole number, e.g. 412"}],
    "errors_truncated": False,
    "warnings": [{"line": 1, "column": "Email", "reason": "not a column of this import; ignored"}],
    "warnings_truncated": False,
}


class ImportReport(BaseModel):
    """What an import did (or, for a dry run or a rejected file, would have done).

    Every data row is counted once: rows = created + updated + unchanged + failed + skipped +
    merged."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REPORT_EXAMPLE]})
    kind: ImportKind
    dry_run: bool
    partial: bool
    applied: bool = Field(description="Whether the import's changes were committed")
    rows: int = Field(description="Data rows read (blank lines not counted)")
    created: int
    updated: int
    unchanged: int
    failed: int
    skipped: int = Field(description="Rows left out on purpose, each with a warning saying why")
    merged: int = Field(description="Rows folded into an earlier row for the same record "
                                    "(the departments of a campus school)")
    also_created: dict[str, int] = Field(
        default_factory=dict,
        description="Records created along the way, by kind (clusters a file names that did "
                    "not exist yet)")
    created_as: dict[str, int] = Field(
        default_factory=dict,
        description="How the created records came out, where a kind's can come out more than "
                    "one way; the counts add up to `created`. clpl-registrations: `confirmed` "
                    "(a place) and `waitlisted` (on the waiting list). Empty for other kinds.",
        examples=[{"confirmed": 2, "waitlisted": 13}])
    errors: list[ImportIssue] = Field(description="The failed rows' problems (the first 1,000)")
    errors_truncated: bool
    warnings: list[ImportIssue] = Field(description="Ignored columns and skipped rows (the first 1,000)")
    warnings_truncated: bool


class ImportRejected(ImportReport):
    """A file applied all or nothing that had failures, or that could not be read: nothing was
    written. RFC 9457 problem+json whose members are also the report."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_REPORT_EXAMPLE, "type": "https://school-improvement-hub.scot/problems/import-rejected",
        "title": "Import rejected", "status": 422,
        "detail": "1 row failed, so nothing was written (all or nothing). Fix the rows, or send "
                  "?partial=true to apply the others.",
        "instance": "/api/v1/imports/establishments",
    }]})
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ImportJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", "kind": "establishments",
        "status": "succeeded", "dry_run": False, "partial": False, "size_bytes": 8123456,
        "created_at": "2026-08-01T09:00:00Z", "started_at": "2026-08-01T09:00:01Z",
        "finished_at": "2026-08-01T09:00:41Z",
        "report": {**_REPORT_EXAMPLE, "applied": True, "failed": 0, "unchanged": 149, "errors": []},
        "error": None,
    }]})
    id: uuid.UUID
    kind: ImportKind
    status: ImportJobStatus
    dry_run: bool
    partial: bool
    size_bytes: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: ImportReport | None = Field(description="Once finished: what the import did")
    error: str | None = Field(description="Why a job failed when there is no report to say so")
