"""Users: who may create and change whom, mass assignment, and the bindings that scope them."""

import pytest

from tests.identity.conftest import login

USERS = "/api/v1/users"
PASSWORD = "a-long-passphrase-2025"


def _user(role="officer", **fields):
    n = fields.pop("n", 1)
    return {"email": f"new.{role}.{n}@test.sih.scot", "name": f"New {role}", "password": PASSWORD,
            "role": role, **fields}


def _patch(api, make, actor, user_id, body):
    current = api.get(f"{USERS}/{user_id}", headers=make.headers(actor))
    if current.status_code != 200:
        return current
    return api.patch(f"{USERS}/{user_id}", json=body,
                     headers=make.headers(actor, **{"If-Match": current.headers["etag"]}))


@pytest.fixture
def org(make, db):
    """North Lanarkshire (ours) and Glasgow (theirs), a school in each, and an authority admin."""
    ours, theirs = make.authority(), make.authority("S12000049")
    school = make.establishment(ours)
    their_school = make.establishment(theirs)
    authority_admin = make.user("officer", authority=ours, authority_admin=True)
    region = make.region()
    db.commit()
    return {"ours": ours, "theirs": theirs, "school": school, "their_school": their_school,
            "authority_admin": authority_admin, "region": region}


def test_an_admin_creates_a_user_of_every_role(api, make, org):
    admin = make.admin()
    bodies = [
        _user("admin"),
        _user("officer", authority_id=str(org["ours"].id), is_authority_admin=True),
        _user("headteacher", establishment_ids=[str(org["school"].id)]),
        _user("regional_lead", region_id=str(org["region"].id)),
    ]
    for body in bodies:
        answer = api.post(USERS, json=body, headers=make.headers(admin))
        assert answer.status_code == 201, answer.text
        created = answer.json()
        assert created["role"] == body["role"]
        assert "password" not in created and "password_hash" not in created
        assert PASSWORD not in answer.text
        assert answer.headers["location"] == f"/api/v1/users/{created['id']}"
        assert login(api, body["email"], PASSWORD)["access_token"]
    head = api.get(USERS, params={"role": "headteacher"}, headers=make.headers(admin)).json()["items"]
    assert head[0]["establishment_ids"] == [str(org["school"].id)]
    assert head[0]["authority_id"] == str(org["ours"].id)  # derived from the school


def test_an_authority_admin_creates_officers_and_headteachers_of_their_authority(api, make, org):
    actor = org["authority_admin"]
    officer = api.post(USERS, json=_user("officer", authority_id=str(org["ours"].id)),
                       headers=make.headers(actor))
    assert officer.status_code == 201, officer.text
    head = api.post(USERS, json=_user("headteacher", establishment_ids=[str(org["school"].id)]),
                    headers=make.headers(actor))
    assert head.status_code == 201, head.text


@pytest.mark.parametrize("body", [
    _user("admin"),
    _user("regional_lead", region_id="REGION"),
], ids=["admin", "regional_lead"])
def test_an_authority_admin_cannot_create_admins_or_regional_leads(api, make, org, body):
    body = {k: (str(org["region"].id) if v == "REGION" else v) for k, v in body.items()}
    answer = api.post(USERS, json=body, headers=make.headers(org["authority_admin"]))
    assert answer.status_code == 403, answer.text


def test_an_authority_admin_cannot_create_a_user_in_another_authority(api, make, org):
    answer = api.post(USERS, json=_user("officer", authority_id=str(org["theirs"].id)),
                      headers=make.headers(org["authority_admin"]))
    assert answer.status_code == 403, answer.text
    answer = api.post(USERS, json=_user("officer", authority_id=str(org["theirs"].id),
                                        is_authority_admin=True),
                      headers=make.headers(org["authority_admin"]))
    assert answer.status_code == 403, answer.text


def test_an_authority_admin_cannot_give_a_headteacher_another_authoritys_school(api, make, org):
    actor = org["authority_admin"]
    theirs = api.post(USERS, json=_user("headteacher", establishment_ids=[str(org["their_school"].id)]),
                      headers=make.headers(actor))
    assert theirs.status_code == 403, theirs.text
    mixed = api.post(USERS, json=_user("headteacher", establishment_ids=[
        str(org["school"].id), str(org["their_school"].id)]), headers=make.headers(actor))
    assert mixed.status_code in (403, 422), mixed.text
    # Nor move an existing headteacher of ours to their school afterwards.
    head = make.user("headteacher", establishments=[org["school"]])
    moved = _patch(api, make, actor, head.id, {"establishment_ids": [str(org["their_school"].id)]})
    assert moved.status_code == 403, moved.text


def test_an_authority_admin_cannot_promote_or_export_users(api, make, org):
    actor = org["authority_admin"]
    officer = make.user("officer", authority=org["ours"])
    assert _patch(api, make, actor, officer.id, {"role": "admin"}).status_code == 403
    assert _patch(api, make, actor, officer.id,
                  {"role": "regional_lead", "region_id": str(org["region"].id)}).status_code == 403
    assert _patch(api, make, actor, officer.id,
                  {"authority_id": str(org["theirs"].id)}).status_code == 403
    stored = api.get(f"{USERS}/{officer.id}", headers=make.headers(actor)).json()
    assert stored["role"] == "officer" and stored["authority_id"] == str(org["ours"].id)


def test_an_authority_admin_cannot_reach_admins_or_other_authorities_users(api, make, org):
    actor = org["authority_admin"]
    for other in (make.admin(), make.user("officer", authority=org["theirs"]),
                  make.user("regional_lead")):
        assert api.get(f"{USERS}/{other.id}", headers=make.headers(actor)).status_code == 404
        assert api.patch(f"{USERS}/{other.id}", json={"active": False},
                         headers=make.headers(actor, **{"If-Match": '"1"'})).status_code == 404
        assert api.delete(f"{USERS}/{other.id}",
                          headers=make.headers(actor, **{"If-Match": '"1"'})).status_code == 404


@pytest.mark.parametrize("field,value", [
    ("password_hash", "$argon2id$v=19$m=65536,t=3,p=4$forged"),
    ("is_demo", True), ("deleted_at", None), ("version", 99), ("id", "00000000-0000-0000-0000-000000000001"),
    ("last_login_at", "2025-01-01T00:00:00Z"), ("created_at", "2025-01-01T00:00:00Z"),
])
def test_unknown_fields_are_refused_not_silently_applied(api, make, org, field, value):
    actor = org["authority_admin"]
    create = api.post(USERS, json={**_user("officer", authority_id=str(org["ours"].id)), field: value},
                      headers=make.headers(actor))
    assert create.status_code == 422, create.text
    officer = make.user("officer", authority=org["ours"])
    update = _patch(api, make, actor, officer.id, {field: value})
    assert update.status_code == 422, update.text


def test_only_officers_can_be_authority_admins(api, make, org):
    answer = api.post(USERS, json=_user("headteacher", establishment_ids=[str(org["school"].id)],
                                        is_authority_admin=True),
                      headers=make.headers(make.admin()))
    assert answer.status_code == 422


def test_plain_officers_headteachers_leads_and_clients_cannot_manage_users(api, make, org):
    body = _user("officer", authority_id=str(org["ours"].id))
    target = make.user("officer", authority=org["ours"])
    for who in (make.user("officer", authority=org["ours"]),
                make.user("headteacher", establishments=[org["school"]]),
                make.user("regional_lead"), make.client(["establishments:write"])):
        assert api.post(USERS, json=body, headers=make.headers(who)).status_code == 403
        patched = api.patch(f"{USERS}/{target.id}", json={"name": "X"},
                            headers=make.headers(who, **{"If-Match": '"1"'}))
        assert patched.status_code in (403, 404), (who.role if hasattr(who, "role") else "client")
        deleted = api.delete(f"{USERS}/{target.id}", headers=make.headers(who, **{"If-Match": '"1"'}))
        assert deleted.status_code in (403, 404)


def test_a_headteacher_cannot_move_themselves_to_another_school(api, make, org):
    head = make.user("headteacher", establishments=[org["school"]])
    other = make.establishment(org["ours"])
    for body in ({"establishment_ids": [str(other.id)]},
                 {"establishment_ids": [str(org["their_school"].id)]},
                 {"role": "officer", "establishment_ids": [], "authority_id": str(org["ours"].id)},
                 {"is_authority_admin": True}):
        answer = _patch(api, make, head, head.id, body)
        assert answer.status_code in (403, 404), answer.text
    me = api.get("/api/v1/me", headers=make.headers(head)).json()
    assert me["establishment_ids"] == [str(org["school"].id)]
    assert me["role"] == "headteacher"


def test_updates_need_if_match_and_stale_ones_fail(api, make, org):
    actor = org["authority_admin"]
    officer = make.user("officer", authority=org["ours"])
    assert api.patch(f"{USERS}/{officer.id}", json={"name": "A"},
                     headers=make.headers(actor)).status_code == 428
    assert api.patch(f"{USERS}/{officer.id}", json={"name": "A"},
                     headers=make.headers(actor, **{"If-Match": '"99"'})).status_code == 412
    answer = api.patch(f"{USERS}/{officer.id}", json={"name": "A"},
                       headers=make.headers(actor, **{"If-Match": '"1"'}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2


def test_nobody_deletes_their_own_account(api, make, org):
    actor = org["authority_admin"]
    assert api.delete(f"{USERS}/{actor.id}",
                      headers=make.headers(actor, **{"If-Match": '"1"'})).status_code == 409


def test_deleted_users_disappear_but_their_email_stays_taken(api, make, org):
    actor = org["authority_admin"]
    officer = make.user("officer", authority=org["ours"])
    assert api.delete(f"{USERS}/{officer.id}",
                      headers=make.headers(actor, **{"If-Match": '"1"'})).status_code == 204
    assert api.get(f"{USERS}/{officer.id}", headers=make.headers(actor)).status_code == 404
    listed = api.get(USERS, headers=make.headers(make.admin())).json()["items"]
    assert str(officer.id) not in {u["id"] for u in listed}
    again = api.post(USERS, json={**_user("officer", authority_id=str(org["ours"].id)),
                                  "email": officer.email}, headers=make.headers(actor))
    assert again.status_code == 409


def test_a_duplicate_email_is_a_conflict_whatever_its_case(api, make, org):
    actor = org["authority_admin"]
    body = _user("officer", authority_id=str(org["ours"].id))
    assert api.post(USERS, json=body, headers=make.headers(actor)).status_code == 201
    again = api.post(USERS, json={**body, "email": body["email"].upper()}, headers=make.headers(actor))
    assert again.status_code == 409


def test_short_passwords_are_refused(api, make, org):
    body = {**_user("officer", authority_id=str(org["ours"].id)), "password": "short"}
    assert api.post(USERS, json=body, headers=make.headers(org["authority_admin"])).status_code == 422


def test_the_policy_itself_keeps_authority_admins_to_officers_and_headteachers(make, db):
    """Defence in depth: even a record that claims their authority (which _bind never lets
    through) is not theirs to create if it is an admin or a regional lead."""
    from app.identity.deps import principal_for_user
    from app.identity.models import User
    from app.identity.policy import allowed

    authority = make.authority()
    actor = principal_for_user(db, make.user("officer", authority=authority, authority_admin=True))
    for role, ok in (("officer", True), ("headteacher", True), ("admin", False), ("regional_lead", False)):
        record = User(email="x@test.sih.scot", password_hash="x", role=role, authority_id=authority.id)
        assert allowed(actor, "user.create", record) is ok, role
        assert allowed(actor, "user.update", record) is ok, role
