"""Filters on GET /establishments: each narrows the list to exactly the matching schools."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from tests.factories import Factory

URL = "/api/v1/establishments"
GLASGOW = "S12000049"


def _names(api, make: Factory, who, **params) -> list[str]:
    answer = api.get(URL, params=params, headers=make.headers(who))
    assert answer.status_code == 200, answer.text
    return sorted(e["name"] for e in answer.json()["items"])


def test_filter_by_authority(api, make: Factory):
    make.establishment(name="Airdrie Primary")
    glasgow = make.authority(GLASGOW)
    make.establishment(glasgow, name="Hillhead Primary")
    admin = make.admin()
    assert _names(api, make, admin, authority_id=str(glasgow.id)) == ["Hillhead Primary"]


def test_filter_by_cluster(api, make: Factory):
    cluster = make.cluster()
    make.establishment(name="In Cluster", cluster_id=cluster.id)
    make.establishment(name="Outside")
    assert _names(api, make, make.admin(), cluster_id=str(cluster.id)) == ["In Cluster"]


def test_filter_by_sector(api, make: Factory):
    make.establishment(name="Nursery", sector="elc")
    make.establishment(name="High", sector="secondary")
    make.establishment(name="Primary", sector="primary")
    assert _names(api, make, make.admin(), sector="secondary") == ["High"]


def test_filter_by_unknown_sector_is_422(api, make: Factory):
    answer = api.get(URL, params={"sector": "college"}, headers=make.headers(make.admin()))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_filter_by_status(api, make: Factory):
    make.establishment(name="Open School")
    make.establishment(name="Closed School", status="closed")
    admin = make.admin()
    assert _names(api, make, admin, status="closed") == ["Closed School"]
    assert _names(api, make, admin, status="open") == ["Open School"]


def test_filter_by_gaelic_medium(api, make: Factory):
    make.establishment(name="Sgoil Ghàidhlig Ghlaschu", gaelic_medium=True)
    make.establishment(name="English Medium")
    admin = make.admin()
    assert _names(api, make, admin, gaelic_medium="true") == ["Sgoil Ghàidhlig Ghlaschu"]
    assert _names(api, make, admin, gaelic_medium="false") == ["English Medium"]


def test_filter_by_link_officer(api, make: Factory):
    officer = make.user("officer")
    make.establishment(name="Linked", link_officer_id=officer.id)
    make.establishment(name="Unlinked")
    assert _names(api, make, officer, link_officer_id=str(officer.id)) == ["Linked"]


def test_q_matches_name_case_insensitively(api, make: Factory):
    make.establishment(name="St Margaret's Primary")
    make.establishment(name="Greenhill Primary")
    admin = make.admin()
    assert _names(api, make, admin, q="MARGARET") == ["St Margaret's Primary"]
    assert _names(api, make, admin, q="primary") == ["Greenhill Primary", "St Margaret's Primary"]


def test_q_matches_code_prefix_not_code_infix(api, make: Factory):
    make.establishment(name="Alpha", code="8123456")
    make.establishment(name="Beta", code="8654321")
    admin = make.admin()
    assert _names(api, make, admin, q="8123") == ["Alpha"]
    assert _names(api, make, admin, q="3456") == []


def test_q_treats_percent_and_underscore_literally(api, make: Factory):
    make.establishment(name="100% Nursery")
    make.establishment(name="Under_score Primary")
    make.establishment(name="Plain Primary")
    admin = make.admin()
    assert _names(api, make, admin, q="%") == ["100% Nursery"]
    assert _names(api, make, admin, q="_") == ["Under_score Primary"]
    assert _names(api, make, admin, q="n_p") == []


def test_q_with_unicode_matches_case_insensitively(api, make: Factory):
    make.establishment(name="Bun-sgoil Ìle")
    make.establishment(name="Other")
    assert _names(api, make, make.admin(), q="sgoil ì") == ["Bun-sgoil Ìle"]


def test_updated_since_returns_only_recent_changes(api, make: Factory, db: Session):
    old = make.establishment(name="Old")
    old.updated_at = datetime(2024, 1, 1, tzinfo=UTC)
    db.add(old)
    db.commit()
    make.establishment(name="Recent")
    admin = make.admin()
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert _names(api, make, admin, updated_since=since) == ["Recent"]
    assert _names(api, make, admin, updated_since="2023-12-31T23:00:00Z") == ["Old", "Recent"]


def test_filters_combine_and_never_widen_visibility(api, make: Factory):
    officer = make.user("officer")
    glasgow = make.authority(GLASGOW)
    make.establishment(glasgow, name="Glasgow Secondary", sector="secondary")
    make.establishment(name="Lanark Secondary", sector="secondary")
    make.establishment(name="Lanark Primary", sector="primary")
    assert _names(api, make, officer, sector="secondary") == ["Lanark Secondary"]
    assert _names(api, make, officer, authority_id=str(glasgow.id)) == []


def test_updated_since_must_be_rfc3339_with_an_offset(api, make: Factory):
    headers = make.headers(make.admin())
    for value in ("2025-08-18T09:00:00", "1723971600", "yesterday"):
        answer = api.get(URL, params={"updated_since": value}, headers=headers)
        assert answer.status_code == 422, (value, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["query", "updated_since"]
