"""What a caller may record, it may read back: found by the stateful phase, where an authority
admin's new draft visit for another officer answered 404 to the authority admin at once."""

import pytest
from sqlmodel import Session

from app.identity.principal import Scope
from tests.factories import Factory


@pytest.mark.parametrize("recorder", ["authority_admin", "visits_client"])
def test_a_draft_visit_recorded_for_another_officer_is_readable_by_its_recorder(
        api, make: Factory, db: Session, recorder: str) -> None:
    authority = make.authority()
    school = make.establishment(authority)
    officer = make.user("officer", authority=authority)
    plain = make.user("officer", authority=authority)
    caller = (make.user("officer", authority=authority, authority_admin=True)
              if recorder == "authority_admin"
              else make.client([Scope.visits_write.value, Scope.establishments_read.value],
                              authority=authority))
    db.commit()
    headers = make.headers(caller)
    created = api.post("/api/v1/visits", headers=headers, json={
        "establishment_id": str(school.id), "officer_id": str(officer.id),
        "visit_date": "2025-10-01", "kind": "other", "notes": "Draft notes"})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    visit = f"/api/v1/visits/{created.json()['id']}"

    read = api.get(visit, headers=headers)
    assert read.status_code == 200
    assert read.json()["notes"] == "Draft notes"
    listed = api.get("/api/v1/visits", headers=headers).json()["items"]
    assert created.json()["id"] in [v["id"] for v in listed]
    edited = api.patch(visit, json={"notes": "Revised"},
                       headers={**headers, "If-Match": read.headers["etag"]})
    assert edited.status_code == 200
    # Still a draft: the officer it is for sees it, another officer of the authority does not.
    assert api.get(visit, headers=make.headers(officer)).status_code == 200
    assert api.get(visit, headers=make.headers(plain)).status_code == 404
