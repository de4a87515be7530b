"""Import jobs: a big body is spooled to disk as it arrives, the sender gets 202 at once, and a
background thread imports the file with its own session, then records the report.

The thread lives in the process that took the upload (the file is on its disk). If that
process stops mid-import the import's transaction is lost with it (nothing is half-applied),
and the job is reported failed: on PostgreSQL at the next poll (a running job's process holds
an advisory lock on it, which the database frees when the process dies), elsewhere once it has
been unfinished for STALE_AFTER. Send the file again."""

import contextvars
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import reader
from app.core.types import utcnow
from app.identity.models import IntegrationClient, User
from app.identity.policy import load_visible, require
from app.identity.principal import Principal
from app.integration.imports.limits import ImportSlot
from app.integration.imports.models import ImportJob
from app.integration.imports.reader import media_type_of
from app.integration.imports.schemas import ImportJobRead, ImportJobStatus
from app.integration.imports.service import ImportRejectedError, preflight, run_import
from app.integration.imports.workbook import SpooledBody

log = logging.getLogger("app.imports")
STALE_AFTER = timedelta(hours=1)
CHUNK = 64 * 1024
def spool(chunks: Iterable[bytes], directory: str) -> tuple[str, int]:
    """Write the body to a temporary file as it arrives: (path, size)."""
    handle, path = tempfile.mkstemp(prefix="sih-import-", suffix=".part", dir=directory or None)
    size = 0
    try:
        with os.fdopen(handle, "wb") as spooled:
            for chunk in chunks:
                spooled.write(chunk)
                size += len(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path, size


def forget_dead_spools(directory: str) -> int:
    """Delete job files left by a process that died mid-job (a job unfinished after
    STALE_AFTER is failed, so its file is dead well after that); run at start-up."""
    folder = Path(directory or tempfile.gettempdir())
    dead_before = time.time() - 2 * STALE_AFTER.total_seconds()
    deleted = 0
    for path in folder.glob("sih-import-*.part"):
        with suppress(OSError):  # another replica sharing the folder got there first
            if path.stat().st_mtime < dead_before:
                path.unlink()
                deleted += 1
    if deleted:
        log.info("deleted dead import job files", extra={"count": deleted, "folder": str(folder)})
    return deleted


def create_job(session: Session, principal: Principal, kind: str, chunks: Iterable[bytes],
               content_type: str | None, *, dry_run: bool, partial: bool,
               spool_dir: str, options: dict[str, str] | None = None) -> tuple[ImportJobRead, str]:
    """Check the caller, spool the body and queue the job: (the job, the spooled file).
    `options`: the import's own (`sheet`, `session`), kept with the job for its worker."""
    options = options or {}
    sheet = options.get("sheet")
    require(principal, "import.run", kind)
    media_type = media_type_of(content_type, sheet)
    # The read transaction that resolved the caller ends before a slow upload starts, so no
    # lock is held while the network trickles (SQLite takes its write lock at BEGIN).
    session.commit()
    path, size = spool(chunks, spool_dir)
    try:
        # A file the job would refuse is refused at once, not after polling.
        preflight(kind, SpooledBody(path, _chunks), media_type, dry_run=dry_run, partial=partial,
                  sheet=sheet)
        job = ImportJob(kind=kind, dry_run=dry_run, partial=partial,
                        media_type=media_type, options=options,
                        size_bytes=size, actor_type=principal.kind, actor_id=principal.id,
                        actor_label=principal.label, authority_id=principal.authority_id)
        session.add(job)
        session.flush()
    except BaseException:
        os.unlink(path)
        raise
    return ImportJobRead.model_validate(job), path


def launch(engine: Engine, job_id: uuid.UUID, principal: Principal, path: str,
           slot: ImportSlot) -> None:
    """Start the job's thread; called once the request that queued it has committed. The
    job holds the caller's import slot (limits.py) until it ends."""
    context = contextvars.copy_context()  # the request id travels into the audit records
    slot.claim()
    try:
        threading.Thread(target=context.run, args=(_work, engine, job_id, principal, path, slot),
                         name=f"import-{job_id}", daemon=True).start()
    except BaseException:
        slot.release()
        raise


def _chunks(path: str) -> Generator[bytes, None, None]:
    with open(path, "rb") as body:
        while chunk := body.read(CHUNK):
            yield chunk


def _finish(engine: Engine, job_id: uuid.UUID, **fields: object) -> None:
    with Session(engine) as session:
        job = session.get(ImportJob, job_id)
        if job is not None:
            for name, value in fields.items():
                setattr(job, name, value)
            job.finished_at = utcnow()
            session.commit()


def _lock_key(job_id: uuid.UUID) -> int:
    return int.from_bytes(job_id.bytes[:8], "big", signed=True)


@contextmanager
def _alive(engine: Engine, job_id: uuid.UUID) -> Iterator[None]:
    """Hold the job's advisory lock while it runs (PostgreSQL): a poller that can take it
    knows the process running the job has died."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _lock_key(job_id)})
        connection.commit()  # a session lock outlives the transaction; hold no transaction open
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": _lock_key(job_id)})
                connection.commit()
            except Exception:
                connection.invalidate()  # closing the connection frees the lock too


class SenderGone(Exception):
    """The job's sender was deactivated (or deleted) while it ran."""


SENDER_GONE = ("Stopped: the account that sent this import was deactivated while it ran, so "
               "nothing was written. An active account may send the file again.")


def _sender_active(engine: Engine, principal: Principal) -> bool:
    """Read afresh, apart from the import's own transaction (which on SQLite sees only what
    was committed when it began)."""
    with Session(reader(engine)) as session:
        if principal.kind == "user":
            user = session.get(User, principal.id)
            return user is not None and user.active and user.deleted_at is None
        if principal.kind == "client":
            client = session.get(IntegrationClient, principal.id)
            return client is not None and client.active
        return True  # the system (the command line) is never deactivated


def _work(engine: Engine, job_id: uuid.UUID, principal: Principal, path: str,
          slot: ImportSlot) -> None:
    try:
        # How the job ended is recorded while its lock is held: a poller that finds the lock
        # free and the job still running takes the worker for dead (_worker_died).
        with _alive(engine, job_id):
            _run_and_record(engine, job_id, principal, path)
    except Exception:
        log.exception("import job lock failed", extra={"job_id": str(job_id)})
    finally:
        slot.release()
        os.unlink(path)


def _run_and_record(engine: Engine, job_id: uuid.UUID, principal: Principal, path: str) -> None:
    try:
        _run(engine, job_id, principal, path)
    except SenderGone:
        try:
            _finish(engine, job_id, status=ImportJobStatus.failed, error=SENDER_GONE)
        except Exception:
            log.exception("could not record the stopped import job")
    except Exception:
        log.exception("import job failed", extra={"job_id": str(job_id)})
        try:
            _finish(engine, job_id, status=ImportJobStatus.failed,
                    error="The import failed on our side and nothing was written; it has been "
                          "logged. Send the file again.")
        except Exception:
            log.exception("could not record the failed import job")


def _run(engine: Engine, job_id: uuid.UUID, principal: Principal, path: str) -> None:
    with Session(engine) as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            return
        job.status, job.started_at = ImportJobStatus.running, utcnow()
        kind, dry_run, partial = job.kind, job.dry_run, job.partial
        media_type, options = job.media_type, dict(job.options or {})
        session.commit()
    def sender_still_active() -> None:
        if not _sender_active(engine, principal):
            raise SenderGone()

    sender_still_active()  # deactivated while the job waited
    with Session(engine, expire_on_commit=False) as session:
        try:
            report = run_import(session, principal, kind, SpooledBody(path, _chunks), media_type,
                                dry_run=dry_run, partial=partial,
                                before_batch=sender_still_active, sheet=options.get("sheet"),
                                options=options)
            # Checked once more just before the commit: a deactivation that landed during
            # the last batch stops the job too (on SQLite it could not land during it).
            sender_still_active()
            session.commit()
        except ImportRejectedError as rejected:
            session.rollback()
            _finish(engine, job_id, status=ImportJobStatus.failed,
                    report=rejected.report.model_dump(mode="json"), error=rejected.detail)
            return
    _finish(engine, job_id, status=ImportJobStatus.succeeded,
            report=report.model_dump(mode="json"))


def _worker_died(session: Session, job: ImportJob) -> bool:
    """A running job whose advisory lock is free: the process running it is gone. The lock
    is freed only after the worker has recorded how the job ended, so the job is read again
    once the lock is taken (for this transaction only)."""
    if job.status != ImportJobStatus.running or session.get_bind().dialect.name != "postgresql":
        return False
    taken: bool = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                  {"key": _lock_key(job.id)}).scalar_one()
    if not taken:
        return False
    session.refresh(job)
    return job.status == ImportJobStatus.running


def get_job(session: Session, principal: Principal, job_id: uuid.UUID) -> ImportJobRead:
    job = load_visible(session, principal, ImportJob, job_id)
    unfinished = job.status in (ImportJobStatus.queued, ImportJobStatus.running)
    if unfinished and (job.created_at < utcnow() - STALE_AFTER or _worker_died(session, job)):
        job.status, job.finished_at = ImportJobStatus.failed, utcnow()
        job.error = ("The import was interrupted (the server stopped while it ran) and nothing "
                     "was written. Send the file again.")
    return ImportJobRead.model_validate(job)
