"""The directory's Japanese search on PostgreSQL: the same answers as on SQLite."""

from __future__ import annotations

import httpx

from services.embedded import create_app
from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN
from tests.support.tokens import bearer

RESOURCES = "/directory/v1/resources"


async def test_japanese_search_and_districts_on_postgresql(settings: Settings) -> None:
    directory_settings = settings.model_copy(update={"services": ["directory"], "load_demo_data": True})
    app = create_app(directory_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = bearer(directory_settings, "window_staff", org=OTOFUKE_TOWN)
        async with httpx.AsyncClient(transport=transport, base_url="http://pg", headers=headers) as http:

            async def names(**params: str) -> list[str]:
                response = await http.get(RESOURCES, params={**params, "limit": "200"})
                assert response.status_code == 200, response.text
                return [item["name"] for item in response.json()["items"]]

            assert await names(q="らんらん") == ["地域包括支援センターらんらん"]
            assert await names(q="ﾁｲｷﾎｳｶﾂ") == await names(q="ちいきほうかつ")
            assert "地域包括支援センターらんらん" in await names(q="介護")
            covering = await names(area="音更中学校区")
            assert (
                "地域包括支援センターらんらん" in covering and "地域包括支援センターほほえみ" not in covering
            )
            assert await names(q="存在しない施設名") == []
            hsds = (await http.get("/directory/v1/hsds")).json()
            assert len(hsds["services"]) == 25  # 音更町's entries only
