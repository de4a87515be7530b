"""Storage for the audit log and the change feed.

The feed's order without a lock every writer waits on. A feed row's position is (txid, seq):
`seq` is taken when the row is inserted, `txid` is its writing transaction's id on PostgreSQL
(`pg_current_xact_id()`, by a trigger, migration 0010). Readers serve only rows whose txid is
below the horizon (`FeedHorizon`): every transaction of this database below it has ended, so no
row can still appear there. A transaction still writing has a txid at or above the horizon of
any read made meanwhile, so its rows sort after every cursor handed out before it committed:
a consumer that polls with its cursor misses nothing, sees nothing twice and nothing
uncommitted, and no writer waits for another (a long transaction only holds the feed back).

The trigger also raises a row's txid to the highest txid of the same resource's earlier
changes, so one resource's changes keep their commit order even when an older transaction
writes it after a younger one committed a change to it (an import against a concurrent PATCH).

`seq` alone therefore no longer follows commit order on PostgreSQL. SQLite has one writer at a
time (BEGIN IMMEDIATE), so there seq order is commit order: txid is always 0 and the horizon
is never in the way. Rows written before migration 0010 have txid 0, before every later one.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

# BigInteger on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, sa_column=Column(SequenceId, primary_key=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    request_id: str | None = Field(default=None, sa_type=String(128))
    actor_type: str = Field(sa_type=String(16))
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_label: str = Field(sa_type=String(254))
    action: str = Field(sa_type=String(64), index=True)
    resource_type: str = Field(sa_type=String(64), index=True)
    resource_id: str = Field(sa_type=String(64), index=True)
    authority_id: uuid.UUID | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class FeedTxid(FunctionElement[int]):
    """A new feed row's txid (the column's default; on PostgreSQL the trigger sets it too)."""

    type = BigInteger()
    inherit_cache = True


@compiles(FeedTxid)
def _no_txid(element: FeedTxid, compiler: SQLCompiler, **kw: Any) -> str:
    return "0"


@compiles(FeedTxid, "postgresql")
def _current_txid(element: FeedTxid, compiler: SQLCompiler, **kw: Any) -> str:
    return "(pg_current_xact_id()::text)::bigint"


class FeedHorizon(FunctionElement[int]):
    """The txid below which the feed is settled: every transaction of this database below it
    has ended, and no transaction that has not ended can write a row below it.

    On PostgreSQL the oldest transaction still running in the snapshot (else the snapshot's
    xmax) and this transaction's own id if it has one. Running transactions that
    pg_stat_activity shows connected to another database of the cluster are left out, so they
    do not hold this feed back; a transaction not found there counts (it may have ended since
    the snapshot was taken, and its rows are not visible in it). Computed in the statement that
    reads the rows, so with that statement's snapshot. On SQLite: above every txid (all 0)."""

    type = BigInteger()
    inherit_cache = True


@compiles(FeedHorizon)
def _no_horizon(element: FeedHorizon, compiler: SQLCompiler, **kw: Any) -> str:
    return "9223372036854775807"


@compiles(FeedHorizon, "postgresql")
def _snapshot_horizon(element: FeedHorizon, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        "(SELECT least((pg_snapshot_xmax(snap.s)::text)::bigint,"
        " (pg_current_xact_id_if_assigned()::text)::bigint,"
        " (SELECT min((x::text)::bigint) FROM pg_snapshot_xip(snap.s) AS x"
        "  WHERE x::xid NOT IN ("
        "   SELECT a.backend_xid FROM pg_stat_activity AS a"
        "   WHERE a.backend_xid IS NOT NULL AND a.datid <> ("
        "    SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database()))))"
        " FROM (SELECT pg_current_snapshot() AS s) AS snap)"
    )


REPRESENTATION = 2


class ChangeRecord(SQLModel, table=True):
    """The change feed: one row per create, update or delete (a tombstone), in (txid, seq)
    order (see the module's docstring)."""

    __tablename__ = "change_record"
    __table_args__ = (
        Index("ix_change_record_txid_seq", "txid", "seq"),  # the feed's order
        Index("ix_change_record_resource_id_txid", "resource_id", "txid"),  # for the trigger
    )
    seq: int | None = Field(default=None, sa_column=Column(SequenceId, primary_key=True))
    txid: int | None = Field(default=None, sa_column=Column(
        BigInteger, nullable=False, server_default=FeedTxid()))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resource_type: str = Field(sa_type=String(64), index=True)
    resource_id: str = Field(sa_type=String(64))
    operation: str = Field(sa_type=String(16))
    version: int | None = None
    authority_id: uuid.UUID | None = Field(default=None, index=True)
    # The resource as it was after the change (None for a delete), so a consumer can rebuild
    # state from the feed alone.
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # Its natural key (a school's SEED code...), kept on tombstones too (audit/feed.py).
    natural_key: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # What `data` holds: REPRESENTATION, the document GET answers; null (entries written
    # before migration 0012), the stored row. `migrate` restates those records (feed.complete).
    representation: int | None = None
