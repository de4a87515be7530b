"""Policy and scoping: which rows each caller sees, and writes outside their reach."""

import pytest

ESTABLISHMENTS = "/api/v1/establishments"
USERS = "/api/v1/users"


def _ids(answer):
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


@pytest.fixture
def world(make, db):
    """Two schools in North Lanarkshire, one in Glasgow (same region), one in Edinburgh
    (another region), and people in each."""
    ours, glasgow, edinburgh = make.authority(), make.authority("S12000049"), make.authority("S12000036")
    first, second = make.establishment(ours), make.establishment(ours)
    glasgow_school, edinburgh_school = make.establishment(glasgow), make.establishment(edinburgh)
    people = {
        "officer": make.user("officer", authority=ours),
        "glasgow_officer": make.user("officer", authority=glasgow),
        "head": make.user("headteacher", establishments=[first]),
        "second_head": make.user("headteacher", establishments=[second]),
        "lead": make.user("regional_lead", region=make.region()),
        "admin": make.admin(),
    }
    db.commit()
    return {"ours": ours, "glasgow": glasgow, "edinburgh": edinburgh, "first": first,
            "second": second, "glasgow_school": glasgow_school,
            "edinburgh_school": edinburgh_school, **people}


def test_officers_see_all_of_their_authority_and_nothing_else(api, make, world):
    headers = make.headers(world["officer"])
    assert _ids(api.get(ESTABLISHMENTS, headers=headers)) == {str(world["first"].id), str(world["second"].id)}
    users = _ids(api.get(USERS, headers=headers))
    assert users == {str(world[k].id) for k in ("officer", "head", "second_head")}
    for hidden in (world["glasgow_school"], world["edinburgh_school"]):
        assert api.get(f"{ESTABLISHMENTS}/{hidden.id}", headers=headers).status_code == 404
    for hidden in (world["glasgow_officer"], world["lead"], world["admin"]):
        assert api.get(f"{USERS}/{hidden.id}", headers=headers).status_code == 404


def test_a_filter_cannot_widen_what_an_officer_sees(api, make, world):
    headers = make.headers(world["officer"])
    assert _ids(api.get(ESTABLISHMENTS, params={"authority_id": str(world["glasgow"].id)},
                        headers=headers)) == set()
    assert _ids(api.get(USERS, params={"authority_id": str(world["glasgow"].id)},
                        headers=headers)) == set()


def test_a_404_for_another_authoritys_record_looks_like_one_that_does_not_exist(api, make, world):
    headers = make.headers(world["officer"])
    hidden = api.get(f"{ESTABLISHMENTS}/{world['glasgow_school'].id}", headers=headers)
    missing = api.get(f"{ESTABLISHMENTS}/{make.id()}", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["title"] == missing.json()["title"]


def test_headteachers_see_only_their_own_establishments_and_themselves(api, make, world):
    headers = make.headers(world["head"])
    assert _ids(api.get(ESTABLISHMENTS, headers=headers)) == {str(world["first"].id)}
    assert api.get(f"{ESTABLISHMENTS}/{world['first'].id}", headers=headers).status_code == 200
    for hidden in (world["second"], world["glasgow_school"]):
        assert api.get(f"{ESTABLISHMENTS}/{hidden.id}", headers=headers).status_code == 404
    assert _ids(api.get(USERS, headers=headers)) == {str(world["head"].id)}
    assert api.get(f"{USERS}/{world['second_head'].id}", headers=headers).status_code == 404
    assert api.get(f"{USERS}/{world['officer'].id}", headers=headers).status_code == 404


def test_regional_leads_see_their_regions_establishments_but_no_people(api, make, world):
    headers = make.headers(world["lead"])
    seen = _ids(api.get(ESTABLISHMENTS, headers=headers))
    assert seen == {str(world[k].id) for k in ("first", "second", "glasgow_school")}
    assert api.get(f"{ESTABLISHMENTS}/{world['edinburgh_school'].id}", headers=headers).status_code == 404
    assert _ids(api.get(USERS, headers=headers)) == {str(world["lead"].id)}
    assert api.get(f"{USERS}/{world['officer'].id}", headers=headers).status_code == 404
    audit = api.get("/api/v1/audit-events", headers=headers)
    assert audit.status_code == 403


def test_a_headteacher_cannot_change_or_move_their_school(api, make, world):
    head = world["head"]
    for body in ({"roll": 999}, {"name": "Renamed"}, {"link_officer_id": str(world["officer"].id)}):
        answer = api.patch(f"{ESTABLISHMENTS}/{world['first'].id}", json=body,
                           headers=make.headers(head, **{"If-Match": '"1"'}))
        assert answer.status_code == 403, answer.text
    other = api.patch(f"{ESTABLISHMENTS}/{world['second'].id}", json={"roll": 1},
                      headers=make.headers(head, **{"If-Match": '"1"'}))
    assert other.status_code == 404
    moved = api.patch(f"{ESTABLISHMENTS}/{world['first'].id}",
                      json={"authority_id": str(world["glasgow"].id)},
                      headers=make.headers(head, **{"If-Match": '"1"'}))
    assert moved.status_code in (403, 404, 422), moved.text
    assert api.delete(f"{ESTABLISHMENTS}/{world['first'].id}", headers=make.headers(head)).status_code == 403


def test_a_link_officer_edits_their_school_but_cannot_move_it_to_another_council(api, make, world, db):
    officer = world["officer"]
    school = world["first"]
    school.link_officer_id = officer.id
    db.add(school)
    db.commit()
    ok = api.patch(f"{ESTABLISHMENTS}/{school.id}", json={"roll": 321},
                   headers=make.headers(officer, **{"If-Match": '"2"'}))
    assert ok.status_code == 200, ok.text
    # Not theirs to edit: a school they do not link with, even in their own authority.
    assert api.patch(f"{ESTABLISHMENTS}/{world['second'].id}", json={"roll": 1},
                     headers=make.headers(officer, **{"If-Match": '"1"'})).status_code == 403
    # EstablishmentUpdate has no authority_id: moving is not a field of PATCH at all.
    moved = api.patch(f"{ESTABLISHMENTS}/{school.id}", json={"authority_id": str(world["glasgow"].id)},
                      headers=make.headers(officer, **{"If-Match": '"3"'}))
    assert moved.status_code in (403, 422), moved.text
    upsert = api.put(f"{ESTABLISHMENTS}/by-code/{school.code}",
                     json={"name": school.name, "sector": "primary",
                           "authority_id": str(world["glasgow"].id)},
                     headers=make.headers(officer))
    assert upsert.status_code == 403, upsert.text
    assert api.get(f"{ESTABLISHMENTS}/{school.id}",
                   headers=make.headers(officer)).json()["authority_id"] == str(world["ours"].id)


def test_an_officer_cannot_reach_another_authoritys_establishment_by_id(api, make, world):
    headers = make.headers(world["officer"], **{"If-Match": '"1"'})
    target = world["glasgow_school"]
    assert api.get(f"{ESTABLISHMENTS}/{target.id}", headers=headers).status_code == 404
    assert api.patch(f"{ESTABLISHMENTS}/{target.id}", json={"roll": 1}, headers=headers).status_code == 404
    assert api.delete(f"{ESTABLISHMENTS}/{target.id}", headers=headers).status_code == 404
    authority_admin = make.user("officer", authority=world["ours"], authority_admin=True)
    admin_headers = make.headers(authority_admin, **{"If-Match": '"1"'})
    assert api.patch(f"{ESTABLISHMENTS}/{target.id}", json={"roll": 1},
                     headers=admin_headers).status_code == 404
    assert api.delete(f"{ESTABLISHMENTS}/{target.id}", headers=admin_headers).status_code == 404


def test_an_authority_admin_cannot_create_schools_in_another_authority(api, make, world):
    authority_admin = make.user("officer", authority=world["ours"], authority_admin=True)
    body = {"code": "8123456", "name": "Elsewhere Primary", "sector": "primary",
            "authority_id": str(world["glasgow"].id)}
    assert api.post(ESTABLISHMENTS, json=body, headers=make.headers(authority_admin)).status_code == 403
    own = {**body, "authority_id": str(world["ours"].id)}
    assert api.post(ESTABLISHMENTS, json=own, headers=make.headers(authority_admin)).status_code == 201


def test_a_client_writes_establishments_in_its_authority_only(api, make, world):
    client = make.client(["establishments:write"], authority=world["ours"])
    headers = make.headers(client)
    body = {"code": "8234567", "name": "New Primary", "sector": "primary",
            "authority_id": str(world["ours"].id)}
    assert api.post(ESTABLISHMENTS, json=body, headers=headers).status_code == 201
    elsewhere = {**body, "code": "8234568", "authority_id": str(world["glasgow"].id)}
    assert api.post(ESTABLISHMENTS, json=elsewhere, headers=headers).status_code == 403
    put_elsewhere = api.put(f"{ESTABLISHMENTS}/by-code/8234569",
                            json={"name": "X", "sector": "primary", "authority_id": str(world["glasgow"].id)},
                            headers=headers)
    assert put_elsewhere.status_code == 403
    put_own = api.put(f"{ESTABLISHMENTS}/by-code/8234569", json={"name": "X", "sector": "primary"},
                      headers=headers)
    assert put_own.status_code == 201, put_own.text
    assert put_own.json()["authority_id"] == str(world["ours"].id)
    # The Glasgow school's code is taken, but not visibly: no overwrite, no leak.
    taken = api.put(f"{ESTABLISHMENTS}/by-code/{world['glasgow_school'].code}",
                    json={"name": "Hijacked", "sector": "primary"}, headers=headers)
    assert taken.status_code in (403, 404, 409)
    seen = _ids(api.get(ESTABLISHMENTS, headers=headers))
    assert str(world["glasgow_school"].id) not in seen
    assert str(world["first"].id) in seen


def test_a_client_with_only_summaries_read_sees_no_establishments(api, make, world):
    client = make.client(["summaries:read"], authority=world["ours"])
    headers = make.headers(client)
    assert _ids(api.get(ESTABLISHMENTS, headers=headers)) == set()
    assert api.get(f"{ESTABLISHMENTS}/{world['first'].id}", headers=headers).status_code == 404
    assert api.get("/api/v1/clusters", headers=headers).json()["items"] == []
    body = {"code": "8345678", "name": "Nope", "sector": "primary", "authority_id": str(world["ours"].id)}
    assert api.post(ESTABLISHMENTS, json=body, headers=headers).status_code == 403


def test_a_client_token_narrowed_by_scope_loses_write(api, make, world):
    client = make.client(["establishments:write", "summaries:read"], authority=world["ours"])
    token = make.token(client, scopes=["summaries:read"])
    body = {"code": "8456789", "name": "Nope", "sector": "primary", "authority_id": str(world["ours"].id)}
    answer = api.post(ESTABLISHMENTS, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_clients_see_no_users(api, make, world):
    client = make.client(["establishments:write", "imports:write"], authority=world["ours"])
    assert _ids(api.get(USERS, headers=make.headers(client))) == set()
    assert api.get(f"{USERS}/{world['officer'].id}", headers=make.headers(client)).status_code == 404
