"""`q` finds what people type (issue #20): accents folded (`Ghaidhlig` finds `Ghàidhlig`),
any Unicode normal form, typographic apostrophes as plain ones, on every searched list and on
every way a searched row is written."""

import itertools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent, ChangeRecord
from app.core.text import fold
from app.organisations.models import Establishment
from tests.factories import Factory
from tests.integration.import_support import csv_rows, school, send
from tests.learning.clpl_world import EVENTS, event_body
from tests.organisations.payloads import establishment_body

SCHOOLS = "/api/v1/establishments"
AUTHORITIES = "/api/v1/authorities"
CLUSTERS = "/api/v1/clusters"
USERS = "/api/v1/users"
CHANGES = "/api/v1/changes"

GAELIC = "Sgoil Ghàidhlig Ghlaschu"
DECOMPOSED = unicodedata.normalize("NFD", "Bun-sgoil Ìle")  # as some Mac and iOS input sends it
PLAIN_APOSTROPHE = "St Andrew's Primary"
CURLY_APOSTROPHE = "St Mary\u2019s Primary"  # as a word processor or phone types it
NAMES = (GAELIC, DECOMPOSED, PLAIN_APOSTROPHE, CURLY_APOSTROPHE, "Other Primary")

# (what is typed, the one stored name it must find)
SEARCHES = [
    ("Ghaidhlig", GAELIC),  # without the accent
    ("GHÀIDHLIG", GAELIC),  # another case
    (unicodedata.normalize("NFD", "Ghàidhlig"), GAELIC),  # decomposed finds composed
    ("sgoil ìle", DECOMPOSED),  # composed finds decomposed
    ("Bun-sgoil Ile", DECOMPOSED),
    ("St Andrew\u2019s", PLAIN_APOSTROPHE),  # typographic finds plain
    ("St Mary's", CURLY_APOSTROPHE),  # plain finds typographic
    ("st  mary\u02bcs", CURLY_APOSTROPHE),  # spaces collapsed, a modifier-letter apostrophe
    ("St Andrews", PLAIN_APOSTROPHE),  # as often written, without the apostrophe
    ("St Marys", CURLY_APOSTROPHE),
]

_numbers = itertools.count(1)


@dataclass
class Searched:
    """One searched list: how a row with a given name is written, and how `q` reads it back."""

    create: Callable[[Any, Factory, str], None]
    url: str
    field: str = "name"


def _admin(make: Factory) -> dict[str, str]:
    return make.headers(make.admin())


def _post(api: Any, url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    answer = api.post(url, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _school(api: Any, make: Factory, name: str) -> None:
    _post(api, SCHOOLS, establishment_body(make.authority(), name=name), _admin(make))


def _authority(api: Any, make: Factory, name: str) -> None:
    _post(api, AUTHORITIES, {"code": f"X{90000000 + next(_numbers)}", "name": name}, _admin(make))


def _cluster(api: Any, make: Factory, name: str) -> None:
    _post(api, CLUSTERS, {"authority_id": str(make.authority().id), "name": name}, _admin(make))


def _user(api: Any, make: Factory, name: str) -> None:
    _post(api, USERS, {"email": f"person{next(_numbers)}@test.sih.scot", "name": name,
                       "password": "a-long-passphrase-2025", "role": "admin"}, _admin(make))


def _event(api: Any, make: Factory, name: str) -> None:
    keeper = make.user("officer", authority_admin=True)
    owner = {"authority_id": str(make.authority().id)}
    _post(api, EVENTS, event_body(owner, title=name), make.headers(keeper))


LISTS = {
    "establishments": Searched(_school, SCHOOLS),
    "authorities": Searched(_authority, AUTHORITIES),
    "clusters": Searched(_cluster, CLUSTERS),
    "users": Searched(_user, USERS),
    "clpl-events": Searched(_event, EVENTS, field="title"),
}


def _found(api: Any, make: Factory, searched: Searched, q: str) -> list[str]:
    answer = api.get(searched.url, params={"q": q, "limit": 100}, headers=_admin(make))
    assert answer.status_code == 200, answer.text
    return sorted(item[searched.field] for item in answer.json()["items"])


def _school_names(api: Any, make: Factory, q: str) -> list[str]:
    return _found(api, make, LISTS["establishments"], q)


@pytest.mark.parametrize("kind", LISTS)
def test_q_folds_accents_normal_forms_and_apostrophes(api, make: Factory, kind: str):
    searched = LISTS[kind]
    for name in NAMES:
        searched.create(api, make, name)
    for typed, stored in SEARCHES:
        assert _found(api, make, searched, typed) == [stored], typed


@pytest.mark.parametrize("kind", LISTS)
def test_q_still_takes_percent_and_underscore_literally(api, make: Factory, kind: str):
    searched = LISTS[kind]
    for name in ("100% Ghàidhlig", "Under_score Ghàidhlig", "Under score Ghàidhlig"):
        searched.create(api, make, name)
    assert _found(api, make, searched, "%") == ["100% Ghàidhlig"]
    assert _found(api, make, searched, "r_s") == ["Under_score Ghàidhlig"]


def test_a_user_is_still_found_by_email(api, make: Factory):
    _user(api, make, "Ceit NicAoidh")
    found = api.get(USERS, params={"q": "@TEST.SIH"}, headers=_admin(make)).json()["items"]
    assert "Ceit NicAoidh" in [u["name"] for u in found]


def test_a_school_is_still_found_by_code_prefix(api, make: Factory):
    _post(api, SCHOOLS, establishment_body(make.authority(), code="8765432", name="Àrd"),
          _admin(make))
    assert _school_names(api, make, " 87654") == ["Àrd"]
    assert _school_names(api, make, "ard") == ["Àrd"]


def test_a_school_written_by_put_by_code_is_found_folded(api, make: Factory):
    mis = make.client(["establishments:write"])
    body = {"name": DECOMPOSED, "sector": "primary", "roll": 40}
    answer = api.put(f"{SCHOOLS}/by-code/8000101", json=body, headers=make.headers(mis))
    assert answer.status_code == 201, answer.text
    assert _school_names(api, make, "ìle") == [DECOMPOSED]

    renamed = api.put(f"{SCHOOLS}/by-code/8000101", json={**body, "name": CURLY_APOSTROPHE},
                      headers=make.headers(mis))
    assert renamed.status_code == 200, renamed.text
    assert _school_names(api, make, "ìle") == []
    assert _school_names(api, make, "St Mary's") == [CURLY_APOSTROPHE]


def test_schools_and_clusters_written_by_an_import_are_found_folded(api, make: Factory):
    admin = _admin(make)
    body = csv_rows(school(201, name=GAELIC, cluster="Cnoc an Àird"),
                    school(202, name=CURLY_APOSTROPHE))
    answer = send(api, admin, body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["failed"]) == (2, 0)
    assert _school_names(api, make, "ghaidhlig") == [GAELIC]
    assert _school_names(api, make, "St Mary's") == [CURLY_APOSTROPHE]
    assert _found(api, make, LISTS["clusters"], "cnoc an aird") == ["Cnoc an Àird"]

    renamed = send(api, admin, csv_rows(school(201, name="Sgoil Ùr")))
    assert renamed.json()["updated"] == 1, renamed.text
    assert _school_names(api, make, "ghaidhlig") == []
    assert _school_names(api, make, "sgoil ur") == ["Sgoil Ùr"]


def _rename(api: Any, make: Factory, url: str, item: dict[str, Any], **changes: Any) -> None:
    headers = make.headers(make.admin(), **{"If-Match": f'"{item["version"]}"'})
    answer = api.patch(f"{url}/{item['id']}", json=changes, headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("kind", ["establishments", "authorities", "clusters"])
def test_a_rename_is_searched_by_its_new_name(api, make: Factory, kind: str):
    searched = LISTS[kind]
    searched.create(api, make, "Sgoil Ghàidhlig")
    item = api.get(searched.url, params={"q": "ghaidhlig"}, headers=_admin(make)).json()["items"][0]
    _rename(api, make, searched.url, item, name="Àrdsgoil Phort Rìgh")
    assert _found(api, make, searched, "ghaidhlig") == []
    assert _found(api, make, searched, "Ardsgoil Phort Righ") == ["Àrdsgoil Phort Rìgh"]


def test_another_change_keeps_the_folded_name(api, make: Factory, db: Session):
    school = make.establishment(name=GAELIC)
    _rename(api, make, SCHOOLS, {"id": school.id, "version": school.version}, roll=99)
    db.expire_all()
    assert db.get(Establishment, school.id).name_folded == fold(GAELIC) == "sgoil ghaidhlig ghlaschu"
    assert _school_names(api, make, "Ghaidhlig") == [GAELIC]


def test_a_school_made_through_the_orm_is_folded(api, make: Factory):
    make.establishment(name=DECOMPOSED)  # the factories, the demo and the reference data
    assert _school_names(api, make, "ìle") == [DECOMPOSED]


def test_the_folded_name_is_in_no_answer_audit_record_or_change(api, make: Factory, db: Session):
    admin = _admin(make)
    created = _post(api, SCHOOLS, establishment_body(make.authority(), name=GAELIC), admin)
    _rename(api, make, SCHOOLS, created, name="Sgoil Ùr")
    answers = [created, api.get(f"{SCHOOLS}/{created['id']}", headers=admin).json(),
               *api.get(SCHOOLS, params={"q": "sgoil ur"}, headers=admin).json()["items"],
               *api.get(CHANGES, params={"kinds": "establishment"}, headers=admin).json()["items"]]
    assert answers and all("folded" not in str(answer) for answer in answers)
    audited = db.scalars(select(AuditEvent).where(AuditEvent.resource_id == created["id"])).all()
    changes = db.scalars(select(ChangeRecord).where(ChangeRecord.resource_id == created["id"])).all()
    assert len(audited) == len(changes) == 2
    for row in [*audited, *changes]:
        assert "folded" not in str(row.model_dump())


@pytest.mark.parametrize(("typed", "folded"), [
    ("Sgoil Ghàidhlig", "sgoil ghaidhlig"),
    (unicodedata.normalize("NFD", "Ìle"), "ile"),
    ("St Andrew\u2019s \u2018Academy\u2019", "st andrews academy"),
    ("Caf\u00e9 \u201cNAME\u201d", 'cafe "name"'),
    ("a\u00b4b `c\u2032", "ab c"),
    ("  Stra\u00dfe \t\u00a0\ufb01sh  ", "strasse fish"),
    ("\uff33\uff14", "s4"),
])
def test_fold(typed: str, folded: str):
    assert fold(typed) == folded
    assert fold(folded) == folded
