"""Two cancellations at once must each hand their place on: the event row lock queues them.

A capacity-2 event, both places taken and three waiting; both confirmed registrations are
cancelled at the same moment: the two first waiting move up, the third still waits."""

import threading

import pytest

from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.learning.clpl_world import (
    booked,
    cancel,
    create_event,
    registrations,
    world,  # noqa: F401 - the fixture
)


def test_two_concurrent_cancellations_promote_the_two_first_waiting(api, world, engine):  # noqa: F811
    if engine.dialect.name != "postgresql":
        pytest.skip("Needs real concurrent writers: SQLite runs one writing transaction at a time "
                    "(the app begins IMMEDIATE), so cancellations cannot race there. Run with "
                    "TEST_DATABASE_URL=postgresql+psycopg://...")
    manager = world.authority_admin
    for round_number in range(5):  # several rounds, so the requests really overlap
        event = create_event(api, world, capacity=2, title=f"Race {round_number}")
        first, second, waiting_1, waiting_2, waiting_3 = (
            booked(api, event, manager, f"Person {round_number}{n}") for n in "ABCDE")
        assert {w["status"] for w in (waiting_1, waiting_2, waiting_3)} == {"waitlisted"}
        start = threading.Barrier(2)
        answers: list[int] = []

        def cancel_at_once(registration, event=event, start=start, answers=answers):
            start.wait()
            answers.append(cancel(api, event, registration, manager).status_code)

        threads = [threading.Thread(target=cancel_at_once, args=(r,)) for r in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert answers == [200, 200]
        states = {r["id"]: (r["status"], r["waitlist_position"])
                  for r in registrations(api, event, manager)}
        assert states == {first["id"]: ("cancelled", None), second["id"]: ("cancelled", None),
                          waiting_1["id"]: ("confirmed", None), waiting_2["id"]: ("confirmed", None),
                          waiting_3["id"]: ("waitlisted", 1)}  # the two first booked moved up
        read = api.get(f"/api/v1/clpl-events/{event['id']}", headers=manager).json()
        assert (read["confirmed"], read["waitlisted"]) == (2, 1)
