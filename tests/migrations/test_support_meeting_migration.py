"""0012 keeps the support-meeting records made before member persons and the duty of
confidentiality: their members stay as member organisations, with no persons and no acceptances, so
no one is shown their material until a member organisation's staff accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from shared.db import Database
from shared.migrations import upgrade
from tests.migrations.test_migrations_match_models import definition_of

HELD = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


async def test_an_earlier_record_keeps_its_member_organisations_with_no_persons(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'coordination.sqlite'}", schema="coordination")
    migrations = definition_of("coordination").migrations
    try:
        await upgrade(db, migrations, "0010_figures_indexes")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO support_meetings (id, tenant_id, convened_by, held_on, members, "
                    "member_index, concerning, discussion, direction, created_at, version) VALUES ('m-1', "
                    "'016314', '016314-town', '2026-11-19', :members, '|016314-town|016314-shakyo|', "
                    "'見守りが必要な世帯', '民生委員から報告', '週1回訪問', :t, 1)"
                ),
                {"members": '["016314-town", "016314-shakyo"]', "t": HELD},
            )

        await upgrade(db, migrations)

        async with db.engine.connect() as conn:
            row = (
                (await conn.execute(text("SELECT * FROM support_meetings WHERE id = 'm-1'"))).mappings().one()
            )
            accepted = await conn.scalar(text("SELECT count(*) FROM support_meeting_acceptances"))
        assert row["members"] == '["016314-town", "016314-shakyo"]'
        assert row["member_persons"] is None and row["recorded_by"] is None
        assert (row["discussion"], row["direction"]) == ("民生委員から報告", "週1回訪問")
        assert row["watching"] is None and row["information_shared"] is None
        assert accepted == 0
    finally:
        await db.dispose()
