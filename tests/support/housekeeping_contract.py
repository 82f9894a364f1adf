"""Housekeeping purges what has served its time and nothing else, on both backends.

Subclass `HousekeepingContract` with a `system` fixture (tests/support/system.py).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from services.intake.db import audit_log, idempotency_keys
from services.intake.db import messaging as intake_messaging
from shared.db import utcnow
from shared.messaging.housekeeping import Housekeeper
from tests.support.system import System


class HousekeepingContract:
    async def test_a_sweep_purges_what_served_its_time_and_keeps_the_rest(self, system: System) -> None:
        await system.intake.relay.stop()
        now = utcnow()
        days = timedelta(days=1)
        outbox, inbox = intake_messaging.outbox, intake_messaging.inbox

        def outbox_row(name: str, published: object) -> dict[str, object]:
            return {
                "event_id": name,
                "topic": "intake.events.v1",
                "key": "k",
                "event_type": "t",
                "envelope": {},
                "created_at": now - 40 * days,
                "published_at": published,
                "attempts": 0,
            }

        def key_row(key: str, created: object, locked_until: object) -> dict[str, object]:
            return {
                "scope": "016314/org/staff",
                "key": key,
                "request_hash": "h",
                "state": "completed",
                "created_at": created,
                "locked_until": locked_until,
            }

        async with system.intake.db.transaction() as session:
            await session.execute(
                insert(outbox),
                [
                    outbox_row("published-long-ago", now - 8 * days),
                    outbox_row("published-yesterday", now - days),
                    outbox_row("never-published", None),  # an outage's backlog: never purged
                ],
            )
            await session.execute(
                insert(inbox),
                [
                    {
                        "consumer": "intake",
                        "event_id": "seen-long-ago",
                        "event_type": "t",
                        "processed_at": now - 31 * days,
                    },
                    {
                        "consumer": "intake",
                        "event_id": "seen-last-week",
                        "event_type": "t",
                        "processed_at": now - 7 * days,
                    },
                ],
            )
            await session.execute(
                insert(idempotency_keys),
                [
                    key_row("used-two-days-ago", now - 2 * days, now - 2 * days),
                    key_row("used-an-hour-ago", now - timedelta(hours=1), now - timedelta(hours=1)),
                    key_row("still-in-flight", now - 2 * days, now + timedelta(minutes=1)),
                ],
            )
            audit_before = await session.scalar(select(func.count()).select_from(audit_log))

        housekeeper = Housekeeper(
            service="intake",
            db=system.intake.db,
            tables=intake_messaging,
            idempotency_table=idempotency_keys,
            settings=system.settings,
        )
        purged = await housekeeper.sweep(now)

        assert purged == {"outbox": 1, "inbox": 1, "idempotency_keys": 1}
        async with system.intake.db.transaction() as session:
            left_outbox = set((await session.execute(select(outbox.c.event_id))).scalars())
            left_inbox = set((await session.execute(select(inbox.c.event_id))).scalars())
            left_keys = set((await session.execute(select(idempotency_keys.c.key))).scalars())
            audit_after = await session.scalar(select(func.count()).select_from(audit_log))
        assert {"published-yesterday", "never-published"} <= left_outbox
        assert "published-long-ago" not in left_outbox
        assert "seen-last-week" in left_inbox and "seen-long-ago" not in left_inbox
        assert {"used-an-hour-ago", "still-in-flight"} <= left_keys and "used-two-days-ago" not in left_keys
        assert audit_after == audit_before  # the audit trail is never purged here
        assert await housekeeper.sweep(now) == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}
