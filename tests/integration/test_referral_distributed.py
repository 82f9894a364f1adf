"""The first flow across real processes: five uvicorn services, PostgreSQL, Apache Kafka.

This is what `make run-distributed` starts; here the test starts it on free loopback ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.settings import SERVICE_NAMES, Settings
from tests.support.builders import OTOFUKE, RANRAN, consent_body, consultation_body
from tests.support.processes import ServiceProcesses, environment
from tests.support.tokens import bearer, identity_provider_key, token
from tests.support.waiting import eventually


@pytest.fixture
def services(settings: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """One uvicorn process per service; yields each service's base URL once all are ready."""
    processes = ServiceProcesses(SERVICE_NAMES, environment(settings), tmp_path)
    try:
        processes.start_all()
        processes.wait_until("/readyz")
        yield {name: processes.url(name) for name in SERVICE_NAMES}
    finally:
        processes.stop_all()


async def test_referral_across_processes_opens_a_case_and_the_window_sees_it_accepted(
    services, settings: Settings, tmp_path: Path
) -> None:
    signed_in = bearer(settings)
    async with (
        httpx.AsyncClient(base_url=services["intake"], timeout=10, headers=signed_in) as intake,
        httpx.AsyncClient(base_url=services["coordination"], timeout=10, headers=signed_in) as coordination,
    ):
        for name, url in services.items():
            ready = await intake.get(f"{url}/{name}/readyz")
            assert ready.status_code == 200, ready.text
            assert set(ready.json()["checks"].values()) == {"ok"}

        # The processes verify with the identity provider's public key (JWT_PUBLIC_KEY_FILE) only.
        stranger = settings.model_copy(
            update={"jwt_public_key_file": identity_provider_key(tmp_path / "other")}
        )
        async with httpx.AsyncClient(base_url=services["intake"], timeout=10) as anonymous:
            unsigned = await anonymous.get("/intake/v1/consultations")
        for refused in (
            unsigned,
            await coordination.get(
                "/coordination/v1/cases", headers={"Authorization": f"Bearer {token(stranger)}"}
            ),
        ):
            assert refused.status_code == 401, refused.text
            assert refused.json()["type"].endswith("/unauthenticated"), refused.text

        # Intake knows the window once the directory's ResourcePublished has come over Kafka.
        async def window_known() -> bool:
            windows = (await intake.get("/intake/v1/windows")).json()
            return RANRAN in [w["code"] for w in windows]

        await eventually(window_known, within=30)

        created = await intake.post("/intake/v1/consultations", json=consultation_body())
        assert created.status_code == 201, created.text
        consultation_id = created.json()["id"]

        refused = await intake.post(f"/intake/v1/consultations/{consultation_id}/referrals", json={})
        assert refused.status_code == 422
        assert "支援会議" in refused.json()["detail"]

        consent = await intake.post(
            f"/intake/v1/consultations/{consultation_id}/consents", json=consent_body()
        )
        assert consent.status_code == 201, consent.text
        referral = await intake.post(
            f"/intake/v1/consultations/{consultation_id}/referrals", json={"reason": "8050"}
        )
        assert referral.status_code == 201, referral.text
        referral_id = referral.json()["id"]

        async def case_visible() -> dict | None:
            page = (
                await coordination.get("/coordination/v1/cases", params={"referral_id": referral_id})
            ).json()
            return page["items"][0] if page["items"] else None

        case = await eventually(case_visible, within=20)
        assert case["tenant_id"] == OTOFUKE
        assert case["status"] == "open"

        async def accepted() -> dict | None:
            seen = (await intake.get(f"/intake/v1/referrals/{referral_id}")).json()
            return seen if seen["status"] == "accepted" else None

        seen = await eventually(accepted, within=20)
        assert seen["case_id"] == case["id"]

        read = await coordination.get(f"/coordination/v1/cases/{case['id']}")
        assert read.status_code == 200, read.text
        returned = await coordination.post(
            f"/coordination/v1/cases/{case['id']}/return",
            json={"reason": "世帯の状況を確認してください"},
            headers={"If-Match": read.headers["etag"]},
        )
        assert returned.status_code == 200, returned.text

        async def window_sees_return() -> dict | None:
            seen = (await intake.get(f"/intake/v1/referrals/{referral_id}")).json()
            return seen if seen["status"] == "returned" else None

        back = await eventually(window_sees_return, within=20)
        assert back["status_reason"] == "世帯の状況を確認してください"
