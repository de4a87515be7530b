"""Logs never carry passwords, tokens or client secrets."""

import logging

from app.core.observability import JsonFormatter
from tests.identity.conftest import bearer, login, refresh, token_request


def _logged(caplog) -> str:
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    return "\n".join(lines) + "\n" + caplog.text


def test_login_refresh_and_reuse_log_no_secrets(api, make, caplog, capsys):
    password = "a-distinctive-passphrase-7731"
    officer = make.user("officer")
    authority_admin = make.user("officer", authority_admin=True)
    current = api.get(f"/api/v1/users/{officer.id}", headers=make.headers(authority_admin))
    api.patch(f"/api/v1/users/{officer.id}", json={"password": password},
              headers=make.headers(authority_admin, **{"If-Match": current.headers["etag"]}))

    caplog.set_level(logging.DEBUG)
    tokens = login(api, officer, password)
    wrong = token_request(api, grant_type="password", username=officer.email,
                          password=password + "-wrong")
    assert wrong.status_code == 400
    rotated = refresh(api, tokens["refresh_token"])
    assert rotated.status_code == 200
    reused = refresh(api, tokens["refresh_token"])  # reuse is logged as a warning
    assert reused.status_code == 400
    api.get("/api/v1/me", headers=bearer(rotated.json()["access_token"]))
    api.post("/api/v1/auth/revoke", data={"token": rotated.json()["refresh_token"]},
             headers=bearer(rotated.json()["access_token"]))

    assert caplog.records, "the requests above should have been logged"
    assert any(r.getMessage() == "request" for r in caplog.records)
    assert any("reuse" in r.getMessage() for r in caplog.records)
    text = _logged(caplog) + capsys.readouterr().out
    secrets = [password, password + "-wrong", tokens["access_token"], tokens["refresh_token"],
               rotated.json()["access_token"], rotated.json()["refresh_token"]]
    for secret in secrets:
        assert secret not in text
    # Not even a recognisable piece of a token (its signature) leaks.
    for token in (tokens["access_token"], rotated.json()["access_token"]):
        assert token.split(".")[2] not in text


def test_client_credentials_log_no_secret(api, make, caplog, capsys):
    client = make.client(["summaries:read"], secret="cs_a-distinctive-client-secret-991")
    caplog.set_level(logging.DEBUG)
    answer = token_request(api, grant_type="client_credentials", client_id=str(client.id),
                           client_secret="cs_a-distinctive-client-secret-991")
    assert answer.status_code == 200
    token_request(api, grant_type="client_credentials", client_id=str(client.id),
                  client_secret="cs_a-wrong-guess-of-the-secret")
    text = _logged(caplog) + capsys.readouterr().out
    for secret in ("cs_a-distinctive-client-secret-991", "cs_a-wrong-guess-of-the-secret",
                   answer.json()["access_token"]):
        assert secret not in text


def test_failures_log_no_secrets_either(api, make, caplog, capsys):
    """Validation errors echo no input: an over-long password is refused without repeating it."""
    caplog.set_level(logging.DEBUG)
    long_password = "p" * 5000
    answer = token_request(api, grant_type="password", username="x@test.sih.scot", password=long_password)
    assert answer.status_code == 422
    assert long_password[:100] not in answer.text
    text = _logged(caplog) + capsys.readouterr().out
    assert long_password[:100] not in text
