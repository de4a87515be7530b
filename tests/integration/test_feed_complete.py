"""The change feed is a complete log: a consumer that starts from the beginning ends with a copy
of everything it may read, each record as `GET` answers it (issue #20, point 10)."""

from decimal import Decimal

from sqlalchemy import func, select

from app.audit.feed import PER_CALLER
from app.audit.models import ChangeRecord
from tests.factories import FACTORY_PASSWORD
from tests.integration.test_changes import _follow

A = "/api/v1"
SINGLE = {
    "region": "regions/{id}", "authority": "authorities/{id}", "cluster": "clusters/{id}",
    "establishment": "establishments/{id}", "framework": "frameworks/{code}",
    "user": "users/{id}", "client": "clients/{id}", "improvement_plan": "improvement-plans/{id}",
    "plan_priority": "improvement-plans/{plan_id}/priorities/{id}",
    "quality_report": "quality-reports/{id}", "visit": "visits/{id}",
    "agreed_action": "agreed-actions/{id}",
    "vse_cycle": "vse-cycles/{id}", "trio": "trios/{id}",
    "trio_meeting": "trios/{trio_id}/meetings/{id}", "clpl_event": "clpl-events/{id}",
    "clpl_registration": "clpl-events/{event_id}/registrations/{id}",
    "critical_indicator": "critical-indicators/{id}",
    "critical_indicator_value": "critical-indicators/{indicator_id}/values/{session}",
    "planning_calendar": "authorities/{authority_id}/calendar/{session}",
}
LISTED = {  # kinds read in a list only: (list, how an item is matched)
    "support_status": ("establishments/{establishment_id}/support-status/history", "version"),
    "trio_peer_review": ("trios/{trio_id}/peer-reviews", "id"),
    "clpl_evaluation": ("clpl-events/{event_id}/evaluations", "id"),
    "priority_progress": (
        "improvement-plans/{plan_id}/priorities/{priority_id}/progress", "id"),
}


def _latest(items: list[dict]) -> dict[tuple[str, str], dict]:
    latest: dict[tuple[str, str], dict] = {}
    for change in items:
        latest[change["kind"], change["id"]] = change
    return latest


def _shown(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in PER_CALLER}


def _all(api, headers, path: str) -> list[dict]:
    items, cursor = [], None
    while True:
        page = api.get(f"{A}/{path}", params={"limit": 500, **({"cursor": cursor} if cursor
                                                               else {})}, headers=headers)
        assert page.status_code == 200, (path, page.text)
        body = page.json()
        if isinstance(body, list):
            return body
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def test_a_consumer_starting_from_the_beginning_rebuilds_the_demo_as_get_answers_it(
        api, make, run, db):
    assert run("seed-demo").exit_code == 0
    admin = make.headers(make.admin())
    items, _ = _follow(api, admin, limit=500)
    latest = _latest(items)
    kinds = {kind for kind, _ in latest}
    assert kinds >= set(SINGLE) - {"client"} | set(LISTED) - {"priority_progress"}, kinds

    copy = {kind: {i for (k, i), c in latest.items() if k == kind and c["data"] is not None}
            for kind in kinds}
    for kind, path in (("authority", "authorities"), ("region", "regions"),
                       ("cluster", "clusters"), ("establishment", "establishments")):
        assert copy[kind] == {r["id"] for r in _all(api, admin, path)}, kind
    assert len(copy["authority"]) == 32 and len(copy["establishment"]) == 705

    checked: dict[str, int] = {}
    for (kind, record_id), change in sorted(latest.items()):
        data = change["data"]
        if data is None or checked.get(kind, 0) >= 40:
            continue
        checked[kind] = checked.get(kind, 0) + 1
        fields = {**data, "id": data.get("id", record_id)}
        if kind in SINGLE:
            answer = api.get(f"{A}/{SINGLE[kind].format(**fields)}", headers=admin)
            assert answer.status_code == 200, (kind, answer.text)
            assert _shown(answer.json()) == data, kind
            assert change["version"] == data.get("version", change["version"])
        elif kind in LISTED:
            path, match = LISTED[kind]
            listed = [i for i in _all(api, admin, path.format(**fields))
                      if i[match] == data[match]]
            assert [_shown(i) for i in listed] == [data], kind


def test_the_feed_is_completed_once_for_what_migrate_and_the_demo_wrote(run, db):
    db.commit()
    assert run("load-reference").exit_code == 0
    authorities = db.scalar(select(func.count()).select_from(ChangeRecord).where(
        ChangeRecord.resource_type == "authority"))
    assert authorities == 32
    assert run("load-reference").exit_code == 0
    again = db.scalar(select(func.count()).select_from(ChangeRecord).where(
        ChangeRecord.resource_type == "authority"))
    assert again == 32


def test_an_officer_starting_from_the_beginning_gets_every_authority_and_its_schools(
        api, make, run):
    assert run("load-reference").exit_code == 0
    authority = make.authority()
    school = make.establishment(authority, simd_q1_percent=Decimal("12.5"))
    officer = make.headers(make.user("officer", authority=authority))
    items, _ = _follow(api, officer, kinds="authority,establishment")
    assert sum(c["kind"] == "authority" for c in items) == 32
    seen = [c for c in items if c["kind"] == "establishment"]
    assert [c["id"] for c in seen] == []  # a factory's row is in no feed until completed
    assert run("load-reference").exit_code == 0
    items, _ = _follow(api, officer, kinds="establishment")
    (entry,) = items
    assert entry["id"] == str(school.id) and entry["key"] == {"code": school.code}
    answer = api.get(f"{A}/establishments/{school.id}", headers=officer).json()
    assert entry["data"] == _shown(answer) and entry["data"]["simd_q1_percent"] == 12.5


def test_tombstones_carry_the_natural_key(api, make):
    admin = make.headers(make.admin())
    authority = make.authority()
    school = api.post(f"{A}/establishments", headers=admin, json={
        "code": "8700001", "name": "Gone School", "sector": "primary",
        "authority_id": str(authority.id)}).json()
    cluster = api.post(f"{A}/clusters", headers=admin, json={
        "authority_id": str(authority.id), "name": "Gone Cluster"}).json()
    for path, body in ((f"establishments/{school['id']}", school),
                       (f"clusters/{cluster['id']}", cluster)):
        answer = api.delete(f"{A}/{path}", headers={**admin, "If-Match": f'"{body["version"]}"'})
        assert answer.status_code == 204, answer.text
    items, _ = _follow(api, admin, kinds="establishment,cluster")
    tombstones = {c["kind"]: c for c in items if c["operation"] == "deleted"}
    assert tombstones["establishment"]["key"] == {"code": "8700001"}
    assert tombstones["establishment"]["data"] is None
    assert tombstones["cluster"]["key"] == {"authority_id": str(authority.id),
                                            "name": "Gone Cluster"}


def _event(api, headers, authority, capacity: int) -> dict:
    answer = api.post(f"{A}/clpl-events", headers=headers, json={
        "title": "Feed course", "level": "additional", "provider": "The council",
        "starts_at": "2027-03-01T09:00:00Z", "ends_at": "2027-03-01T12:00:00Z",
        "location": "Civic Centre", "capacity": capacity, "audience": ["teachers"],
        "authority_id": str(authority.id)})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_what_a_parent_counts_moves_with_its_children_in_the_feed(api, make):
    admin = make.headers(make.admin())
    event = _event(api, admin, make.authority(), 1)
    event_id = event["id"]
    for n in range(2):
        booked = api.post(f"{A}/clpl-events/{event_id}/registrations", headers=admin, json={
            "participant": {"name": f"Person {n}", "email": f"p{n}@school.example",
                            "role": "Class teacher"}})
        assert booked.status_code == 201, booked.text
    items, _ = _follow(api, admin, kinds="clpl_event")
    last = items[-1]["data"]
    current = api.get(f"{A}/clpl-events/{event_id}", headers=admin).json()
    assert last == _shown(current)
    assert (last["confirmed"], last["waitlisted"], last["places_left"]) == (1, 1, 0)


def test_an_erasure_wipes_the_participant_from_the_feeds_history(api, make):
    admin = make.headers(make.admin())
    event_id = _event(api, admin, make.authority(), 5)["id"]
    registration = api.post(f"{A}/clpl-events/{event_id}/registrations", headers=admin, json={
        "participant": {"name": "Morag Private", "email": "morag@school.example",
                        "role": "Class teacher"}}).json()
    before, _ = _follow(api, admin, kinds="clpl_registration")
    assert before[-1]["data"]["participant"]["email"] == "morag@school.example"
    erased = api.delete(f"{A}/clpl-events/{event_id}/registrations/{registration['id']}"
                        "/participant", headers={**admin, "If-Match": '"1"'})
    assert erased.status_code == 204, erased.text
    after, _ = _follow(api, admin, kinds="clpl_registration")
    assert "morag" not in str(after).lower()


def test_signing_in_is_a_new_version_of_the_user_and_the_feed_says_so(api, make):
    admin_user = make.admin()
    admin = make.headers(admin_user)
    officer = make.user("officer")
    signed = api.post(f"{A}/auth/token", data={"grant_type": "password",
                                               "username": officer.email,
                                               "password": FACTORY_PASSWORD})
    assert signed.status_code == 200, signed.text
    items, _ = _follow(api, admin, kinds="user")
    mine = [c for c in items if c["id"] == str(officer.id)]
    current = api.get(f"{A}/users/{officer.id}", headers=admin).json()
    assert mine[-1]["data"] == current and current["last_login_at"] is not None


def test_a_new_headteacher_is_a_new_version_of_the_school_in_reads_and_in_the_feed(api, make):
    admin = make.headers(make.admin())
    authority = make.authority()
    school = api.post(f"{A}/establishments", headers=admin, json={
        "code": "8700002", "name": "Led School", "sector": "primary",
        "authority_id": str(authority.id)}).json()
    etag = api.get(f"{A}/establishments/{school['id']}", headers=admin).headers["ETag"]
    head = api.post(f"{A}/users", headers=admin, json={
        "email": "new.head@school.example", "name": "New Head", "role": "headteacher",
        "authority_id": str(authority.id), "establishment_ids": [school["id"]],
        "password": "a-long-enough-password-1"})
    assert head.status_code == 201, head.text
    read = api.get(f"{A}/establishments/{school['id']}", headers={**admin, "If-None-Match": etag})
    assert read.status_code == 200 and read.json()["headteacher_ids"] == [head.json()["id"]]
    items, _ = _follow(api, admin, kinds="establishment")
    assert items[-1]["data"] == _shown(read.json())



def test_migrate_restates_records_the_feed_last_told_as_stored_rows(api, make, run, db):
    """Entries written before migration 0012 held the stored row (simd_q1_percent a string,
    no headteacher_ids): the upgrade's `migrate` tells each such record once more as GET."""
    school = make.establishment(simd_q1_percent=Decimal("7.5"))
    db.add(ChangeRecord(resource_type="establishment", resource_id=str(school.id),
                        operation="created", version=1, authority_id=school.authority_id,
                        data={"id": str(school.id), "simd_q1_percent": "7.5"}))
    db.commit()
    assert run("migrate").exit_code == 0
    admin = make.headers(make.admin())
    items, _ = _follow(api, admin, kinds="establishment")
    assert [c["operation"] for c in items] == ["created", "updated"]
    assert items[-1]["data"] == _shown(api.get(f"{A}/establishments/{school.id}",
                                               headers=admin).json())
    assert run("migrate").exit_code == 0
    assert len(_follow(api, admin, kinds="establishment")[0]) == 2
