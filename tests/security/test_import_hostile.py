"""Hostile import files, and what a failing statement may tell the logs."""

import logging

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.organisations.models import Establishment
from tests.core.problems import assert_problem
from tests.factories import Factory
from tests.integration.import_support import JSON_LINES, count, send, wait_for_job

NESTED = b"[" * 100_000 + b"]" * 100_000
GOOD = b'{"code": "8000001", "name": "Nested Primary", "sector": "primary", ' \
       b'"authority_code": "S12000050"}'


@pytest.mark.parametrize("dry_run", [False, True])
def test_deeply_nested_json_lines_are_refused_with_their_line(api, make: Factory, db: Session,
                                                              dry_run: bool):
    body = GOOD + b"\n" + NESTED + b"\n"
    answer = send(api, make.headers(make.admin()), body, media=JSON_LINES, dry_run=dry_run)
    problem = assert_problem(answer, 422)
    assert [(e["line"], "deep" in e["reason"]) for e in problem["errors"]] == [(2, True)], problem
    assert count(db, Establishment) == 0


def test_a_job_of_deeply_nested_json_lines_fails_with_the_line(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    body = b"\n".join([GOOD.replace(b"8000001", f"{8000000 + n}".encode()) for n in range(1, 5)]
                      + [NESTED]) + b"\n"
    queued = send(api, admin, body, media=JSON_LINES, run_async=True, partial=True)
    assert queued.status_code == 202, queued.text
    job = wait_for_job(api, admin, queued.headers["Location"])
    assert job["status"] == "succeeded", job
    assert [e["line"] for e in job["report"]["errors"]] == [5]
    assert count(db, Establishment) == 4


def test_a_file_of_nested_lines_only_is_refused_before_it_is_queued(api, make: Factory):
    answer = send(api, make.headers(make.admin()), NESTED, media=JSON_LINES, run_async=True)
    assert assert_problem(answer, 422)["errors"][0]["line"] == 1


def test_a_failed_statement_writes_no_personal_data_into_logs_or_errors(
        app: FastAPI, caplog: pytest.LogCaptureFixture):
    email = "jo.bloggs@example.org"
    engine = app.state.engine
    with (caplog.at_level(logging.DEBUG), pytest.raises(DBAPIError) as failed,
          engine.connect() as connection):
        connection.execute(text("SELECT id FROM no_such_table WHERE email = :email"),
                           {"email": email})
    logging.getLogger("app").error("statement failed", exc_info=failed.value)
    assert "no_such_table" in caplog.text  # the failure itself is logged
    assert email not in caplog.text
    assert email not in str(failed.value) and email not in repr(failed.value)
