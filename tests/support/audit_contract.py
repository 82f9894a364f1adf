"""The audit contract under concurrent readers, on both backends: 32 reads of personal data fired at
once each leave their entry (committed before the answer), the chain verifies once the sequencer has
linked them, and refused reads among them are recorded as refused.

Subclass `AuditUnderLoadContract` with a `system` fixture (tests/support/system.py); the PostgreSQL
suite is the proof that appenders no longer queue on one lock and still never fork the chain.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from services.intake.db import audit_log
from shared.audit import link_all, verify_chain
from tests.support.builders import WILLWORK, consultation_body
from tests.support.system import System
from tests.support.tokens import bearer

READERS = 32


class AuditUnderLoadContract:
    async def test_thirty_two_concurrent_reads_each_leave_their_entry_and_the_chain_verifies(
        self, system: System
    ) -> None:
        created = await system.intake_http.post("/intake/v1/consultations", json=consultation_body())
        assert created.status_code == 201, created.text
        path = f"/intake/v1/consultations/{created.json()['id']}"
        outsider = bearer(system.settings, "window_staff", org=WILLWORK)  # another organisation: 404

        async def read(i: int) -> int:
            headers = {"X-Request-ID": f"load-{i}", **(outsider if i % 8 == 7 else {})}
            return (await system.intake_http.get(path, headers=headers)).status_code

        statuses = await asyncio.gather(*(read(i) for i in range(READERS)))

        assert sorted(statuses) == sorted([404 if i % 8 == 7 else 200 for i in range(READERS)])
        # Committed before each answer: every entry is there the moment the reads have returned.
        async with system.intake.db.reading() as session:
            rows = (
                await session.execute(
                    select(audit_log.c.request_id, audit_log.c.outcome, audit_log.c.status).where(
                        audit_log.c.request_id.like("load-%")
                    )
                )
            ).all()
        assert sorted((r.request_id, r.outcome, r.status) for r in rows) == sorted(
            (f"load-{i}", "denied" if i % 8 == 7 else "allowed", 404 if i % 8 == 7 else 200)
            for i in range(READERS)
        )
        async with system.intake.db.transaction() as session:
            await link_all(session, audit_log)
        async with system.intake.db.reading() as session:
            report = await verify_chain(session, audit_log)
            total = await session.scalar(select(func.count()).select_from(audit_log))
        assert report.ok, report
        assert report.entries == total and report.unlinked == 0
