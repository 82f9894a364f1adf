"""What start-up builds is moved out of the garbage collector's sight while the app serves (a full
collection would otherwise walk it, a pause of 100 ms or more), and handed back when the app stops."""

from __future__ import annotations

import gc
from collections.abc import Callable

from fastapi import FastAPI

from shared.settings import Settings
from tests.api.helpers import own_system


@own_system
async def test_start_up_objects_are_frozen_while_the_app_serves(
    settings: Settings, build_system: Callable[[Settings], FastAPI]
) -> None:
    app = build_system(settings)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        # The models, routes and schemas at least: tens of thousands of objects.
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
