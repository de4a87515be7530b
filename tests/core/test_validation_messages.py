"""Validation errors in plain English (issue #20, point 14): a refused session or date says what
was sent and how to write it, never a regular expression; every field error repeats the value
it refused (`input`) when that is short and not a secret."""

import uuid

from app.core.schemas import latest_session_start
from tests.assurance.test_visits import VISITS, _visit
from tests.core.problems import assert_problem
from tests.planning.conftest import school  # noqa: F401 - the fixture

PLANS = "/api/v1/improvement-plans"
LAST = latest_session_start()


def _error(answer, loc):
    body = assert_problem(answer, 422, loc=loc)
    return next(e for e in body["errors"] if e["loc"][-len(loc):] == loc)


# Sessions ---------------------------------------------------------------------------------


def test_a_session_written_with_a_slash_says_how_to_write_it_in_a_query(api, school):  # noqa: F811
    error = _error(api.get(VISITS, params={"session": "2026/27"}, headers=school.link_officer),
                   ["query", "session"])
    assert error["msg"] == "session '2026/27' is not a school session: write it as 2026-27"
    assert "\\d" not in error["msg"] and "pattern" not in error["msg"]
    assert error["type"] == "string_pattern_mismatch"  # the type clients already know
    assert error["input"] == "2026/27"


def test_a_session_in_a_body_and_in_a_path_reads_the_same(api, school, make):  # noqa: F811
    body = api.post(PLANS, json={"establishment_id": str(school.establishment.id),
                                 "session": "2025-2026"}, headers=school.head)
    assert _error(body, ["body", "session"])["msg"] == (
        "session '2025-2026' is not a school session: write it as 2025-26")
    path = api.get(f"/api/v1/authorities/{make.authority().id}/calendar/2025_26",
                   headers=school.authority_admin)
    error = _error(path, ["path", "school_session"])
    assert error["msg"] == "session '2025_26' is not a school session: write it as 2025-26"


def test_every_session_refusal_repeats_the_value_and_says_what_is_expected(api, school):  # noqa: F811
    expected = {
        "2025-27": "the years must follow each other, e.g. 2025-26",
        "abc": "write it YYYY-YY with consecutive years",
        "1999-00": "a school session from 2000-01 to the next one",
    }
    for sent, says in expected.items():
        error = _error(api.get(VISITS, params={"session": sent}, headers=school.link_officer),
                       ["query", "session"])
        assert error["msg"].startswith(f"session '{sent}' "), error
        assert says in error["msg"], error
        assert not error["msg"].startswith("Value error"), error


# Dates ------------------------------------------------------------------------------------


def _put_visit(api, school, day):  # noqa: F811
    return api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school, visit_date=day),
                   headers=school.link_officer)


def test_a_date_in_another_format_is_repeated_with_the_format_expected(api, school):  # noqa: F811
    error = _error(_put_visit(api, school, "01/12/2026"), ["body", "visit_date"])
    assert "'01/12/2026'" in error["msg"] and "YYYY-MM-DD" in error["msg"]
    assert error["input"] == "01/12/2026"


def test_a_date_that_does_not_exist_is_repeated_with_the_reason(api, school):  # noqa: F811
    error = _error(_put_visit(api, school, "2026-02-30"), ["body", "visit_date"])
    assert error["msg"] == ("date '2026-02-30' does not exist (February 2026 has 28 days): "
                            "send a real date, YYYY-MM-DD")
    assert error["type"] == "date_from_datetime_parsing"  # the type pydantic gave before
    assert error["input"] == "2026-02-30"
    month = _error(_put_visit(api, school, "2026-13-01"), ["body", "visit_date"])
    assert "'2026-13-01'" in month["msg"] and "no month 13" in month["msg"]


def test_a_date_sent_as_a_number_is_repeated_too(api, school):  # noqa: F811
    error = _error(_put_visit(api, school, 20261201), ["body", "visit_date"])
    assert "20261201" in error["msg"] and "YYYY-MM-DD" in error["msg"]
    assert error["input"] == 20261201


def test_a_date_time_is_repeated_with_the_form_expected(api, school):  # noqa: F811
    error = _error(api.put(f"{VISITS}/{uuid.uuid4()}",
                           json=_visit(school, client_recorded_at="yesterday"),
                           headers=school.link_officer), ["body", "client_recorded_at"])
    assert "'yesterday'" in error["msg"] and "2025-08-18T09:00:00Z" in error["msg"]


# Every field error -------------------------------------------------------------------------


def test_every_field_error_carries_the_short_value_it_refused(api, make):
    answer = api.post("/api/v1/establishments", json={
        "code": "8000001", "name": "Test Primary", "sector": "castle", "roll": -3,
        "authority_id": str(make.authority().id), "gaelic_medium": "yes"},
        headers=make.headers(make.admin()))
    body = assert_problem(answer, 422)
    inputs = {e["loc"][-1]: e.get("input") for e in body["errors"]}
    assert inputs == {"sector": "castle", "roll": -3, "gaelic_medium": "yes"}, body["errors"]


def test_long_values_objects_and_missing_fields_are_not_repeated(api, make):
    answer = api.post("/api/v1/establishments", json={
        "code": "8000001", "name": "x" * 201, "sector": {"kind": "primary"}, "roll": 3},
        headers=make.headers(make.admin()))
    body = assert_problem(answer, 422)
    assert body["errors"] and all("input" not in e for e in body["errors"]), body["errors"]
    assert {e["loc"][-1] for e in body["errors"]} >= {"name", "sector", "authority_id"}


def test_passwords_and_secrets_are_never_repeated(api, make):
    short = "hunter2"  # a real one, only too short
    answer = api.post("/api/v1/users", json={
        "email": "new.person@test.sih.scot", "name": "New Person", "password": short,
        "role": "wizard"}, headers=make.headers(make.admin()))
    body = assert_problem(answer, 422, loc=["body", "password"])
    password = next(e for e in body["errors"] if e["loc"] == ["body", "password"])
    assert "input" not in password
    assert short not in answer.text
    role = next(e for e in body["errors"] if e["loc"] == ["body", "role"])
    assert role["input"] == "wizard"


def test_no_field_named_like_a_secret_is_repeated():
    from app.core.errors import _clean_errors

    raw = [{"loc": ("body", name), "msg": "bad", "type": "string_too_short", "input": "abc"}
           for name in ("password", "client_secret", "refresh_token", "token", "new_password")]
    raw.append({"loc": ("header", "authorization"), "msg": "bad", "type": "x", "input": "Basic a"})
    assert all("input" not in e for e in _clean_errors(raw))
