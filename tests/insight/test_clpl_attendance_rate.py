"""Issue #21, point 11: one attendance rate, in one unit, everywhere. An event's summary said
0.3333 (a fraction counting unmarked places as absent) where the authority's said 81.8 (a
percent of the marked places). Now each says the percent of the confirmed places whose
attendance is marked that were attended, one decimal, null when none is marked, with the
places not yet marked counted apart (`attendance_unmarked`): the event's summary, the
authority's and the region's, as JSON and as CSV."""

import csv
import io
from datetime import datetime
from typing import Any

from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.learning.clpl_started import attend, started_event, summary
from tests.learning.clpl_world import (
    World,
    world,  # noqa: F401 - the fixture
)


def _session(event: dict[str, Any]) -> str:
    day = datetime.fromisoformat(event["starts_at"].replace("Z", "+00:00")).date()
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def _get(api: Any, url: str, session: str, headers: dict[str, str]) -> Any:
    answer = api.get(url, params={"session": session}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


CLPL_RATE_FIGURES = ("attended", "attendance_marked", "attendance_unmarked", "attendance_rate")


def test_the_event_authority_and_region_say_the_same_rate(api, world: World):  # noqa: F811
    # Four places: two came, one was absent, one is not marked yet.
    event, (ann, cal, eve, _gus) = started_event(
        api, world, ["Ann Bell", "Cal Dunn", "Eve Ford", "Gus Hay"], capacity=4)
    manager = world.authority_admin
    attend(api, event, [ann, cal], manager)
    attend(api, event, [eve], manager, attended=False)
    expected = {"attended": 2, "attendance_marked": 3, "attendance_unmarked": 1,
                "attendance_rate": 66.7}  # 2 / 3, not 2 / 4 = 0.5

    figures = summary(api, event, manager)
    assert {k: figures[k] for k in CLPL_RATE_FIGURES} == expected
    assert figures["registrations"] == 4

    session = _session(event)
    authority_url = f"/api/v1/summaries/authorities/{world.authority.id}"
    authority = _get(api, authority_url, session, manager).json()["clpl"]
    assert {k: authority[k] for k in CLPL_RATE_FIGURES} == expected
    region = _get(api, f"/api/v1/summaries/regions/{world.region.id}", session, world.lead).json()
    assert {k: region["totals"]["clpl"][k] for k in CLPL_RATE_FIGURES} == expected
    mine = next(a for a in region["authorities"] if a["authority_id"] == str(world.authority.id))
    assert {k: mine["clpl"][k] for k in CLPL_RATE_FIGURES} == expected

    text = _get(api, authority_url, session, {**manager, "Accept": "text/csv"}).text
    rows = {(r["measure"], r["value"]) for r in csv.DictReader(io.StringIO(text))}
    assert {("clpl.attendance_rate", "66.7"), ("clpl.attendance_unmarked", "1"),
            ("clpl.attendance_marked", "3")} <= rows


def test_with_nothing_marked_the_rate_is_null_everywhere(api, world: World):  # noqa: F811
    event, _people = started_event(api, world, ["Ann Bell", "Cal Dunn"], capacity=4)
    manager = world.authority_admin
    figures = summary(api, event, manager)
    assert (figures["attendance_rate"], figures["attendance_marked"],
            figures["attendance_unmarked"]) == (None, 0, 2)
    authority = _get(api, f"/api/v1/summaries/authorities/{world.authority.id}",
                     _session(event), manager).json()["clpl"]
    assert (authority["attendance_rate"], authority["attendance_unmarked"]) == (None, 2)


def test_the_contract_defines_the_rate_in_the_same_words(api):
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    event = schemas["ClplEventSummary"]["properties"]["attendance_rate"]
    authority = schemas["ClplFigures"]["properties"]["attendance_rate"]
    assert event["description"] == authority["description"]
    assert "Percent" in event["description"] and "marked" in event["description"]
    assert {"attendance_marked", "attendance_unmarked"} <= set(
        schemas["ClplEventSummary"]["properties"]) & set(schemas["ClplFigures"]["properties"])
