""" "Open on / open at" on PostgreSQL: the same answers as the plain rules (and as SQLite)."""

from __future__ import annotations

import httpx

from services.embedded import create_app
from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN
from tests.support.opening_hours_contract import assert_search_agrees_with_the_rules, publish_generated
from tests.support.tokens import bearer


async def test_open_filters_agree_with_the_rules_on_postgresql(settings: Settings) -> None:
    directory_settings = settings.model_copy(update={"services": ["directory"], "load_demo_data": False})
    app = create_app(directory_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        reader = bearer(directory_settings, "window_staff", org=OTOFUKE_TOWN)
        editor = bearer(directory_settings, "directory_editor", org=OTOFUKE_TOWN)
        async with httpx.AsyncClient(transport=transport, base_url="http://pg", headers=reader) as http:
            published = await publish_generated(http, editor, count=40)
            await assert_search_agrees_with_the_rules(http, published)
