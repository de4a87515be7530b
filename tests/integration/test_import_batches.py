"""A partial import of a kind that checks each row before writing it (acel, school statistics,
inspections) writes a batch in one savepoint; when a write conflicts there, the batch is
rolled back and written again row by row, so that only the conflicting row fails."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.integration.imports.kinds import acel as acel_kind
from app.performance.models import AcelFigure
from tests.factories import Factory
from tests.integration.import_support import csv_rows, send

HEADER = "year,lacode,LA,cohort,stage,organiser,percent"
ROWS = [f"2024/25,{code},,1000,P1,Reading,7{n}.5" for n, code in enumerate(
    ("100", "110", "120", "130", "150"))]


ANGUS: list[Any] = [None]  # the authority whose row conflicts (set by each test)


@pytest.fixture
def conflicting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Angus's figure meets a copy written meanwhile: the unique key conflicts at the flush.
    Returns how many times Angus's row was written."""
    calls: list[int] = []
    real = acel_kind.write_acel

    def write(session: Session, principal: Any, **values: Any) -> Any:
        figure, outcome = real(session, principal, **values)
        if values["authority_id"] == ANGUS[0]:
            calls.append(1)
            session.add(AcelFigure(scope=figure.scope, authority_id=figure.authority_id,
                                   school_session=figure.school_session, stage=figure.stage,
                                   organiser=figure.organiser))
        return figure, outcome

    monkeypatch.setattr(acel_kind, "write_acel", write)
    return calls


def _figures(db: Session) -> list[AcelFigure]:
    db.expire_all()
    return list(db.scalars(select(AcelFigure)))


def test_only_the_conflicting_row_fails(api, make: Factory, db: Session, conflicting: list[int]):
    ANGUS[0] = make.authority("S12000041").id
    answer = send(api, make.headers(make.admin()), csv_rows(*ROWS, header=HEADER), kind="acel",
                  partial=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["created"], report["failed"]) == (4, 1)
    (error,) = report["errors"]
    assert error["line"] == 4 and "written meanwhile" in error["reason"]
    assert len(conflicting) == 2  # the batch at once, then Angus's row alone
    assert len(_figures(db)) == 4 and ANGUS[0] not in {f.authority_id for f in _figures(db)}


def test_all_or_nothing_writes_nothing(api, make: Factory, db: Session, conflicting: list[int]):
    ANGUS[0] = make.authority("S12000041").id
    answer = send(api, make.headers(make.admin()), csv_rows(*ROWS, header=HEADER), kind="acel")
    assert answer.status_code == 409, answer.text
    assert _figures(db) == []
