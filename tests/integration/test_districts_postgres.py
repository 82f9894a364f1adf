"""The district gazetteer on PostgreSQL: replaced with If-Match, an address looked up, and the resource
search by address giving the same answers as on SQLite (tests/api/test_districts.py)."""

from __future__ import annotations

import asyncio

import httpx

from services.embedded import create_app
from shared.settings import Settings
from tests.support.builders import OTOFUKE_TOWN
from tests.support.tokens import bearer

DISTRICTS = "/directory/v1/districts"
WHOLE_TOWN = {"障がい者基幹相談支援センター", "こども家庭センター", "せいかつ相談窓口"}


async def test_address_lookup_and_search_by_address_on_postgresql(settings: Settings) -> None:
    directory_settings = settings.model_copy(update={"services": ["directory"], "load_demo_data": True})
    app = create_app(directory_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = bearer(directory_settings, "directory_editor", org=OTOFUKE_TOWN)
        async with httpx.AsyncClient(transport=transport, base_url="http://pg", headers=headers) as http:
            current = await http.get(DISTRICTS)
            assert current.json()["version"] == 1 and len(current.json()["districts"]) == 5
            body = {
                **{k: current.json()[k] for k in ("municipality", "districts")},
                "addresses": [
                    {"town": "柏寿台", "district": "音更中学校区"},
                    {"town": "大字下音更", "district": "下音更中学校区", "partial": True},
                    {"town": "大字下音更", "district": "共栄中学校区", "partial": True},
                ],
            }
            assert (await http.put(DISTRICTS, json=body)).status_code == 428
            replaced = await http.put(DISTRICTS, json=body, headers={"If-Match": current.headers["etag"]})
            assert replaced.status_code == 200, replaced.text
            stale = await http.put(DISTRICTS, json=body, headers={"If-Match": current.headers["etag"]})
            assert stale.status_code == 412

            found = (
                await http.get(f"{DISTRICTS}/lookup", params={"address": "北海道河東郡音更町柏寿台一丁目"})
            ).json()
            assert ([d["name"] for d in found["districts"]], found["ambiguous"]) == (["音更中学校区"], False)

            async def near(address: str) -> set[str]:
                response = await http.get(
                    "/directory/v1/resources", params={"address": address, "limit": "200"}
                )
                assert response.status_code == 200, response.text
                return {item["name"] for item in response.json()["items"]}

            assert await near("柏寿台1番地5") == {"地域包括支援センターらんらん", *WHOLE_TOWN}
            assert await near("下音更") == {
                "地域包括支援センターほほえみ",
                "地域包括支援センターロータス音更",
                *WHOLE_TOWN,
            }
            assert await near("緑陽台1丁目") == WHOLE_TOWN

            refused = await http.post(
                "/directory/v1/resources",
                json={
                    "name": "サロン",
                    "name_kana": "サロン",
                    "kind": "community_program",
                    "field": "other",
                    "areas": [{"kind": "junior_high_district", "name": "東中学校区"}],
                },
            )
            assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "areas[0].name"

            # Two editors creating a municipality's first gazetteer at once: one wins, one gets 412.
            tono = bearer(directory_settings, "directory_editor", tenant="032085", org="032085-city")
            first = {"municipality": "遠野市", "districts": [{"kind": "district", "name": "綾織地区"}]}
            racing = await asyncio.gather(
                *(
                    http.put(DISTRICTS, json=first, headers={**tono, "If-Match": '"districts-032085.v0"'})
                    for _ in range(2)
                )
            )
            assert sorted(r.status_code for r in racing) == [200, 412], [r.text for r in racing]
