"""Every error is RFC 9457 problem+json: clients parse one shape, and learn nothing they shouldn't."""

import pytest
from sqlalchemy.exc import DataError, OperationalError

from app.organisations import service as organisations
from tests.core.problems import assert_problem
from tests.factories import Factory

REGIONS = "/api/v1/regions"
ONE_MIB = 1024 * 1024


def test_unknown_route_is_a_404_problem(api):
    body = assert_problem(api.get("/api/v1/no-such-thing"), 404)
    assert body["type"].endswith("/not-found")


def test_wrong_method_is_a_405_problem_with_an_honest_allow(api, make: Factory):
    headers = make.headers(make.admin())
    for path, expected in ((REGIONS, {"GET", "POST"}), (f"{REGIONS}/{make.id()}", {"GET", "PATCH"}),
                           ("/healthz", {"GET"})):
        answer = api.delete(path, headers=headers)
        assert_problem(answer, 405)
        allowed = set(answer.headers["Allow"].replace(" ", "").split(","))
        assert allowed == expected, path
        for method in allowed:  # every method it names really is served
            assert api.request(method, path, headers=headers).status_code != 405, (method, path)


def test_malformed_json_is_400(api, make: Factory):
    answer = api.post(REGIONS, content=b'{"code": "x",', headers=make.headers(
        make.admin(), **{"Content-Type": "application/json"}))
    body = assert_problem(answer, 400)
    assert body["title"] == "Malformed JSON"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml"])
def test_a_json_write_in_another_content_type_is_415(api, make: Factory, content_type):
    answer = api.post(REGIONS, content=b'{"code": "new-region", "name": "New"}',
                      headers=make.headers(make.admin(), **{"Content-Type": content_type}))
    assert_problem(answer, 415)


def test_a_form_post_to_a_json_operation_is_415(api, make: Factory):
    answer = api.post(REGIONS, data={"code": "new-region", "name": "New"},
                      headers=make.headers(make.admin()))
    assert_problem(answer, 415)


def test_json_with_a_charset_is_accepted(api, make: Factory):
    answer = api.post(REGIONS, content=b'{"code": "new-region", "name": "New"}', headers=make.headers(
        make.admin(), **{"Content-Type": "application/json; charset=utf-8"}))
    assert answer.status_code == 201, answer.text


def test_body_over_one_mib_is_a_413_problem(api, make: Factory):
    big = b'{"code": "new-region", "name": "' + b"a" * ONE_MIB + b'"}'
    answer = api.post(REGIONS, content=big, headers=make.headers(
        make.admin(), **{"Content-Type": "application/json"}))
    assert_problem(answer, 413)


def test_streamed_body_over_one_mib_is_a_413_problem(api, make: Factory):
    def chunks():
        yield b'{"code": "new-region", "name": "'
        for _ in range(11):
            yield b"a" * 100_000
        yield b'"}'

    answer = api.post(REGIONS, content=chunks(), headers=make.headers(
        make.admin(), **{"Content-Type": "application/json"}))
    assert_problem(answer, 413)


def test_body_just_under_the_limit_is_read(api, make: Factory):
    padded = b'{"code": "new-region", "name": "New"}'.ljust(ONE_MIB - 1, b" ")
    answer = api.post(REGIONS, content=padded, headers=make.headers(
        make.admin(), **{"Content-Type": "application/json"}))
    assert answer.status_code == 201, answer.text


def test_path_id_that_is_not_a_uuid_is_422(api, make: Factory):
    answer = api.get(f"{REGIONS}/not-a-uuid", headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["path", "region_id"])


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwdw=="])
def test_missing_or_bad_token_is_401_with_www_authenticate(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = api.get(REGIONS, headers=headers)
    assert_problem(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_validation_problem_lists_each_broken_rule(api, make: Factory):
    answer = api.post(REGIONS, json={"code": "BAD CODE", "name": "", "extra": 1},
                      headers=make.headers(make.admin()))
    body = assert_problem(answer, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert {("body", "code"), ("body", "name"), ("body", "extra")} <= locs
    # `input` (the refused value) is added where it is short and not a secret.
    assert all({"loc", "msg", "type"} <= set(e) <= {"loc", "msg", "type", "input"}
               for e in body["errors"])
    assert body["detail"] == "The request breaks 3 rules."


def test_unexpected_error_is_a_500_problem_without_internals(api, make: Factory, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /srv/app/password.txt")

    monkeypatch.setattr(organisations, "list_regions", broken)
    answer = api.get(REGIONS, headers=make.headers(make.admin(), **{"X-Request-ID": "support-500"}))
    body = assert_problem(answer, 500)
    assert "secret" not in answer.text and "RuntimeError" not in answer.text
    assert body["detail"]
    # Support finds the logged traceback by the id the client saw.
    assert answer.headers["X-Request-ID"] == "support-500"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_database_outage_is_a_503_problem_with_retry_after(api, make: Factory, monkeypatch):
    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(organisations, "list_regions", down)
    answer = api.get(REGIONS, headers=make.headers(make.admin()))
    assert_problem(answer, 503)
    assert answer.headers["Retry-After"].isdigit()
    assert "SELECT" not in answer.text and "refused" not in answer.text


def test_a_value_the_database_refuses_is_422_not_a_retryable_503(api, make: Factory, monkeypatch):
    def refuses(*_args, **_kwargs):
        raise DataError("SELECT 1", {}, Exception("PostgreSQL text fields cannot contain NUL"))

    monkeypatch.setattr(organisations, "list_regions", refuses)
    answer = api.get(REGIONS, headers=make.headers(make.admin()))
    assert_problem(answer, 422)
    assert "Retry-After" not in answer.headers and "NUL" not in answer.text
