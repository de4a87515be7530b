"""The change feed: a consumer that follows it rebuilds exactly what the service holds."""

import threading

from sqlalchemy import select, update

from app.audit.models import ChangeRecord

CHANGES = "/api/v1/changes"


def _follow(api, headers, since=None, **params):
    """Drain the feed from `since`, a page at a time, as a portal would."""
    items = []
    while True:
        page = api.get(CHANGES, params={**params, **({"since": since} if since else {})},
                       headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        since = body["next_cursor"]
        if not body["items"]:
            return items, since


def test_following_the_feed_from_the_start_rebuilds_the_establishments(api, make):
    admin = make.headers(make.admin())
    authority = make.authority()
    created = []
    for n in range(5):
        answer = api.post("/api/v1/establishments", headers=admin, json={
            "code": f"850000{n}", "name": f"Feed School {n}", "sector": "primary",
            "authority_id": str(authority.id)})
        created.append(answer.json())
    etag = api.get(f"/api/v1/establishments/{created[1]['id']}", headers=admin).headers["ETag"]
    api.patch(f"/api/v1/establishments/{created[1]['id']}", json={"roll": 321},
              headers={**admin, "If-Match": etag})
    api.delete(f"/api/v1/establishments/{created[2]['id']}", headers={**admin, "If-Match": '"1"'})

    items, _ = _follow(api, admin, kinds="establishment", limit=2)
    rebuilt: dict[str, dict] = {}
    for change in items:
        if change["operation"] == "deleted":
            assert change["data"] is None  # a tombstone
            rebuilt.pop(change["id"], None)
        else:
            rebuilt[change["id"]] = change["data"]
    current = api.get("/api/v1/establishments", params={"limit": 500}, headers=admin).json()
    assert set(rebuilt) == {e["id"] for e in current["items"]}
    assert rebuilt[created[1]["id"]]["roll"] == 321
    # One write after another: seq follows the feed's order here. Concurrent transactions on
    # PostgreSQL can take seqs in another order than the feed's (tests/integration/
    # test_change_feed_order.py).
    assert [c["seq"] for c in items] == sorted(c["seq"] for c in items)


def test_the_cursor_resumes_where_the_consumer_stopped(api, make):
    admin = make.headers(make.admin())
    make_cluster = lambda name: api.post(  # noqa: E731
        "/api/v1/clusters", json={"authority_id": str(make.authority().id), "name": name},
        headers=admin)
    make_cluster("First")
    seen, cursor = _follow(api, admin, kinds="cluster")
    assert [c["data"]["name"] for c in seen] == ["First"]
    again, same = _follow(api, admin, since=cursor, kinds="cluster")
    assert again == [] and same == cursor
    make_cluster("Second")
    later, _ = _follow(api, admin, since=cursor, kinds="cluster")
    assert [c["data"]["name"] for c in later] == ["Second"]


def test_each_caller_follows_only_what_it_may_see(api, make):
    admin = make.headers(make.admin())
    glasgow = make.authority("S12000049")
    for authority, code in ((make.authority(), "8600001"), (glasgow, "8600002")):
        api.post("/api/v1/establishments", headers=admin, json={
            "code": code, "name": f"School {code}", "sector": "primary",
            "authority_id": str(authority.id)})
    officer = make.headers(make.user("officer"))
    codes = [c["data"]["code"] for c in _follow(api, officer, kinds="establishment")[0]]
    assert codes == ["8600001"]
    # The feed gives a client only what its GETs would (tests/security/test_feed_scopes.py).
    client = make.client(["changes:read", "establishments:read"])
    assert [c["data"]["code"] for c in
            _follow(api, make.headers(client), kinds="establishment")[0]] == ["8600001"]
    assert api.get(CHANGES, headers=make.headers(make.client(["summaries:read"]))
                   ).status_code == 403
    assert api.get(CHANGES, headers=make.headers(make.user("headteacher"))).status_code == 403
    assert api.get(CHANGES, params={"kinds": "visit"}, headers=officer).status_code == 422
    assert api.get(CHANGES, params={"since": "forged.cursor"}, headers=officer).status_code == 422


def test_a_reader_polling_during_concurrent_writes_misses_nothing(api, make):
    admin = make.headers(make.admin())
    authority_id = str(make.authority().id)
    names = [f"Race {n}" for n in range(24)]

    def write(chunk: list[str]) -> None:
        for name in chunk:
            api.post("/api/v1/clusters", json={"authority_id": authority_id, "name": name},
                     headers=admin)

    writers = [threading.Thread(target=write, args=(names[i::3],)) for i in range(3)]
    for thread in writers:
        thread.start()
    seen: list[str] = []
    cursor = None
    while any(t.is_alive() for t in writers):
        items, cursor = _follow(api, admin, since=cursor, kinds="cluster")
        seen += [c["data"]["name"] for c in items]
    for thread in writers:
        thread.join()
    items, cursor = _follow(api, admin, since=cursor, kinds="cluster")
    seen += [c["data"]["name"] for c in items]
    assert sorted(seen) == sorted(names)


def _clusters(api, make):
    admin = make.headers(make.admin())
    authority_id = str(make.authority().id)

    def create(name: str) -> None:
        answer = api.post("/api/v1/clusters", json={"authority_id": authority_id, "name": name},
                          headers=admin)
        assert answer.status_code == 201, answer.text

    return admin, create


def _cluster_seqs(db) -> list[int]:
    db.commit()
    return list(db.scalars(select(ChangeRecord.seq).where(ChangeRecord.resource_type == "cluster")
                           .order_by(ChangeRecord.seq)))


def test_a_cursor_issued_before_txid_existed_resumes_where_it_stopped(api, make, app, db):
    """Cursors issued before migration 0010 hold [seq]; that migration gave the rows already
    written txid 0. Such a cursor goes on exactly after its change."""
    admin, create = _clusters(api, make)
    for name in ("Old 1", "Old 2", "Old 3"):
        create(name)
    db.execute(update(ChangeRecord).values(txid=0))  # as migration 0010 leaves them
    db.commit()
    old_cursor = app.state.paginator.encode("changes", [_cluster_seqs(db)[0]])
    create("New 1")
    items, cursor = _follow(api, admin, since=old_cursor, kinds="cluster")
    assert [c["data"]["name"] for c in items] == ["Old 2", "Old 3", "New 1"]
    create("New 2")
    items, _ = _follow(api, admin, since=cursor, kinds="cluster")
    assert [c["data"]["name"] for c in items] == ["New 2"]


def test_a_seq_only_cursor_for_a_newer_change_skips_nothing(api, make, app, db):
    """A replica still running the older code during a rollout hands out [seq] for changes
    that already have a txid. Such a cursor may repeat changes written since the migration
    (on PostgreSQL), but never skips one."""
    admin, create = _clusters(api, make)
    for name in ("A", "B"):
        create(name)
    old_cursor = app.state.paginator.encode("changes", [_cluster_seqs(db)[1]])
    create("C")
    names = [c["data"]["name"] for c in _follow(api, admin, since=old_cursor, kinds="cluster")[0]]
    assert "C" in names and len(names) == len(set(names)) and set(names) <= {"A", "B", "C"}
