"""Writing events: into the outbox, in the caller's transaction. Nothing leaves before the commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.events.registry import Event
from shared.messaging.tables import MessagingTables

_WAKE_KEY = "outbox_commit_listeners"


async def emit(session: AsyncSession, tables: MessagingTables, event: Event) -> str:
    """Stage `event` in the outbox of the session's service; returns the CloudEvent id."""
    envelope = event.to_cloudevent()
    await session.execute(
        insert(tables.outbox).values(
            event_id=envelope.id,
            topic=event.topic(),
            key=envelope.key(),
            event_type=envelope.type,
            envelope=envelope.to_json(),
            created_at=utcnow(),
            attempts=0,
        )
    )
    listeners: list[Any] = session.info.setdefault(_WAKE_KEY, [])
    listeners.extend(tables.commit_listeners)
    return envelope.id


async def emit_many(session: AsyncSession, tables: MessagingTables, events: Sequence[Event]) -> None:
    """Stage many events in one statement (bulk imports); same effect as `emit` for each."""
    if not events:
        return
    now = utcnow()
    rows = []
    for event in events:
        envelope = event.to_cloudevent()
        rows.append(
            {
                "event_id": envelope.id,
                "topic": event.topic(),
                "key": envelope.key(),
                "event_type": envelope.type,
                "envelope": envelope.to_json(),
                "created_at": now,
                "attempts": 0,
            }
        )
    await session.execute(insert(tables.outbox), rows)
    listeners: list[Any] = session.info.setdefault(_WAKE_KEY, [])
    listeners.extend(tables.commit_listeners)


@sa_event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    for wake in session.info.pop(_WAKE_KEY, []):
        wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_WAKE_KEY, None)
