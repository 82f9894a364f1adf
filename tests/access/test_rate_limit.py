"""Per-client rate limits on the public endpoints: 429 with Retry-After, per verified caller.

The limit is a setting, so the test has a system of its own (from a copy of the migrated template).
"""

from __future__ import annotations

import httpx

from services.embedded import create_app
from shared.settings import Settings
from tests.support.tokens import bearer


async def test_a_caller_over_the_limit_gets_429_and_others_do_not(settings: Settings) -> None:
    settings = settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            busy = bearer(settings, "window_staff", subject="busy")
            statuses = [(await http.get("/intake/v1/windows", headers=busy)).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            refused = await http.get("/intake/v1/windows", headers=busy)
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert int(refused.headers["retry-after"]) >= 1
            other = bearer(settings, "window_staff", subject="someone-else")
            assert (await http.get("/intake/v1/windows", headers=other)).status_code == 200
            # Health checks are never limited (load balancers poll them).
            health = [(await http.get("/healthz")).status_code for _ in range(10)]
            assert health == [200] * 10
