"""The national ACEL release imports as published: every authority and Scotland, sessions
written 2016-17, blanks kept as not published, never zero; a re-import changes nothing."""

from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from app.performance.models import NATIONAL, AcelFigure
from tests.factories import Factory
from tests.integration.import_support import send
from tests.performance.support import published

ACEL = "acel_2016-17_to_2024-25_by_local_authority.csv"


def _figures(db: Session) -> list[AcelFigure]:
    db.expire_all()
    return list(db.scalars(select(AcelFigure)))


def test_the_national_release_imports_whole(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    body = published(ACEL).read_bytes()
    answer = send(api, admin, body, kind="acel")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["created"], report["failed"]) == (8910, 8910, 0)
    assert report["warnings"] == []  # every published column is understood
    figures = _figures(db)
    national = [f for f in figures if f.scope == NATIONAL]
    assert len(national) == 8910 // 33 and all(f.authority_id is None for f in national)
    sessions = {f.school_session for f in figures}
    assert sessions == {f"{y}-{(y + 1) % 100:02d}" for y in range(2016, 2025)}
    blanks = [f for f in figures if f.percent is None]
    assert len(blanks) == 1320  # the blank cells: not published, not zero
    assert not [f for f in figures if f.percent == 0]
    glasgow = make.authority("S12000049")
    first = next(f for f in figures if f.authority_id == glasgow.id and f.stage == "p147"
                 and f.organiser == "literacy" and f.school_session == "2024-25")
    assert first.cohort and first.cohort > 10_000 and Decimal(0) < first.percent < Decimal(100)

    again = send(api, admin, body, kind="acel").json()
    assert (again["unchanged"], again["created"], again["updated"]) == (8910, 0, 0)
