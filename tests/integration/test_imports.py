"""POST /imports/establishments: all or nothing, partial, dry run, the files spreadsheets make,
the files they break, and a crash halfway."""

import dataclasses
import json

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent, ChangeRecord
from app.integration.imports import service as import_service
from app.integration.imports.kinds import KINDS
from app.organisations.models import Cluster, Establishment
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import (
    HEADER,
    JSON_LINES,
    count,
    csv_rows,
    establishments,
    school,
    send,
)


@pytest.fixture
def admin(make: Factory) -> dict[str, str]:
    return make.headers(make.admin())


def test_a_file_creates_establishments_and_a_reimport_changes_nothing(api, admin, db: Session):
    body = csv_rows(school(1, cluster="Airdrie"), school(2, cluster="Airdrie", gaelic_medium="yes"),
                    school(3, simd_q1_percent="23.5", sector="Secondary"))
    first = send(api, admin, body)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["created"], report["updated"], report["unchanged"], report["failed"]) == (3, 0, 0, 0)
    assert report["applied"] is True and report["also_created"] == {"cluster": 1}
    assert report["errors"] == [] and report["warnings"] == []
    saved = establishments(db)
    assert saved["8000003"].sector == "secondary" and float(saved["8000003"].simd_q1_percent) == 23.5
    assert saved["8000002"].gaelic_medium is True
    assert saved["8000001"].cluster_id == saved["8000002"].cluster_id is not None
    stamps = {code: (e.version, e.updated_at) for code, e in saved.items()}
    audited = count(db, AuditEvent)
    assert audited == 3 + 1  # three establishments and the cluster

    again = send(api, admin, body)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 3)
    assert again.json()["also_created"] == {}
    assert {code: (e.version, e.updated_at) for code, e in establishments(db).items()} == stamps
    assert count(db, AuditEvent) == audited


def test_a_changed_row_updates_that_establishment_only(api, admin, db: Session):
    send(api, admin, csv_rows(school(1), school(2)))
    answer = send(api, admin, csv_rows(school(1), school(2, roll="999")))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["updated"], answer.json()["unchanged"]) == (1, 1)
    saved = establishments(db)
    assert (saved["8000002"].roll, saved["8000002"].version) == (999, 2)
    assert saved["8000001"].version == 1


def test_every_write_is_audited_as_the_importer(api, make: Factory, db: Session):
    officer = make.user("officer", authority_admin=True)
    send(api, make.headers(officer), csv_rows(school(1, cluster="North")))
    db.expire_all()
    events = {e.action: e for e in db.query(AuditEvent).all()}
    assert set(events) == {"establishment.create", "cluster.create"}
    assert events["establishment.create"].actor_id == officer.id
    assert events["establishment.create"].after["code"] == "8000001"


def test_a_bad_row_in_the_middle_writes_nothing(api, admin, db: Session):
    rows = [school(n) for n in range(1, 6)]
    rows[2] = school(3, roll="lots")
    body = assert_problem(send(api, admin, csv_rows(*rows)), 422)
    assert body["applied"] is False and body["failed"] == 1 and body["unchanged"] == 0
    assert body["errors"] == [{"line": 4, "column": "roll",
                               "reason": "a whole number, e.g. 412 (got 'lots')"}]
    assert "nothing was written" in body["detail"]
    assert count(db, Establishment) == count(db, AuditEvent) == 0


def test_partial_applies_the_good_rows_and_reports_the_bad(api, admin, db: Session):
    rows = [school(1), school(2, sector="academy"), school(3), school(4, authority_code="S99999999"),
            school(5)]
    answer = send(api, admin, csv_rows(*rows), partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["created"], report["failed"], report["applied"]) == (3, 2, True)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "sector"), (5, "authority_code")]
    assert "'academy' is not a sector" in report["errors"][0]["reason"]
    assert report["errors"][1]["reason"] == "no authority with code 'S99999999'"
    assert set(establishments(db)) == {"8000001", "8000003", "8000005"}


def test_a_failing_row_in_partial_mode_leaves_nothing_behind(api, make: Factory, db: Session):
    """The row's cluster would be created before its establishment is refused: the savepoint
    takes both back."""
    glasgow = make.authority("S12000049")
    officer = make.user("officer", authority_admin=True)  # North Lanarkshire's admin
    rows = [school(1), school(2, authority_code=glasgow.code, cluster="Elsewhere")]
    answer = send(api, make.headers(officer), csv_rows(*rows), partial=True)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["failed"]) == (1, 1)
    assert answer.json()["errors"][0]["column"] in ("authority_code", "cluster")
    assert count(db, Cluster) == 0 and set(establishments(db)) == {"8000001"}


def test_a_row_failing_after_a_write_takes_back_its_audit_and_feed_entries(api, make: Factory,
                                                                            db: Session):
    """Row 3 creates its cluster, then its code turns out to be another council's school: the
    savepoint takes back the cluster, and with it the cluster's audit record and feed entry
    (imports collect those and write them a batch at a time)."""
    make.establishment(make.authority("S12000049"), code="8000002")  # Glasgow's
    officer = make.user("officer", authority_admin=True)  # North Lanarkshire's admin
    rows = [school(1), school(2, cluster="Brand New"), school(3)]
    answer = send(api, make.headers(officer), csv_rows(*rows), partial=True)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["failed"]) == (2, 1)
    assert "outside your reach" in answer.json()["errors"][0]["reason"]
    assert count(db, Cluster) == 0
    assert sorted((c.resource_type, c.resource_id) for c in db.scalars(select(ChangeRecord))) == \
        sorted(("establishment", str(e.id)) for code, e in establishments(db).items() if code != "8000002")
    assert [e.action for e in db.scalars(select(AuditEvent))] == ["establishment.create"] * 2


def test_duplicate_codes_in_one_file_fail_the_later_row(api, admin, db: Session):
    rows = [school(1), school(2), school(1, name="Import School 1 again")]
    body = assert_problem(send(api, admin, csv_rows(*rows)), 422)
    assert body["errors"] == [{"line": 4, "column": "code", "reason":
                               "8000001 is already on line 2: each record may appear once in a file"}]
    partial = send(api, admin, csv_rows(*rows), partial=True).json()
    assert (partial["created"], partial["failed"]) == (2, 1)
    assert establishments(db)["8000001"].name == "Import School 1"


def test_duplicates_are_found_across_batches(api, admin, db: Session, monkeypatch):
    monkeypatch.setattr(import_service, "BATCH_SIZE", 2)
    rows = [school(n) for n in range(1, 6)] + [school(2)]
    body = assert_problem(send(api, admin, csv_rows(*rows)), 422)
    assert body["errors"][0]["line"] == 7 and "already on line 3" in body["errors"][0]["reason"]
    assert count(db, Establishment) == 0


def test_a_missing_required_column_is_named(api, admin, db: Session):
    header = "code,name,roll"
    body = assert_problem(send(api, admin, csv_rows("8000001,A School,12", header=header)), 422)
    assert body["errors"] == [{"line": 1, "column": "sector", "reason":
                               "required column 'sector' is missing (accepted names: sector, "
                               "schooltype, phase)"}]
    assert "sector" in body["detail"] and body["failed"] == 0
    assert count(db, Establishment) == 0


def test_unknown_columns_are_reported_and_ignored(api, admin, db: Session):
    body = csv_rows(school(1) + ",blue", header=HEADER + ",colour")
    answer = send(api, admin, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["warnings"] == [{"line": 1, "column": "colour",
                                          "reason": "not a column of this import; ignored"}]
    assert answer.json()["created"] == 1


def test_latin1_bytes_are_a_clear_error_naming_the_line(api, admin, db: Session):
    body = csv_rows(school(1), school(2, name="Sgoil Ghàidhlig")).decode().encode("latin-1")
    problem = assert_problem(send(api, admin, body), 422)
    assert problem["errors"][0]["line"] == 3
    assert problem["detail"].startswith("Line 3 is not UTF-8: byte 0xE0")
    assert "'à'" in problem["detail"] and "UTF-8" in problem["detail"]
    assert count(db, Establishment) == 0


@pytest.mark.parametrize("body", [b"", b"\r\n\r\n", "\ufeff".encode()])
def test_an_empty_file_is_a_clear_error(api, admin, body):
    problem = assert_problem(send(api, admin, body), 422)
    assert problem["detail"].startswith("The file is empty")
    assert problem["rows"] == 0


def test_a_header_only_file_is_a_clear_error(api, admin):
    problem = assert_problem(send(api, admin, (HEADER + "\r\n").encode()), 422)
    assert problem["detail"] == "The file has a header (line 1) but no rows."


def test_semicolons_a_bom_and_crlf_as_excel_saves_them(api, admin, db: Session):
    header = "code;name;sector;authority_code;roll;simd_q1_percent"
    body = "\ufeff" + header + "\r\n" + "8000001;Smith, Jones & Co Academy;secondary;S12000050;1.204;12,5\r\n"
    answer = send(api, admin, body.replace("1.204", "1204").encode())
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1 and answer.json()["warnings"] == []
    saved = establishments(db)["8000001"]
    assert saved.name == "Smith, Jones & Co Academy" and saved.roll == 1204
    assert float(saved.simd_q1_percent) == 12.5


def test_quoted_cells_may_hold_commas_and_line_breaks(api, admin, db: Session):
    body = csv_rows('8000001,"St Mary\'s, Upper\nTown",primary,S12000050,,5,,', school(2),
                    school(3, roll="x"), newline="\r\n")
    answer = send(api, admin, body, partial=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    assert [(e["line"], e["column"]) for e in answer.json()["errors"]] == [(5, "roll")]
    assert establishments(db)["8000001"].name == "St Mary's, Upper\nTown"


def test_json_lines(api, admin, db: Session):
    lines = [
        {"code": 8000001, "name": "Json Primary", "sector": "primary", "authority_code": "S12000050",
         "roll": 212, "gaelic_medium": True, "simd_q1_percent": 40.25},
        {"code": "8000002", "name": "Json High", "sector": "secondary", "roll": "1,002", "colour": "red",
         "authority": "North Lanarkshire Council"},
    ]
    body = ("\n".join(json.dumps(line) for line in lines) + "\n\n").encode()
    answer = send(api, admin, body, media=JSON_LINES)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    assert answer.json()["warnings"] == [{"line": 2, "column": "colour",
                                          "reason": "not a field of this import; ignored"}]
    saved = establishments(db)
    assert saved["8000001"].gaelic_medium is True and saved["8000002"].roll == 1002
    assert saved["8000002"].authority_id == saved["8000001"].authority_id  # found by its name


def test_json_lines_report_bad_lines(api, admin, db: Session):
    body = b'{"code": "8000001", "name": "Fine", "sector": "primary", "authority_code": "S12000050"}\n' \
           b'not json\n[1, 2]\n{"code": "8000002", "sector": "primary"}\n'
    answer = send(api, admin, body, media="application/jsonl", partial=True)
    assert answer.status_code == 200, answer.text
    errors = answer.json()["errors"]
    assert [e["line"] for e in errors] == [2, 3, 4]
    assert errors[0]["reason"].startswith("not valid JSON")
    assert errors[1]["reason"].startswith("each line must be a JSON object")
    assert (errors[2]["column"], errors[2]["reason"]) == ("name", "required, but missing or empty")


def test_dry_run_writes_nothing_but_reports_what_would_happen(api, admin, db: Session):
    send(api, admin, csv_rows(school(1)))
    before = establishments(db)["8000001"].version
    body = csv_rows(school(1, roll="5"), school(2, cluster="New Cluster"))
    answer = send(api, admin, body, dry_run=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["dry_run"], report["applied"]) == (True, False)
    assert (report["created"], report["updated"], report["failed"]) == (1, 1, 0)
    assert report["also_created"] == {"cluster": 1}
    assert set(establishments(db)) == {"8000001"}
    assert establishments(db)["8000001"].version == before and establishments(db)["8000001"].roll == 101
    assert count(db, Cluster) == 0 and count(db, AuditEvent) == 1


def test_a_dry_run_answers_as_the_import_would(api, admin, db: Session):
    body = csv_rows(school(1), school(2, sector="nope"))
    problem = assert_problem(send(api, admin, body, dry_run=True), 422)
    assert problem["dry_run"] is True and problem["detail"].startswith("Dry run: 1 row failed")
    assert (problem["created"], problem["failed"]) == (1, 1)
    partial = send(api, admin, body, dry_run=True, partial=True)
    assert partial.status_code == 200 and partial.json()["failed"] == 1
    assert count(db, Establishment) == 0


def test_a_file_of_which_no_row_can_be_imported_is_refused_in_every_mode(api, admin, db: Session):
    body = b'{}\n[1]\n'
    for params in ({}, {"partial": True}, {"dry_run": True, "partial": True}):
        problem = assert_problem(send(api, admin, body, media=JSON_LINES, **params), 422)
        assert problem["detail"].endswith("No row could be imported (2 rows failed), so nothing "
                                          "was written.")
    jobbed = assert_problem(send(api, admin, body, media=JSON_LINES, partial=True, run_async=True), 422)
    assert jobbed["failed"] == 2 and [e["line"] for e in jobbed["errors"]] == [1, 1, 1, 2]


def test_a_crash_halfway_rolls_everything_back(api, admin, db: Session, monkeypatch):
    spec = KINDS["establishments"]
    calls = {"n": 0}

    def crashing_apply(ctx, row, batch):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("the disk caught fire")
        return spec.apply(ctx, row, batch)

    monkeypatch.setattr(import_service, "BATCH_SIZE", 2)
    monkeypatch.setitem(KINDS, "establishments", dataclasses.replace(spec, apply=crashing_apply))
    for partial in (False, True):
        calls["n"] = 0
        answer = send(api, admin, csv_rows(*[school(n, cluster="C") for n in range(1, 7)]),
                      partial=partial)
        assert_problem(answer, 500)
        assert "fire" not in answer.text
        assert count(db, Establishment) == count(db, Cluster) == count(db, AuditEvent) == 0


def test_a_wrong_content_type_is_415(api, admin):
    assert_problem(send(api, admin, b'{"code": "8000001"}', media="application/json"), 415)
    problem = assert_problem(send(api, admin, csv_rows(school(1)), media="text/csv; charset=latin-1"), 415)
    assert "UTF-8" in problem["detail"]
    assert send(api, admin, csv_rows(school(1)), media="text/csv; charset=UTF-8").status_code == 200


def test_an_unknown_kind_is_422(api, admin):
    assert_problem(send(api, admin, csv_rows(school(1)), kind="pupils"), 422,
                   loc=["path", "kind"])


def test_the_same_idempotency_key_replays_the_report(api, admin, db: Session):
    headers = {**admin, "Idempotency-Key": "nightly-2026-08-01"}
    first = send(api, headers, csv_rows(school(1)))
    again = send(api, headers, csv_rows(school(1)))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert count(db, AuditEvent) == 1
