"""The first flow across real processes: five uvicorn services, PostgreSQL, a Kafka-protocol broker.

This is what `make run-distributed` starts; here the test starts it on free loopback ports.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.settings import SERVICE_NAMES, Settings
from tests.support.brokers import free_port
from tests.support.builders import OTOFUKE, RANRAN, consent_body, consultation_body
from tests.support.tokens import bearer, identity_provider_key, token
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


def _environment(settings: Settings) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KAFKA_", "DATABASE_", "RUN_MODE", "JWT_", "RATE_LIMIT_"))
    }
    env.update(
        RUN_MODE="distributed",
        DATABASE_URL=str(settings.database_url),
        JWT_PUBLIC_KEY_FILE=str(settings.jwt_public_key_file),
        RATE_LIMIT_PER_MINUTE=str(settings.rate_limit_per_minute),
        KAFKA_BOOTSTRAP_SERVERS=str(settings.kafka_bootstrap_servers),
        KAFKA_ENABLE_IDEMPOTENCE="false",
        KAFKA_NAMESPACE=settings.kafka_namespace,
        KAFKA_TOPIC_PARTITIONS=str(settings.kafka_topic_partitions),
        KAFKA_SESSION_TIMEOUT_MS=str(settings.kafka_session_timeout_ms),
        KAFKA_HEARTBEAT_INTERVAL_MS=str(settings.kafka_heartbeat_interval_ms),
        KAFKA_REBALANCE_TIMEOUT_MS=str(settings.kafka_rebalance_timeout_ms),
        KAFKA_FETCH_MAX_WAIT_MS=str(settings.kafka_fetch_max_wait_ms),
        OUTBOX_POLL_SECONDS="0.05",
        LOG_LEVEL="WARNING",
        # The directory loads the plans' entries; its events give intake its windows over Kafka.
        LOAD_DEMO_DATA="true",
    )
    return env


def _wait_until_ready(urls: dict[str, str], processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 90
    pending = dict(urls)
    while pending:
        for name, url in list(pending.items()):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    del pending[name]
        if any(process.poll() is not None for process in processes):
            tails = "\n".join((logs / f"{n}.log").read_text(errors="replace")[-3000:] for n in SERVICE_NAMES)
            raise RuntimeError(f"a service exited during start-up:\n{tails}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready within 90 s: {sorted(pending)}")
        time.sleep(0.1)


@pytest.fixture
def services(settings: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """One uvicorn process per service; yields each service's base URL once all are ready."""
    env = _environment(settings)
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        for name in SERVICE_NAMES:
            port = free_port()
            log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        f"services.{name}.app:app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls[name] = f"http://127.0.0.1:{port}"
        _wait_until_ready(urls, processes, tmp_path)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


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
