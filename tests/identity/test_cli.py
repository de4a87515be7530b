"""The admin command line: create-user, create-client, seed-demo, and production settings."""

import json

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.security import generate_private_pem
from tests.identity.conftest import bearer, login, token_request

PASSWORD = "a-long-cli-passphrase-2025"


def test_create_headteacher_by_seed_code(api, make, run):
    school = make.establishment()
    result = run("create-user", "--email", "Head@Test.Sih.Scot", "--password", PASSWORD,
                 "--role", "headteacher", "--establishment-code", school.code)
    assert result.exit_code == 0, result.output
    tokens = login(api, "head@test.sih.scot", PASSWORD)
    me = api.get("/api/v1/me", headers=bearer(tokens["access_token"])).json()
    assert me["role"] == "headteacher"
    assert me["establishment_ids"] == [str(school.id)]
    assert me["authority_id"] == str(school.authority_id)
    assert PASSWORD not in result.output


def test_create_authority_admin_officer(api, make, run, db):
    authority = make.authority("S12000050")
    db.commit()
    result = run("create-user", "--email", "aa@test.sih.scot", "--password", PASSWORD,
                 "--role", "officer", "--authority-code", "S12000050", "--authority-admin")
    assert result.exit_code == 0, result.output
    me = api.get("/api/v1/me", headers=bearer(login(api, "aa@test.sih.scot", PASSWORD)["access_token"]))
    assert me.json()["authority_id"] == str(authority.id)
    assert me.json()["is_authority_admin"] is True


def test_create_regional_lead(api, make, run, db):
    region = make.region("west-partnership")
    db.commit()
    result = run("create-user", "--email", "lead@test.sih.scot", "--password", PASSWORD,
                 "--role", "regional_lead", "--region-code", "west-partnership")
    assert result.exit_code == 0, result.output
    me = api.get("/api/v1/me", headers=bearer(login(api, "lead@test.sih.scot", PASSWORD)["access_token"]))
    assert me.json()["role"] == "regional_lead"
    assert me.json()["region_id"] == str(region.id)


@pytest.mark.parametrize("args", [
    ["--role", "headteacher", "--establishment-code", "0000000"],
    ["--role", "officer", "--authority-code", "S99999999"],
    ["--role", "regional_lead", "--region-code", "nowhere"],
    ["--role", "officer"],  # an officer needs an authority
    ["--role", "headteacher"],  # a headteacher needs a school
    ["--role", "headteacher", "--authority-code", "S12000050", "--authority-admin"],
    ["--role", "emperor"],
], ids=["seed", "authority", "region", "no-authority", "no-school", "admin-flag", "role"])
def test_bad_codes_and_bindings_fail(api, run, args):
    result = run("create-user", "--email", "bad@test.sih.scot", "--password", PASSWORD, *args)
    assert result.exit_code != 0, result.output
    assert token_request(api, grant_type="password", username="bad@test.sih.scot",
                         password=PASSWORD).status_code == 400


def test_a_short_password_is_refused(run):
    result = run("create-user", "--email", "short@test.sih.scot", "--password", "short",
                 "--role", "admin")
    assert result.exit_code != 0


def test_create_client_prints_the_secret_once_and_it_works(api, run, db):
    result = run("create-client", "--name", "SEEMiS sync", "--scope", "establishments:write",
                 "--authority-code", "S12000050")
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    client_id, secret = lines["client_id"], lines["client_secret"]
    assert result.stdout.count(secret) == 1
    answer = token_request(api, grant_type="client_credentials", client_id=client_id,
                           client_secret=secret)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "establishments:write"
    me = api.get("/api/v1/me", headers=bearer(answer.json()["access_token"])).json()
    assert me["id"] == client_id
    assert me["authority_id"] is not None


def test_create_client_with_a_bad_code_or_scope_fails(run):
    assert run("create-client", "--name", "X", "--scope", "establishments:write",
               "--authority-code", "S99999999").exit_code != 0
    assert run("create-client", "--name", "X", "--scope", "everything",
               "--authority-code", "S12000050").exit_code != 0
    assert run("create-client", "--name", "X", "--scope", "summaries:read").exit_code != 0


def test_seed_demo_is_refused_in_production(run, db):
    from sqlalchemy import func, select

    from app.identity.models import User

    result = run("seed-demo", env={"SIH_ENVIRONMENT": "production"})
    assert result.exit_code != 0
    # Even with settings that production accepts, seed-demo refuses on its own.
    strong = {"SIH_ENVIRONMENT": "production", "SIH_SECRET_KEY": "s" * 48,
              "SIH_JWT_PRIVATE_KEYS": json.dumps({"k1": generate_private_pem()}),
              "SIH_JWT_ACTIVE_KID": "k1", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run("seed-demo", env=strong)
    assert result.exit_code != 0
    assert "Refused" in result.output
    db.rollback()
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_production_settings_refuse_the_default_secret_and_missing_keys():
    keys = json.dumps({"k1": generate_private_pem()})
    good = {"environment": "production", "secret_key": "s" * 48, "jwt_private_keys": keys,
            "jwt_active_kid": "k1", "database_url": "postgresql+psycopg://u@db/sih"}
    assert Settings(**good).environment == "production"
    for broken in ({"secret_key": "dev-only-secret-change-me"}, {"secret_key": "short"},
                   {"jwt_private_keys": ""}, {"jwt_active_kid": ""},
                   {"database_url": "sqlite:///./data/sih.db"}):
        with pytest.raises(ValidationError):
            Settings(**{**good, **broken})
