"""The change feed shows an integration client only the kinds its other scopes let it read
through GET (issue 19, finding 7): `changes:read` opens the feed, not the records in it. A
client with `changes:read` alone follows the reference data everyone reads (regions,
authorities, frameworks); `establishments:read` (or `establishments:write`) adds the
establishments, clusters and areas that GET /establishments and /clusters would show it."""

CHANGES = "/api/v1/changes"


def _kinds(api, headers, **params) -> set[str]:
    """Every kind the feed gives this caller, drained from the start."""
    seen: set[str] = set()
    since = None
    while True:
        answer = api.get(CHANGES, params={**params, **({"since": since} if since else {})},
                         headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if not body["items"]:
            return seen
        seen |= {item["kind"] for item in body["items"]}
        since = body["next_cursor"]


def _world(api, make) -> None:
    """An establishment and a cluster in the clients' authority, written through the API so
    the feed holds them."""
    admin = make.headers(make.admin())
    authority_id = str(make.authority().id)
    cluster = api.post("/api/v1/clusters", json={"authority_id": authority_id, "name": "Feed"},
                       headers=admin)
    assert cluster.status_code == 201, cluster.text
    school = api.post("/api/v1/establishments", headers=admin, json={
        "code": "8610001", "name": "Scoped Primary", "sector": "primary",
        "authority_id": authority_id, "cluster_id": cluster.json()["id"]})
    assert school.status_code == 201, school.text


def test_changes_read_alone_gives_no_establishment_or_cluster(api, make) -> None:
    _world(api, make)
    client = make.client(["changes:read"])
    headers = make.headers(client)
    # What it could not read through GET ...
    assert api.get("/api/v1/regions", headers=headers).status_code == 200
    assert api.get("/api/v1/establishments", headers=headers).json()["items"] == []
    # ... the feed does not give it either.
    seen = _kinds(api, headers)
    assert not seen & {"establishment", "cluster", "area"}, seen
    assert seen <= {"region", "authority", "framework"}, seen


def test_establishments_read_adds_establishments_and_clusters(api, make) -> None:
    _world(api, make)
    for scope in ("establishments:read", "establishments:write"):
        headers = make.headers(make.client(["changes:read", scope]))
        assert {"establishment", "cluster"} <= _kinds(api, headers), scope
        assert _kinds(api, headers, kinds="establishment") == {"establishment"}


def test_the_scope_must_be_in_the_token_too(api, make) -> None:
    """A token narrowed to changes:read follows only what changes:read alone gives."""
    _world(api, make)
    client = make.client(["changes:read", "establishments:read"])
    narrowed = {"Authorization": f"Bearer {make.token(client, scopes=['changes:read'])}"}
    assert not _kinds(api, narrowed) & {"establishment", "cluster"}


def test_asking_for_a_kind_it_may_not_read_is_refused_naming_the_scope(api, make) -> None:
    """As for any kind not the caller's to follow: 422, naming what it may follow and, for a
    client, the scope that would open the kind."""
    _world(api, make)
    headers = make.headers(make.client(["changes:read"]))
    for kinds in ("establishment", "cluster", "region,establishment"):
        answer = api.get(CHANGES, params={"kinds": kinds}, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        detail = answer.json()["detail"]
        assert "establishments:read" in detail, detail
        assert answer.json()["errors"][0]["loc"] == ["query", "kinds"]
    assert _kinds(api, headers, kinds="region,authority") <= {"region", "authority"}


def test_every_organisation_kind_is_opened_by_some_scope() -> None:
    """No kind a client may follow is left out of the table that says which scope opens it."""
    from app.identity.policy.feed import CLIENT_KINDS, ORGANISATION_KINDS

    assert set().union(*CLIENT_KINDS.values()) == ORGANISATION_KINDS
