"""The change feed's promises under concurrent writers, which no longer queue behind one lock:
a consumer polling with its cursor never misses a committed change, never gets one twice and
never gets one that was not committed, and a writer never waits for another's transaction."""

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit.service import changes_in_bulk, record_change, write_collected_changes
from app.organisations.models import Cluster

CHANGES = "/api/v1/changes"
KIND = "cluster"  # feed rows need no cluster rows: only record_change writes here


@pytest.fixture
def authority_id(make) -> uuid.UUID:
    return make.authority().id


@pytest.fixture
def consumer(api, make) -> Callable[[], list[str]]:
    """Polls the feed as a portal would: one page after another from its last cursor, and
    answers with the names of the changes it got since the previous call."""
    headers = make.headers(make.admin())
    state: dict[str, str | None] = {"cursor": None}

    def poll() -> list[str]:
        names: list[str] = []
        while True:
            params = {"kinds": KIND, "limit": 7}
            if state["cursor"]:
                params["since"] = state["cursor"]
            page = api.get(CHANGES, params=params, headers=headers)
            assert page.status_code == 200, page.text
            body = page.json()
            state["cursor"] = body["next_cursor"]
            names += [c["data"]["name"] for c in body["items"]]
            if not body["items"]:
                return names

    return poll


def _record(session: Session, authority_id: uuid.UUID, name: str,
            cluster_id: uuid.UUID | None = None, version: int = 1) -> None:
    cluster = Cluster(id=cluster_id or uuid.uuid4(), authority_id=authority_id, name=name,
                      version=version)
    record_change(session, None, "cluster.create" if version == 1 else "cluster.update", cluster,
                  before=None if version == 1 else {"name": "before"})
    # Inserted now, mid-transaction, as an import writes its rows (others wait for commit).
    write_collected_changes(session)


def _own_seq(session: Session) -> int:
    """The seq of the session's newest change (nothing else is committed yet where used)."""
    seq: int = session.scalar(text("SELECT max(seq) FROM change_record"))
    return seq


@pytest.fixture
def sessions(engine: Engine) -> Iterator[Callable[[], Session]]:
    """Sessions on the app's own engine (on SQLite: BEGIN IMMEDIATE, one writer at a time)."""
    opened: list[Session] = []

    def open_session() -> Session:
        opened.append(Session(engine, expire_on_commit=False))
        return opened[-1]

    yield open_session
    for session in opened:
        session.close()


@pytest.fixture
def postgresql_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE): transactions cannot "
                    "interleave their writes, so there is nothing to order")


def test_concurrent_writers_and_a_polling_consumer(consumer, sessions, authority_id):
    """Writers hold their transactions open for random short times (some write through the
    bulk path of imports, some roll back); the consumer polls throughout, then drains."""
    rng = random.Random(20261124)
    committing: set[str] = set()  # names whose transaction is committing or has committed
    committed: list[str] = []
    rolled_back: set[str] = set()
    guard = threading.Lock()
    failures: list[BaseException] = []

    def writer(w: int, plan: list[tuple[int, bool, bool, list[float]]]) -> None:
        try:
            for t, (count, bulk, commit, pauses) in enumerate(plan):
                names = [f"w{w}-t{t}-c{c}" for c in range(count)]
                session = sessions()
                with session:
                    if bulk:
                        with changes_in_bulk(session):
                            for name, pause in zip(names, pauses, strict=False):
                                _record(session, authority_id, name)
                                time.sleep(pause)
                    else:
                        for name, pause in zip(names, pauses, strict=False):
                            _record(session, authority_id, name)
                            session.flush()  # takes its seq (and txid) now, commits later
                            time.sleep(pause)
                    time.sleep(pauses[-1])
                    if commit:
                        with guard:
                            committing.update(names)
                        session.commit()
                        with guard:
                            committed.extend(names)
                    else:
                        session.rollback()
                        with guard:
                            rolled_back.update(names)
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    plans = [[(rng.randint(1, 3), rng.random() < 0.3, rng.random() < 0.75,
               [rng.uniform(0, 0.03) for _ in range(4)]) for _ in range(8)] for _ in range(6)]
    threads = [threading.Thread(target=writer, args=(w, plan)) for w, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    while any(thread.is_alive() for thread in threads):
        got = consumer()
        with guard:
            assert set(got) <= committing, f"uncommitted changes in the feed: {set(got) - committing}"
        seen += got
    for thread in threads:
        thread.join()
    assert not failures, failures
    seen += consumer()  # every writer has ended: the rest of the feed

    assert committed and rolled_back  # the plan exercised both
    assert not set(seen) & rolled_back
    repeated = [name for name, n in Counter(seen).items() if n > 1]
    assert not repeated, f"delivered more than once: {repeated}"
    assert sorted(seen) == sorted(committed)


@pytest.mark.parametrize("older", ["first_seq", "later_seq"])
def test_a_change_committed_after_a_later_one_was_read_is_still_delivered(
        postgresql_only, consumer, sessions, authority_id, older):
    """A takes a seq, B takes a later one and commits, the consumer polls, then A commits.
    A reader of `seq > cursor` would have moved past A's seq and never deliver it. Either
    transaction may be the older one (the one that began writing first)."""
    a, b = sessions(), sessions()
    if older == "later_seq":
        b.execute(text("SELECT pg_current_xact_id()"))  # B is the older transaction
    _record(a, authority_id, "A")
    a.flush()
    _record(b, authority_id, "B")
    b.flush()
    assert _own_seq(a) < _own_seq(b)
    b.commit()
    first = consumer()
    assert "A" not in first
    if older == "later_seq":
        assert first == ["B"]  # nothing older is still running: B is settled
    a.commit()
    assert first + consumer() in (["A", "B"], ["B", "A"])
    assert consumer() == []


def test_a_rolled_back_change_is_never_delivered_and_holds_nothing_up(
        postgresql_only, consumer, sessions, authority_id):
    a, b = sessions(), sessions()
    _record(a, authority_id, "A")
    a.flush()
    _record(b, authority_id, "B")
    b.commit()
    assert consumer() == []  # B waits for the older A to end, one way or the other
    a.rollback()
    assert consumer() == ["B"]
    assert consumer() == []


def test_a_writer_does_not_wait_for_another_writers_open_transaction(
        postgresql_only, consumer, sessions, authority_id):
    """Writer 1 holds its transaction open after recording a change (a long import does that
    for its whole run); writer 2 records and commits meanwhile. It must not block: with a
    lock_timeout, any lock it had to wait for would fail it."""
    long = sessions()
    _record(long, authority_id, "long")
    long.flush()
    outcome: list[object] = []

    def second_writer() -> None:
        try:
            with sessions() as session:
                session.execute(text("SET LOCAL lock_timeout = '2s'"))
                _record(session, authority_id, "short")
                session.commit()
            outcome.append("committed")
        except Exception as exc:  # the assertion below shows it
            outcome.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and outcome == ["committed"], outcome
    assert consumer() == []  # "short" is held back while the older "long" may still commit
    long.commit()
    assert consumer() == ["long", "short"]


def test_one_resources_changes_keep_their_commit_order(
        postgresql_only, consumer, sessions, authority_id):
    """An older transaction (an import, say) changes a resource after a younger one changed it
    and committed: its change comes after the younger one's, as it was committed after it,
    so a consumer that applies the feed in order ends with what the service holds."""
    resource = uuid.uuid4()
    older, younger = sessions(), sessions()
    _record(older, authority_id, "other school")  # the import began writing first
    older.flush()
    _record(younger, authority_id, "v2", cluster_id=resource, version=2)
    younger.commit()
    _record(older, authority_id, "v3", cluster_id=resource, version=3)
    older.commit()
    assert consumer() == ["other school", "v2", "v3"]


def test_bulk_written_changes_get_their_transactions_place(postgresql_only, sessions, authority_id,
                                                          consumer):
    """Imports insert their feed rows a batch at a time: the database gives them their txid."""
    a, b = sessions(), sessions()
    with changes_in_bulk(a):
        for n in range(3):
            _record(a, authority_id, f"bulk {n}")
    _record(b, authority_id, "single")
    b.commit()
    assert consumer() == []
    a.commit()
    assert consumer() == ["bulk 0", "bulk 1", "bulk 2", "single"]
