"""Every list has one shape, `{items, next_cursor}`, pages with `limit` and `cursor`, and keeps
its order across pages: the lists that used to answer bare arrays (a plan's priorities, plan and
report history, a priority's progress, support-status history, the frameworks) included."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from app.assurance.models import SupportStatus
from app.planning.models import PlanPriority, PriorityProgress, WorkflowTransition
from tests.factories import Factory, PlanningFactory

API = "/api/v1"
START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)


def _walk(api: Any, url: str, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    """Every item of the list, page by page; each page in the one shape."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = api.get(url, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert isinstance(page, dict) and set(page) == {"items", "next_cursor"}, page
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError(f"{url} did not end")


def test_no_list_answers_a_bare_array_and_every_list_pages(api, make: Factory):
    """Read from the served contract: a GET answering JSON answers an object, and every page
    of items takes `limit` and `cursor`."""
    document = api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        operation = item.get("get")
        if not operation:
            continue
        schema = operation["responses"]["200"].get("content", {}).get(
            "application/json", {}).get("schema", {})
        assert schema.get("type") != "array", f"{operation['operationId']} answers a bare array"
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        if name.startswith("Page_"):
            assert set(schemas[name]["properties"]) == {"items", "next_cursor"}, name
            params = {p["name"] for p in operation.get("parameters", [])}
            assert {"limit", "cursor"} <= params, f"{operation['operationId']} does not page"


def test_frameworks_page_by_code(api, make: Factory):
    frameworks = _walk(api, f"{API}/frameworks", make.headers(make.user("headteacher")), limit=1)
    codes = [f["code"] for f in frameworks]
    assert len(codes) >= 3 and codes == sorted(codes) and len(set(codes)) == len(codes)
    assert {"HGIOS4", "HGIOELC"} <= set(codes)


def test_a_plans_priorities_page_in_their_order(api, make: Factory):
    school = make.establishment()
    plan = PlanningFactory(make).plan(school, priorities=0)
    for position in (3, 0, 4, 1, 2):  # stored out of order: the list puts them in order
        make._save(PlanPriority(plan_id=plan.id, position=position, title=f"P{position}"))
    head = make.headers(make.user("headteacher", establishments=[school]))
    priorities = _walk(api, f"{API}/improvement-plans/{plan.id}/priorities", head, limit=2)
    assert [p["title"] for p in priorities] == ["P0", "P1", "P2", "P3", "P4"]


def _transitions(make: Factory, document_id: Any, document_type: str) -> list[str]:
    moves = [("draft", "submitted"), ("submitted", "returned"), ("returned", "submitted"),
             ("submitted", "agreed")]
    for minutes, (source, target) in zip((30, 0, 20, 10), moves, strict=True):
        make._save(WorkflowTransition(
            document_type=document_type, document_id=document_id, from_status=source,
            to_status=target, actor_label="someone", feedback=f"at {minutes}",
            occurred_at=START + timedelta(minutes=minutes)))
    return ["at 0", "at 10", "at 20", "at 30"]


def test_plan_and_report_history_page_oldest_first(api, make: Factory):
    school = make.establishment()
    planning = PlanningFactory(make)
    plan, report = planning.plan(school, status="agreed"), planning.report(school, status="agreed")
    officer = make.headers(make.admin())
    for url, document, kind in ((f"{API}/improvement-plans/{plan.id}/history", plan,
                                 "improvement_plan"),
                                (f"{API}/quality-reports/{report.id}/history", report,
                                 "quality_report")):
        expected = _transitions(make, document.id, kind)
        history = _walk(api, url, officer, limit=1)
        assert [h["feedback"] for h in history] == expected, url


def test_a_prioritys_progress_pages_oldest_first(api, make: Factory):
    school = make.establishment()
    plan = PlanningFactory(make).plan(school, status="agreed", priorities=1)
    priority = make.db.exec(select(PlanPriority).where(PlanPriority.plan_id == plan.id)).one()
    for days, rag in ((2, "green"), (0, "red"), (1, "amber")):
        make._save(PriorityProgress(priority_id=priority.id, rag=rag, commentary=f"day {days}",
                                    recorded_at=START + timedelta(days=days)))
    url = f"{API}/improvement-plans/{plan.id}/priorities/{priority.id}/progress"
    progress = _walk(api, url, make.headers(make.admin()), limit=2)
    assert [p["rag"] for p in progress] == ["red", "amber", "green"]


def test_support_status_history_pages_newest_first(api, make: Factory):
    school = make.establishment()
    for sequence, rag in ((1, "green"), (2, "amber"), (3, "red"), (4, "amber"), (5, "green")):
        make._save(SupportStatus(
            establishment_id=school.id, authority_id=school.authority_id, sequence=sequence,
            is_current=sequence == 5, rag=rag, level="universal", agreed_on=date(2025, 9, sequence)))
    url = f"{API}/establishments/{school.id}/support-status/history"
    history = _walk(api, url, make.headers(make.admin()), limit=2)
    assert [h["version"] for h in history] == [5, 4, 3, 2, 1]
    assert [h["rag"] for h in history] == ["green", "amber", "red", "amber", "green"]
