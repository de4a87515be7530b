"""Events that have started, made as they happen: booked while still to come, then the start
passes (the event is moved to have started `days_ago`, as an organiser rescheduling would),
since the service takes no booking once an event has started."""

from typing import Any

from tests.learning.clpl_world import EVENTS, World, at, booked, create_event, patch_event


def start(api: Any, event: dict[str, Any], headers: dict[str, str], days_ago: float = 1) -> None:
    answer = patch_event(api, event, {"starts_at": at(-days_ago), "ends_at": at(-days_ago, 3)},
                         headers)
    assert answer.status_code == 200, answer.text


def started_event(api: Any, world: World, names: list[str], *, capacity: int,
                  days_ago: float = 1, **changes: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An event of the world's authority that started `days_ago`, with these people booked in
    this order before it did (beyond capacity, on the waiting list)."""
    event = create_event(api, world, capacity=capacity, **changes)
    people = [booked(api, event, world.authority_admin, name) for name in names]
    start(api, event, world.authority_admin, days_ago)
    return event, people


def attend(api: Any, event: dict[str, Any], registrations: list[dict[str, Any]],
           headers: dict[str, str], attended: bool = True) -> None:
    answer = api.post(f"{EVENTS}/{event['id']}/attendance", headers=headers, json={
        "registration_ids": [r["id"] for r in registrations], "attended": attended})
    assert answer.status_code == 200, answer.text


def summary(api: Any, event: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    answer = api.get(f"{EVENTS}/{event['id']}/summary", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def statuses(api: Any, event: dict[str, Any], headers: dict[str, str]) -> dict[str, str]:
    answer = api.get(f"{EVENTS}/{event['id']}/registrations", params={"limit": 500},
                     headers=headers)
    assert answer.status_code == 200, answer.text
    return {r["participant"]["name"]: r["status"] for r in answer.json()["items"]}
