"""The housekeeping contract on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import embedded_settings
from tests.support.delivery_contract import case_for, consented_consultation
from tests.support.housekeeping_contract import HousekeepingContract
from tests.support.system import System, running_system


class TestHousekeepingEmbedded(HousekeepingContract):
    @pytest.fixture
    async def system(self, tmp_path: Path) -> AsyncIterator[System]:
        async with running_system(embedded_settings(tmp_path / "data")) as running:
            yield running

    async def test_sqlite_gets_the_statistics_its_query_planner_needs(self, system: System) -> None:
        consultation_id = await consented_consultation(system)
        referral = await system.intake_http.post(
            f"/intake/v1/consultations/{consultation_id}/referrals", json={}
        )
        await case_for(system, referral.json()["id"])
        db = system.coordination.db
        async with db.engine.connect() as conn:
            before = (
                await conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
            ).scalar()
        assert before == 0  # SQLite never gathers them by itself

        await system.coordination.housekeeper.refresh_statistics()

        async with db.engine.connect() as conn:
            tables = {row[0] for row in await conn.execute(text("SELECT tbl FROM sqlite_stat1"))}
        assert "cases" in tables
