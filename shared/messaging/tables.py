"""The messaging tables every service keeps in its own schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import JSON, Column, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text, text

from shared.db import UTCDateTime


@dataclass
class MessagingTables:
    outbox: Table
    inbox: Table
    dead_letters: Table
    # Relays listening for committed outbox rows, so delivery does not wait for the next poll.
    commit_listeners: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def define(cls, metadata: MetaData) -> MessagingTables:
        outbox = Table(
            "outbox",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("event_id", String(64), nullable=False, unique=True),
            Column("topic", String(200), nullable=False),
            Column("key", String(200), nullable=False),
            Column("event_type", String(200), nullable=False),
            Column("envelope", JSON, nullable=False),
            Column("created_at", UTCDateTime, nullable=False),
            Column("published_at", UTCDateTime, nullable=True),
            Column("attempts", Integer, nullable=False, default=0),
            Column("last_error", Text, nullable=True),
            Index(
                "ix_outbox_unpublished",
                "id",
                postgresql_where=text("published_at IS NULL"),
                sqlite_where=text("published_at IS NULL"),
            ),
        )
        inbox = Table(
            "inbox",
            metadata,
            Column("consumer", String(100), nullable=False),
            Column("event_id", String(64), nullable=False),
            Column("event_type", String(200), nullable=False),
            Column("processed_at", UTCDateTime, nullable=False),
            PrimaryKeyConstraint("consumer", "event_id"),
        )
        dead_letters = Table(
            "dead_letters",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("consumer", String(100), nullable=False),
            Column("event_id", String(64), nullable=True),
            Column("event_type", String(200), nullable=True),
            Column("topic", String(200), nullable=False),
            Column("key", Text, nullable=True),
            Column("value", Text, nullable=False),
            Column("headers", JSON, nullable=False),
            Column("error", Text, nullable=False),
            Column("attempts", Integer, nullable=False),
            Column("failed_at", UTCDateTime, nullable=False),
            Column("replayed_at", UTCDateTime, nullable=True),
        )
        return cls(outbox=outbox, inbox=inbox, dead_letters=dead_letters)
