"""Migration 0022 moves each visit's agreed actions from its JSON list into rows, in order,
open, and marks those visits for a fresh change-feed entry (their document now shows the
actions' ids)."""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import create_engine

from tests.organisations.test_area_migration import _filled, _upgrade


def test_a_visits_actions_become_rows_in_their_order(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'actions.db'}")
    try:
        _upgrade(engine, "0021")
        meta = sa.MetaData()
        meta.reflect(engine)
        authority, school, user, visit, change = (meta.tables[n] for n in (
            "authority", "establishment", "app_user", "visit", "change_record"))
        ids = {name: uuid.uuid4().hex for name in ("authority", "school", "user", "with", "without")}
        listed = [{"description": "Moderation", "owner": "DHT", "due": "2025-12-12"},
                  {"description": "Share success criteria", "owner": "", "due": None}]
        with engine.begin() as connection:
            connection.execute(sa.insert(authority), _filled(authority, {
                "id": ids["authority"], "code": "S12000050", "name": "North Lanarkshire"}))
            connection.execute(sa.insert(school), _filled(school, {
                "id": ids["school"], "code": "8000001", "name": "School", "sector": "primary",
                "authority_id": ids["authority"], "version": 1}))
            connection.execute(sa.insert(user), _filled(user, {
                "id": ids["user"], "email": "o@test.scot", "role": "officer"}))
            for seq, (key, actions) in enumerate((("with", listed), ("without", [])), 1):
                connection.execute(sa.insert(visit), _filled(visit, {
                    "id": ids[key], "establishment_id": ids["school"],
                    "authority_id": ids["authority"], "officer_id": ids["user"],
                    "session": "2025-26", "visit_date": datetime(2025, 10, 7).date(),
                    "kind": "support_and_challenge", "agreed_actions": actions, "version": 1}))
                connection.execute(sa.insert(change), _filled(change, {
                    "seq": seq, "resource_type": "visit", "resource_id": str(uuid.UUID(ids[key])),
                    "operation": "created", "occurred_at": datetime.now(UTC),
                    "representation": 2, "data": {}}))
        _upgrade(engine, "0022")
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT visit_id, position, description, owner, due_on, done_on FROM agreed_action"
                " ORDER BY position")).all()
            told = dict(connection.execute(sa.text(
                "SELECT resource_id, representation FROM change_record")).all())
            columns = {c["name"] for c in sa.inspect(connection).get_columns("visit")}
        assert [(r.visit_id, r.position, r.description, r.owner, r.due_on, r.done_on)
                for r in rows] == [(ids["with"], 0, "Moderation", "DHT", "2025-12-12", None),
                                   (ids["with"], 1, "Share success criteria", "", None, None)]
        assert told == {str(uuid.UUID(ids["with"])): 1, str(uuid.UUID(ids["without"])): 2}
        assert "agreed_actions" not in columns
    finally:
        engine.dispose()
