"""A summary for a session tells each school's RAG and support level as they were in force in
that session, from the support-status history, not today's."""

from tests.assurance.conftest import school  # noqa: F401 - the fixture
from tests.insight.conftest import authority_url

URL = "/api/v1/establishments/{}/support-status"


def _set(api, school, rag, level, agreed_on):  # noqa: F811
    url = URL.format(school.establishment.id)
    current = api.get(url, headers=school.authority_admin)
    headers = dict(school.authority_admin)
    if current.status_code == 200:
        headers["If-Match"] = current.headers["ETag"]
    answer = api.put(url, json={"rag": rag, "level": level, "reasons": ["other"],
                                "agreed_on": agreed_on}, headers=headers)
    assert answer.status_code in (200, 201), answer.text


def test_last_session_is_told_with_last_sessions_rag(api, school):  # noqa: F811
    _set(api, school, "green", "universal", "2025-09-10")
    _set(api, school, "red", "intensive", "2026-09-10")
    authority = school.establishment.authority_id
    headers = school.authority_admin

    def rags(session: str) -> dict:
        body = api.get(authority_url(authority, session), headers=headers).json()
        return {k: v for k, v in body["establishments"]["by_rag"].items() if k != "none"}

    assert rags("2025-26") == {"red": 0, "amber": 0, "green": 1}
    assert rags("2026-27") == {"red": 1, "amber": 0, "green": 0}
    # Before any status was agreed, the school had none.
    assert rags("2024-25") == {"red": 0, "amber": 0, "green": 0}
