"""The hot reads write establishments from driver values (establishment_rows), not through
EstablishmentRead: their bytes must be exactly what the read model would write."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session

from app.organisations.schemas import SchoolYear
from app.organisations.service import _establishment_read
from tests.factories import Factory

URL = "/api/v1/establishments"


def _schools(make: Factory, db: Session) -> list:
    cluster = make.cluster()
    officer = make.user("officer")
    on_the_second = datetime(2026, 8, 1, 9, 0, 0, tzinfo=UTC)  # no fraction: written without one
    schools = [
        make.establishment(simd_q1_percent=Decimal("23.45"), gaelic_medium=True, cluster_id=cluster.id,
                           link_officer_id=officer.id, area="Airdrie"),
        make.establishment(simd_q1_percent=Decimal("23"), created_at=on_the_second,
                           updated_at=on_the_second, code="123456"),
        make.establishment(simd_q1_percent=None, status="closed", sector="secondary"),
        make.establishment(simd_q1_percent=Decimal("0.10"), roll=0),
    ]
    make.user("headteacher", establishments=schools[:1])
    make.user("headteacher", establishments=schools[:2])
    gone = make.user("headteacher", establishments=schools[:1])
    gone.deleted_at = on_the_second  # a former headteacher is not listed
    db.add(gone)
    db.commit()
    return schools


def _model_json(db: Session, school, current: dict | None) -> bytes:
    """The read model's JSON, with the school's year the reads answered (its figures are
    tests/organisations/test_school_year.py's)."""
    db.refresh(school)
    year = None if current is None else SchoolYear.model_validate(current)
    read = _establishment_read(db, school).model_copy(update={"current": year})
    return read.__pydantic_serializer__.to_json(read, by_alias=True)


def test_one_establishment_is_written_as_its_read_model(api, make: Factory, db: Session):
    officer = make.user("officer")
    for school in _schools(make, db):
        answer = api.get(f"{URL}/{school.id}", headers=make.headers(officer))
        assert answer.status_code == 200, answer.text
        assert answer.content == _model_json(db, school, answer.json()["current"])
        assert answer.headers["ETag"].startswith(f'"{school.version}.')


def test_a_page_is_written_as_read_models(api, make: Factory, db: Session):
    officer = make.user("officer")
    schools = sorted(_schools(make, db), key=lambda s: (s.name, str(s.id)))
    answer = api.get(URL, params={"limit": 3}, headers=make.headers(officer))
    assert answer.status_code == 200, answer.text
    years = [item["current"] for item in answer.json()["items"]]
    items = b",".join(_model_json(db, s, y) for s, y in zip(schools[:3], years, strict=True))
    cursor = answer.json()["next_cursor"]
    assert cursor is not None
    assert answer.content == b'{"items":[' + items + b'],"next_cursor":"' + cursor.encode() + b'"}'
    rest = api.get(URL, params={"limit": 3, "cursor": cursor}, headers=make.headers(officer))
    last = _model_json(db, schools[3], rest.json()["items"][0]["current"])
    assert rest.content == b'{"items":[' + last + b'],"next_cursor":null}'


def test_an_empty_cursor_is_the_first_page(api, make: Factory, db: Session):
    """`?cursor=` (as a form or a generated client sends an unset cursor) is no cursor."""
    make.establishment()
    db.commit()
    headers = make.headers(make.admin())
    first = api.get(URL, headers=headers)
    empty = api.get(f"{URL}?cursor=", headers=headers)
    assert empty.status_code == 200, empty.text
    assert empty.json() == first.json()
