"""Enumeration of accounts (issue #19, point 8a; OWASP API3/API2): emails are the sign-in name
and unique across the service, so an address that is taken cannot be given to a new account,
but the answer says nothing of an account the caller cannot see.

- Creating a user (POST /users, or a row of a users import) with an address held by an
  account the caller sees: 409, "already exists" (they can read that account anyway).
- Held by an account outside their reach, or by a deleted one (deleted accounts are visible
  to nobody): one 409, word for word the same whoever holds it, naming neither the holder nor
  its authority, nor that it was deleted.
- A dry-run users import tests nothing: such a row is reported as a free address's would be
  (created), and nothing is written; the real import fails the row with the same words.
- PATCH /users/{id} cannot change an email at all: the answer is the same whoever holds it."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.identity.models import User
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import count, send

USERS = "/api/v1/users"
PASSWORD = "a-long-passphrase-2025"
GLASGOW = "S12000049"
IMPORT_HEADER = "email,name,role,authority_code,region_code,establishment_codes,is_authority_admin"
# Words that would tell the caller something of the holder.
HINTS = ("deleted", "reach", "exists", "authority", "glasgow", "lanarkshire", GLASGOW.lower(),
         "s12000050", "officer", "headteacher", "admin ", "inactive", "removed")


def _neutral(text: bytes | str, email: str) -> str:
    """An answer with the address it was asked about taken out, to compare it with others."""
    raw = text.decode() if isinstance(text, bytes) else text
    return raw.replace(email, "EMAIL")


def _officer_body(make: Factory, email: str) -> dict[str, Any]:
    return {"email": email, "name": "New Officer", "password": PASSWORD, "role": "officer",
            "authority_id": str(make.authority().id)}


@pytest.fixture
def reach(make: Factory, db: Session) -> dict[str, Any]:
    """An authority admin of North Lanarkshire, and addresses held in and out of their reach."""
    ours, theirs = make.authority(), make.authority(GLASGOW)
    actor = make.user("officer", authority=ours, authority_admin=True)
    held = {
        "theirs": make.user("officer", authority=theirs, email="held.there@test.sih.scot"),
        "their_head": make.user("headteacher", establishments=[make.establishment(theirs)],
                                email="head.there@test.sih.scot"),
        "an_admin": make.user("admin", email="an.admin@test.sih.scot"),
        "deleted_ours": make.user("officer", authority=ours, email="gone.here@test.sih.scot",
                                  active=False, deleted_at=utcnow()),
        "deleted_theirs": make.user("officer", authority=theirs, email="gone.there@test.sih.scot",
                                    active=False, deleted_at=utcnow()),
        "ours": make.user("officer", authority=ours, email="held.here@test.sih.scot"),
    }
    db.commit()
    return {"actor": actor, "held": held}


def _create(api: Any, make: Factory, who: User, email: str) -> httpx.Response:
    return api.post(USERS, json=_officer_body(make, email), headers=make.headers(who))


HIDDEN = ("theirs", "their_head", "an_admin", "deleted_ours", "deleted_theirs")


# POST /users -----------------------------------------------------------------------------


def test_an_address_outside_reach_or_deleted_gets_one_answer_that_names_no_holder(
        api, make: Factory, reach):
    actor = reach["actor"]
    answers = {}
    for name in HIDDEN:
        email = reach["held"][name].email
        answer = _create(api, make, actor, email)
        body = assert_problem(answer, 409)
        detail = body["detail"].replace(email, "")
        assert not [hint for hint in HINTS if hint in detail.lower()], (name, body)
        assert email in body["detail"]  # their own input, repeated
        answers[name] = (answer.status_code, answer.headers["content-type"],
                         _neutral(answer.content, email))
    assert len(set(answers.values())) == 1, answers
    # Whoever holds it: nothing was created, and nothing changed hands.
    assert all(reach["held"][name].email for name in HIDDEN)


def test_an_address_held_in_the_callers_reach_says_it_already_exists(api, make: Factory, reach):
    email = reach["held"]["ours"].email
    body = assert_problem(_create(api, make, reach["actor"], email), 409)
    assert "already exists" in body["detail"] and email in body["detail"]
    hidden = assert_problem(_create(api, make, reach["actor"], reach["held"]["theirs"].email), 409)
    assert "already exists" not in hidden["detail"]


def test_for_an_admin_a_deleted_account_is_hidden_too(api, make: Factory, reach):
    """Deleted accounts are visible to nobody (policy/accounts.py), admins included: they get
    the answer of an address outside reach, never 'was deleted'."""
    admin = make.admin()
    gone = reach["held"]["deleted_theirs"].email
    seen = reach["held"]["theirs"].email
    deleted = _create(api, make, admin, gone)
    detail = assert_problem(deleted, 409)["detail"].lower()
    assert "deleted" not in detail and "exists" not in detail
    hidden = _create(api, make, reach["actor"], seen)  # outside the authority admin's reach
    assert _neutral(deleted.content, gone) == _neutral(hidden.content, seen)
    visible = assert_problem(_create(api, make, admin, seen), 409)
    assert "already exists" in visible["detail"]


def test_a_case_variant_of_an_address_outside_reach_gets_the_same_answer(api, make: Factory, reach):
    email = reach["held"]["theirs"].email
    shouted = _create(api, make, reach["actor"], email.upper())
    plain = _create(api, make, reach["actor"], email)
    assert shouted.status_code == plain.status_code == 409
    assert _neutral(shouted.content, email) == _neutral(plain.content, email)


def test_an_address_taken_by_a_concurrent_request_names_no_holder(api, make: Factory, reach,
                                                                 monkeypatch):
    """The check finds the address free, then another request takes it before this one's
    write: the database's unique index refuses it, and the answer is the same one."""
    import app.identity.service as service

    email = reach["held"]["theirs"].email
    expected = _neutral(_create(api, make, reach["actor"], email).content, email)
    monkeypatch.setattr(service, "_email_holder", lambda *_args: None)
    raced = _create(api, make, reach["actor"], email)
    assert_problem(raced, 409)
    assert _neutral(raced.content, email) == expected


# PATCH /users/{id} ----------------------------------------------------------------------


def test_patching_an_email_answers_alike_whoever_holds_the_address(api, make: Factory, reach,
                                                                 db: Session):
    actor = reach["actor"]
    target = make.user("officer", authority=make.authority())
    headers = make.headers(actor, **{"If-Match": api.get(f"{USERS}/{target.id}",
                                                         headers=make.headers(actor)).headers["etag"]})
    answers = set()
    for email in [reach["held"][name].email for name in (*HIDDEN, "ours")] + ["free@test.sih.scot"]:
        answer = api.patch(f"{USERS}/{target.id}", json={"email": email}, headers=headers)
        assert answer.status_code in (409, 422), answer.text
        assert "already exists" not in answer.text and "reach" not in answer.text
        answers.add((answer.status_code, _neutral(answer.content, email)))
    assert len(answers) == 1, answers
    db.expire_all()
    stored = db.get(User, target.id)
    assert stored is not None and stored.email == target.email


# Users import ---------------------------------------------------------------------------


def _file(*emails: str) -> bytes:
    rows = [f"{email},Person {n},officer,S12000050,,," for n, email in enumerate(emails)]
    return ("\r\n".join([IMPORT_HEADER, *rows]) + "\r\n").encode()


def _state(db: Session) -> tuple[Any, ...]:
    db.expire_all()
    users = sorted((u.email, u.name, u.version, str(u.authority_id), u.deleted_at is None)
                   for u in db.scalars(select(User)))
    return tuple(users), count(db, AuditEvent)


@pytest.mark.parametrize("partial", [False, True], ids=["all_or_nothing", "partial"])
def test_a_dry_run_reports_addresses_outside_reach_as_free_ones(api, make: Factory, reach,
                                                               db: Session, partial):
    headers = make.headers(reach["actor"])
    held = reach["held"]
    hidden = [held[name].email for name in HIDDEN]
    frees = [f"free{n}@test.sih.scot" for n in range(len(hidden))]
    before = _state(db)
    mixed = send(api, headers, _file("new@test.sih.scot", *hidden, held["ours"].email),
                 kind="users", dry_run=True, partial=partial)
    assert mixed.status_code == 200, mixed.text
    free = send(api, headers, _file("new@test.sih.scot", *frees, held["ours"].email),
                kind="users", dry_run=True, partial=partial)
    assert free.status_code == 200, free.text
    assert mixed.json() == free.json()
    report = mixed.json()
    assert (report["created"], report["updated"], report["failed"]) == (1 + len(hidden), 1, 0)
    assert (report["dry_run"], report["applied"]) == (True, False)
    assert _state(db) == before  # nothing written, by either


def test_the_real_import_fails_those_rows_with_the_words_of_post_users(api, make: Factory, reach,
                                                                      db: Session):
    headers = make.headers(reach["actor"])
    held = reach["held"]
    hidden = [held[name].email for name in HIDDEN]
    originals = {name: (held[name].id, held[name].version, held[name].authority_id,
                        held[name].name) for name in HIDDEN}
    before = _state(db)
    body = _file("new@test.sih.scot", *hidden, held["ours"].email)
    problem = assert_problem(send(api, headers, body, kind="users"), 422)
    assert (problem["created"], problem["updated"], problem["failed"]) == (1, 1, len(hidden))
    assert _state(db) == before  # all or nothing
    single = _create(api, make, reach["actor"], hidden[0]).json()["detail"]
    errors = {e["line"]: e for e in problem["errors"]}
    assert sorted(errors) == list(range(3, 3 + len(hidden)))
    reasons = {(e["column"], e["reason"].replace(email, "EMAIL"))
               for email, e in zip(hidden, (errors[line] for line in sorted(errors)), strict=True)}
    assert reasons == {("email", single.replace(hidden[0], "EMAIL"))}

    report = send(api, headers, body, kind="users", partial=True)
    assert report.status_code == 200, report.text
    assert (report.json()["created"], report.json()["updated"], report.json()["failed"]) == \
        (1, 1, len(hidden))
    db.expire_all()
    users = {u.email: u for u in db.scalars(select(User))}
    assert "new@test.sih.scot" in users and users[held["ours"].email].name == f"Person {len(hidden) + 1}"
    for name in HIDDEN:  # untouched, whoever held them
        user = users[held[name].email]
        assert (user.id, user.version, user.authority_id, user.name) == originals[name]
