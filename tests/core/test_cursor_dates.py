"""Cursors over lists ordered by a day (visits by visit_date) page through, never a 500.
Found by scripts/load.py: a page boundary on a `date` could not be written into the cursor."""

from tests.assurance.test_visits import VISITS, _visit
from tests.planning.conftest import school  # noqa: F401 - the fixture


def test_visits_page_through_a_cursor_on_their_dates(api, school):  # noqa: F811
    days = ["2025-10-07", "2025-10-07", "2025-11-03"]
    created = {api.post(VISITS, json=_visit(school, visit_date=day),
                        headers=school.link_officer).json()["id"] for day in days}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = api.get(VISITS, params=params, headers=school.link_officer)
        assert answer.status_code == 200, answer.text
        seen += [v["id"] for v in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(created) and set(seen) == created
