"""POST /imports/users: matched by email, bound by the role's rules, never given a password."""

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.identity.models import HeadteacherEstablishment, User
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import count, send

HEADER = "email,name,role,authority_code,region_code,establishment_codes,is_authority_admin"


def _file(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _users(db: Session) -> dict[str, User]:
    db.expire_all()
    return {u.email: u for u in db.scalars(select(User))}


@pytest.fixture
def schools(make: Factory):
    return make.establishment(code="8100001"), make.establishment(code="8100002")


def test_an_admin_imports_users_of_every_role(api, make: Factory, db: Session, schools):
    admin = make.admin()
    body = _file("Officer.One@Example.scot,Officer One,officer,S12000050,,,yes",
                 "head@example.scot,Head Teacher,Head Teacher,,,8100001; 8100002,",
                 "lead@example.scot,Regional Lead,regional_lead,,west-partnership,,no")
    answer = send(api, make.headers(admin), body, kind="users")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["failed"]) == (3, 0)
    users = _users(db)
    officer, head = users["officer.one@example.scot"], users["head@example.scot"]
    assert officer.role == "officer" and officer.is_authority_admin
    assert officer.authority_id == make.authority().id
    assert head.role == "headteacher" and head.authority_id == make.authority().id
    links = set(db.scalars(select(HeadteacherEstablishment.establishment_id)
                           .where(HeadteacherEstablishment.user_id == head.id)))
    assert links == {s.id for s in schools}
    assert users["lead@example.scot"].region_id == make.region().id
    assert all(u.password_hash.startswith("!") for u in (officer, head))
    assert count(db, AuditEvent) == 3


def test_imported_users_cannot_sign_in_until_a_password_is_set(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    send(api, admin, _file("new@example.scot,New Officer,officer,S12000050,,,"), kind="users")
    for guess in ("", "!", "password", _users(db)["new@example.scot"].password_hash):
        token = api.post("/api/v1/auth/token", data={
            "grant_type": "password", "username": "new@example.scot", "password": guess or "x"})
        assert token.status_code in (400, 401), token.text
    user = _users(db)["new@example.scot"]
    api.patch(f"/api/v1/users/{user.id}", json={"password": "a-long-new-passphrase"},
              headers={**admin, "If-Match": f'"{user.version}"'})
    token = api.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": "new@example.scot", "password": "a-long-new-passphrase"})
    assert token.status_code == 200, token.text


def test_a_reimport_changes_nothing_and_a_change_updates(api, make: Factory, db: Session, schools):
    admin = make.headers(make.admin())
    body = _file("head@example.scot,Head Teacher,headteacher,,,8100001,",
                 "officer@example.scot,An Officer,officer,S12000050,,,")
    send(api, admin, body, kind="users")
    versions = {email: u.version for email, u in _users(db).items()}
    again = send(api, admin, body, kind="users").json()
    assert (again["unchanged"], again["updated"], again["created"]) == (2, 0, 0)
    assert {email: u.version for email, u in _users(db).items()} == versions
    changed = _file("head@example.scot,Head Teacher,headteacher,,,8100001 8100002,",
                    "officer@example.scot,An Officer Renamed,officer,S12000050,,,")
    report = send(api, admin, changed, kind="users").json()
    assert (report["updated"], report["unchanged"]) == (2, 0)
    assert _users(db)["officer@example.scot"].name == "An Officer Renamed"


def test_an_authority_admin_imports_people_of_their_own_authority(api, make: Factory, db: Session):
    officer = make.user("officer", authority_admin=True)
    body = _file("mine@example.scot,Mine,officer,S12000050,,,",
                 "theirs@example.scot,Theirs,officer,S12000049,,,",
                 "lead@example.scot,A Lead,regional_lead,,west-partnership,,")
    report = send(api, make.headers(officer), body, kind="users", partial=True).json()
    assert (report["created"], report["failed"]) == (1, 2)
    assert [e["line"] for e in report["errors"]] == [3, 4]
    assert "mine@example.scot" in _users(db) and "theirs@example.scot" not in _users(db)


def test_rows_that_break_a_rule_are_reported(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    body = _file("not-an-email,Nobody,officer,S12000050,,,",
                 "head@example.scot,Head,headteacher,,,9999999,",
                 "officer@example.scot,Officer,officer,,,,",
                 "dup@example.scot,Dup,officer,S12000050,,,",
                 "DUP@example.scot,Dup Again,officer,S12000050,,,",
                 "x@example.scot,X,wizard,,,,")
    problem = assert_problem(send(api, admin, body, kind="users"), 422)
    errors = {e["line"]: e for e in problem["errors"]}
    assert errors[2]["column"] == "email"
    assert errors[3]["column"] == "establishment_codes" and "9999999" in errors[3]["reason"]
    assert errors[4]["column"] == "authority_code" and "authority" in errors[4]["reason"]
    assert errors[6]["column"] == "email" and "already on line 5" in errors[6]["reason"]
    assert errors[7]["column"] == "role"
    assert problem["failed"] == 5 and count(db, AuditEvent) == 0
    assert not [email for email in _users(db) if email.endswith("@example.scot")]


def test_a_missing_role_column_is_named(api, make: Factory):
    body = b"email,name\nsomeone@example.scot,Some One\n"
    problem = assert_problem(send(api, make.headers(make.admin()), body, kind="users"), 422)
    assert [e["column"] for e in problem["errors"]] == ["role"]
