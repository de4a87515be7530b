"""`python -m app.cli import KIND FILE`: the same import, run on the server without a network."""

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.organisations.models import Establishment
from tests.integration.import_support import count, csv_rows, establishments, school


def _file(tmp_path: Path, body: bytes, name: str = "schools.csv") -> str:
    path = tmp_path / name
    path.write_bytes(body)
    return str(path)


def test_a_file_is_imported_and_audited_as_the_command_line(run, db: Session, tmp_path):
    result = run("import", "establishments", _file(tmp_path, csv_rows(school(1), school(2))))
    assert result.exit_code == 0, result.output
    assert "2 rows, 2 created, 0 updated, 0 unchanged, 0 failed" in result.output
    assert set(establishments(db)) == {"8000001", "8000002"}
    assert {e.actor_label for e in db.scalars(select(AuditEvent))} == {"cli"}
    again = run("import", "establishments", _file(tmp_path, csv_rows(school(1), school(2))))
    assert "0 created, 0 updated, 2 unchanged" in again.output


def test_a_bad_row_writes_nothing_and_is_reported(run, db: Session, tmp_path):
    body = csv_rows(school(1), school(2, roll="lots"), school(3))
    result = run("import", "establishments", _file(tmp_path, body))
    assert result.exit_code == 1
    assert "line 3 [roll]" in result.output and "Nothing was written" in result.output
    assert count(db, Establishment) == 0
    partial = run("import", "establishments", _file(tmp_path, body), "--partial")
    assert partial.exit_code == 0, partial.output
    assert set(establishments(db)) == {"8000001", "8000003"}


def test_dry_run_json_lines_and_unknown_kinds(run, db: Session, tmp_path):
    lines = b'{"code": "8000007", "name": "Lines Primary", "sector": "primary", ' \
            b'"authority_code": "S12000050"}\n'
    dry = run("import", "establishments", _file(tmp_path, lines, "schools.jsonl"), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "1 created" in dry.output and "(dry run)" in dry.output
    assert count(db, Establishment) == 0
    unknown = run("import", "pupils", _file(tmp_path, lines, "schools.jsonl"))
    assert unknown.exit_code == 2 and "No import kind 'pupils'" in unknown.output
