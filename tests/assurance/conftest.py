import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import Factory


@dataclass
class School:
    """A primary school in North Lanarkshire with the people around it."""

    establishment: Any
    head: dict[str, str]
    link_officer: dict[str, str]
    authority_admin: dict[str, str]
    other_officer: dict[str, str]
    other_head: dict[str, str]
    lead: dict[str, str]
    link_officer_id: uuid.UUID
    other_officer_id: uuid.UUID


@pytest.fixture
def school(make: Factory) -> School:
    link = make.user("officer")
    other = make.user("officer")
    establishment = make.establishment(link_officer_id=link.id)
    return School(
        establishment=establishment,
        head=make.headers(make.user("headteacher", establishments=[establishment])),
        link_officer=make.headers(link),
        authority_admin=make.headers(make.user("officer", authority_admin=True)),
        other_officer=make.headers(other),
        other_head=make.headers(make.user("headteacher")),
        lead=make.headers(make.user("regional_lead")),
        link_officer_id=link.id,
        other_officer_id=other.id,
    )


VSE_CYCLES = "/api/v1/vse-cycles"


def vse_body(school: School, **changes: Any) -> dict[str, Any]:
    return {"establishment_id": str(school.establishment.id), "session": "2025-26",
            "trigger": "authority_directed", "indicator_codes": ["1.3", "2.3"],
            "team": [{"user_id": str(school.link_officer_id), "role": "officer"},
                     {"name": "Fiona Reid", "role": "associate_assessor"}],
            "planning_date": "2025-10-20", "visit_start": "2025-11-03",
            "visit_end": "2025-11-05", **changes}


GRADES = [{"indicator_code": "1.3", "grade": 4, "strengths": "Shared vision",
           "next_steps": "Evaluate the impact of CLPL"},
          {"indicator_code": "2.3", "grade": 5, "strengths": "Pace and challenge",
           "next_steps": "Consistency across stages"}]


def create_vse(api: Any, school: School, headers: dict[str, str] | None = None,
               **changes: Any) -> dict[str, Any]:
    answer = api.post(VSE_CYCLES, json=vse_body(school, **changes),
                      headers=headers or school.link_officer)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def patch_vse(api: Any, vse_id: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    etag = api.get(f"{VSE_CYCLES}/{vse_id}", headers=headers).headers["ETag"]
    return api.patch(f"{VSE_CYCLES}/{vse_id}", json=body, headers={**headers, "If-Match": etag})


CANCEL_REASON = "The school's priorities changed: a VSE of 2.3 would help more next session."


def move_vse(api: Any, vse_id: str, action: str, headers: dict[str, str],
             reason: str = CANCEL_REASON) -> Any:
    """A move; a cancellation says why (required)."""
    body = {"reason": reason} if action == "cancel" else None
    return api.post(f"{VSE_CYCLES}/{vse_id}/{action}", json=body, headers=headers)


def stored_vse(make: Factory, school: School, status: str, **fields: Any) -> Any:
    """A VSE straight into the database, in any state a test needs."""
    from datetime import date

    from app.assurance.vse.models import VseCycle

    values = {"session": "2025-26", "trigger": "authority_directed", "framework_code": "HGIOS4",
              "indicator_codes": ["1.3"], "visit_start": date(2025, 11, 3),
              "visit_end": date(2025, 11, 5), **fields}
    return make._save(VseCycle(establishment_id=school.establishment.id,
                               authority_id=school.establishment.authority_id, status=status,
                               **values))
