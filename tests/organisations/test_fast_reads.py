"""GET /establishments/{id} and the plain list, answered ahead of FastAPI's routing and through
the SQLite driver (organisations/fast_reads.py), say byte for byte what the routes say, whatever
the request and whoever asks."""

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, col

from app.core.config import Settings
from app.identity.models import User
from app.main import create_app
from app.organisations.fast_reads import EstablishmentReads
from tests.factories import Factory

URL = "/api/v1/establishments"
# What may differ between two answers to one request: which request they answer.
PER_REQUEST = {"x-request-id", "date"}


@pytest.fixture
def routed(settings: Settings, app: FastAPI) -> Iterator[TestClient]:
    """The same service with every request taking the FastAPI route."""
    plain = create_app(settings.model_copy(update={"fast_reads": False}))
    plain.state.principal_limits = app.state.principal_limits  # one budget per caller
    with TestClient(plain, raise_server_exceptions=False) as client:
        yield client
    plain.state.engine.dispose()


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch, db: Session) -> list[int]:
    """The statuses the fast path answered itself (on SQLite; elsewhere it never answers)."""
    answered: list[int] = []
    original = EstablishmentReads._read

    def counted(self: EstablishmentReads, *args: Any) -> Any:
        answer = original(self, *args)
        if answer is not None:
            answered.append(answer[0])
        return answer

    monkeypatch.setattr(EstablishmentReads, "_read", counted)
    return answered


def _fast_expected(db: Session, statuses: list[int]) -> list[int]:
    return statuses if db.get_bind().dialect.name == "sqlite" else []


def _same(fast: TestClient, routed: TestClient, path: str, headers: dict[str, str]) -> int:
    answers = [client.get(path, headers=headers) for client in (fast, routed)]
    (one, other) = answers
    assert one.status_code == other.status_code, (one.text, other.text)
    if one.status_code < 400:
        assert one.content == other.content
    body = [a.json() if a.content else None for a in answers]
    if one.status_code >= 400:
        for problem in body:
            problem.pop("request_id", None)
    assert body[0] == body[1]
    assert {k: v for k, v in one.headers.items() if k not in PER_REQUEST} == \
        {k: v for k, v in other.headers.items() if k not in PER_REQUEST}
    return one.status_code


def test_every_kind_of_request_gets_the_routes_answer(api, routed, fast, make: Factory, db: Session):
    ours, elsewhere = make.establishment(), make.establishment(make.authority("S12000049"))
    officer = make.user("officer")
    db.commit()
    headers = make.headers(officer)
    tag = api.get(f"{URL}/{ours.id}", headers=headers).headers["etag"]
    cases = [
        (f"{URL}/{ours.id}", headers, 200),
        (f"{URL}/{ours.id}", {**headers, "If-None-Match": tag}, 304),
        (f"{URL}/{ours.id}", {**headers, "If-None-Match": '"999"'}, 200),
        (f"{URL}/{elsewhere.id}", headers, 404),  # another council's: not in reach
        (f"{URL}/{make.id()}", headers, 404),
        (f"{URL}/not-a-uuid", headers, 422),
        (f"{URL}/{ours.id}", {}, 401),
        (f"{URL}/{ours.id}", {"Authorization": "Bearer not.a.token"}, 401),
        (f"{URL}/{ours.id}?unused=1", headers, 200),
    ]
    assert [_same(api, routed, path, h) for path, h, _ in cases] == [s for _, _, s in cases]
    assert fast == _fast_expected(db, [200, 200, 304, 200])  # the ETag read, then the cases


def test_a_deactivated_account_is_refused_at_once(api, routed, make: Factory, db: Session):
    school, officer = make.establishment(), make.user("officer")
    db.commit()
    headers = make.headers(officer)
    assert api.get(f"{URL}/{school.id}", headers=headers).status_code == 200
    officer.active = False
    db.add(officer)
    db.commit()
    assert _same(api, routed, f"{URL}/{school.id}", headers) == 401


def test_the_callers_budget_counts_each_request_once(api, app: FastAPI, make: Factory, db: Session):
    school, missing = make.establishment(), make.id()
    db.commit()
    headers = make.headers(make.user("officer"))
    original = app.state.settings
    app.state.settings = original.model_copy(update={"rate_limit_per_principal": "3/minute"})
    try:
        statuses = [api.get(f"{URL}/{school.id}", headers=headers).status_code,
                    api.get(f"{URL}/{missing}", headers=headers).status_code,  # passed to the route
                    api.get(f"{URL}/{school.id}", headers=headers).status_code,
                    api.get(f"{URL}/{school.id}", headers=headers).status_code]
    finally:
        app.state.settings = original
    assert statuses == [200, 404, 200, 429]


def test_metrics_name_the_route(api, make: Factory, db: Session):
    school = make.establishment()
    db.commit()
    assert api.get(f"{URL}/{school.id}", headers=make.headers(make.admin())).status_code == 200
    metrics = api.get("/metrics").text
    assert 'route="/api/v1/establishments/{establishment_id}",status="200"' in metrics


def _pages(client: TestClient, headers: dict[str, str], limit: int) -> list[list[str]]:
    """The ids of every page of the list, following next_cursor to the end."""
    pages, cursor = [], None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = client.get(URL + query, headers=headers)
        assert answer.status_code == 200, answer.text
        pages.append([s["id"] for s in answer.json()["items"]])
        if (cursor := answer.json()["next_cursor"]) is None:
            return pages


def test_the_list_is_the_routes_page_by_page(api, routed, fast, make: Factory, db: Session):
    authority = make.authority()
    schools = [make.establishment(authority, name=name) for name in
               ("Abbey", "abbey", "Àrd", "Zeta", "Abbey", "Mid", "Ìle")]  # order, ties, accents
    make.establishment(make.authority("S12000049"))  # another council's: never listed
    officer = make.user("officer", authority=authority)
    make.user("headteacher", establishments=[schools[0]])
    make.user("headteacher", establishments=[schools[0], schools[3]])
    make.user("headteacher", establishments=[schools[3]], deleted_at=datetime.now(UTC))
    db.commit()
    headers = make.headers(officer)
    for limit in (1, 2, 3, 50):
        assert _pages(api, headers, limit) == _pages(routed, headers, limit)
    assert fast == _fast_expected(db, [200] * (7 + 4 + 3 + 1))
    assert list(chain(*_pages(api, headers, 2))) == [str(s.id) for s in sorted(
        schools, key=lambda s: (s.name, s.id.hex))]
    first = api.get(f"{URL}?limit=3", headers=headers).json()
    cases = [URL, f"{URL}?limit=3", f"{URL}?cursor={first['next_cursor']}",
             f"{URL}?limit=3&cursor={first['next_cursor']}",
             f"{URL}?cursor={first['next_cursor']}&limit=500",
             f"{URL}?limit=0", f"{URL}?limit=501", f"{URL}?limit=abc", f"{URL}?limit=05",
             f"{URL}?limit=", f"{URL}?limit=2&limit=3", f"{URL}?cursor=", f"{URL}?cursor=x.y",
             f"{URL}?cursor={first['next_cursor']}x", f"{URL}?sector=primary", f"{URL}?q=abb",
             f"{URL}?limit=%FF", f"{URL}?limit=2&&", f"{URL}?limit=2;x=1"]
    fast.clear()
    statuses = [_same(api, routed, path, headers) for path in cases]
    assert fast == _fast_expected(db, [200] * 5)
    assert statuses[:5] == [200] * 5 and statuses[5:8] == [422] * 3
    assert 400 in statuses


def test_every_role_gets_the_routes_answers(api, routed, fast, make: Factory, db: Session):
    region = make.region()
    authority = make.authority()
    school, other = make.establishment(authority), make.establishment(authority)
    callers = [make.admin(), make.user("officer", authority=authority),
               make.user("officer", authority=authority, authority_admin=True),
               make.user("headteacher", establishments=[school]),
               make.user("regional_lead", region=region),
               make.user("headteacher", establishments=[school], active=False),
               make.client(["establishments:read"], authority=authority)]
    db.commit()
    answered = []
    for who in callers:
        headers = make.headers(who)
        fast.clear()
        for path in (URL, f"{URL}?limit=1", f"{URL}/{school.id}", f"{URL}/{other.id}"):
            _same(api, routed, path, headers)
        answered.append(len(fast))
    # Users answered here, but for the headteacher's 404; the inactive and the client: routed.
    on_sqlite = db.get_bind().dialect.name == "sqlite"
    assert answered == ([4, 4, 4, 3, 4, 0, 0] if on_sqlite else [0] * len(callers))


def test_what_the_fast_path_keeps_never_outlives_the_school(api, make: Factory, db: Session):
    """Nothing kept (statements, documents) outlives what it was made from: a new or removed
    headteacher, a write (a new version), a link officer the database unsets by itself."""
    link_officer = make.user("officer")
    school = make.establishment(link_officer_id=link_officer.id)
    officer, admin = make.user("officer"), make.admin()
    db.commit()
    headers = make.headers(officer)

    def listed() -> dict[str, Any]:
        document = api.get(URL, headers=headers).json()["items"][0]
        assert api.get(f"{URL}/{school.id}", headers=headers).json() == document
        return document

    assert listed()["headteacher_ids"] == []
    head = make.user("headteacher", establishments=[school])
    db.commit()
    assert listed()["headteacher_ids"] == [str(head.id)]
    head.deleted_at = datetime.now(UTC)
    db.add(head)
    db.commit()
    assert listed()["headteacher_ids"] == []
    tag = api.get(f"{URL}/{school.id}", headers=headers).headers["etag"]
    renamed = api.patch(f"{URL}/{school.id}", headers={**make.headers(admin), "If-Match": tag},
                        json={"name": "Renamed Primary"})
    assert renamed.status_code == 200, renamed.text
    assert listed()["name"] == "Renamed Primary"
    assert listed()["link_officer_id"] == str(link_officer.id)
    db.execute(delete(User).where(col(User.id) == link_officer.id))  # ON DELETE SET NULL
    db.commit()
    assert listed()["link_officer_id"] is None
