"""Faults across real processes: the directory, intake and coordination as uvicorn processes on
PostgreSQL and an Apache Kafka broker of this module's own (it keeps its data across a restart), with
the production producer settings (idempotent, acks=all).

One scenario, phase after phase: SIGKILL coordination in the middle of a run of referrals; stop the
broker while referrals and consent withdrawals go on (some withdrawals come before their case
exists); SIGKILL the broker, then SIGKILL intake while its outbox holds rows it could not publish;
withdraw consents while coordination is down. After each phase the system must converge: every
referral has exactly one case, every withdrawal is applied to its case, no outbox row is left
unpublished, no dead letter. The fault table (fault × lost / duplicated / stuck / converged in N s)
is printed, and written to $FAULT_TABLE when that is set.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.integration.conftest import distributed_settings
from tests.support.brokers import KafkaBroker, apache_kafka
from tests.support.builders import RANRAN, consent_body, consultation_body
from tests.support.processes import ServiceProcesses, environment
from tests.support.tokens import bearer, identity_provider_key

SERVICES = ("directory", "intake", "coordination")
CONVERGE_WITHIN = 90.0


@dataclass
class Ledger:
    """What the test did, to hold the system to: referrals made and consents withdrawn."""

    referrals: dict[str, str] = field(default_factory=dict)  # referral id → consultation id
    withdrawn: set[str] = field(default_factory=set)  # consent ids
    consent_of: dict[str, str] = field(default_factory=dict)  # referral id → consent id


@dataclass
class Verdict:
    lost: int
    duplicated: int
    stuck: int

    @property
    def converged(self) -> bool:
        return self.lost == self.duplicated == self.stuck == 0


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with apache_kafka(tmp_path_factory.mktemp("fault-kafka")) as started:
        yield started


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    db = create_async_engine(database_url)
    try:
        yield database_url, db
    finally:
        await db.dispose()


async def judge(db: AsyncEngine, ledger: Ledger) -> Verdict:
    async with db.connect() as conn:
        cases = {
            row.referral_id: (row.n, row.withdrawn)
            for row in await conn.execute(
                text(
                    "SELECT referral_id, count(*) AS n, count(consent_withdrawn_at) AS withdrawn "
                    "FROM coordination.cases GROUP BY referral_id"
                )
            )
        }
        open_referrals = await conn.scalar(
            text(
                "SELECT count(*) FROM (SELECT consultation_id FROM intake.referrals "
                "WHERE status IN ('sent', 'accepted') GROUP BY consultation_id HAVING count(*) > 1) AS d"
            )
        )
        not_accepted = await conn.scalar(
            text("SELECT count(*) FROM intake.referrals WHERE status <> 'accepted'")
        )
        stuck = 0
        for schema in SERVICES:
            stuck += int(
                await conn.scalar(text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"))
                or 0
            )
            stuck += int(await conn.scalar(text(f"SELECT count(*) FROM {schema}.dead_letters")) or 0)
    lost = sum(1 for r in ledger.referrals if r not in cases)
    lost += sum(
        1
        for r, consent in ledger.consent_of.items()
        if consent in ledger.withdrawn and cases.get(r, (0, 0))[1] == 0
    )
    duplicated = sum(1 for n, _ in cases.values() if n > 1) + int(open_referrals or 0)
    return Verdict(lost=lost, duplicated=duplicated, stuck=stuck + int(not_accepted or 0))


class Scenario:
    def __init__(self, processes: ServiceProcesses, http: httpx.AsyncClient, db: AsyncEngine) -> None:
        self.processes = processes
        self.http = http
        self.db = db
        self.ledger = Ledger()
        self.etags: dict[str, tuple[str, str]] = {}  # consent id → (consultation id, etag)
        self.table: list[tuple[str, int, Verdict, float]] = []

    async def refer(self) -> str:
        intake = self.processes.url("intake")
        consultation = await self.http.post(f"{intake}/intake/v1/consultations", json=consultation_body())
        assert consultation.status_code == 201, consultation.text
        consultation_id = consultation.json()["id"]
        consent = await self.http.post(
            f"{intake}/intake/v1/consultations/{consultation_id}/consents", json=consent_body()
        )
        assert consent.status_code == 201, consent.text
        referral = await self.http.post(
            f"{intake}/intake/v1/consultations/{consultation_id}/referrals", json={}
        )
        assert referral.status_code == 201, referral.text
        referral_id = referral.json()["id"]
        self.ledger.referrals[referral_id] = consultation_id
        self.ledger.consent_of[referral_id] = consent.json()["id"]
        self.etags[consent.json()["id"]] = (consultation_id, consent.headers["etag"])
        return referral_id

    async def withdraw(self, referral_id: str) -> None:
        consent_id = self.ledger.consent_of[referral_id]
        consultation_id, etag = self.etags[consent_id]
        response = await self.http.post(
            f"{self.processes.url('intake')}/intake/v1/consultations/{consultation_id}/consents/{consent_id}/withdrawal",
            json={"reason": "本人の申し出"},
            headers={"If-Match": etag},
        )
        assert response.status_code == 200, response.text
        self.ledger.withdrawn.add(consent_id)

    async def converge(self, fault: str) -> None:
        started = time.monotonic()
        while True:
            verdict = await judge(self.db, self.ledger)
            elapsed = time.monotonic() - started
            if verdict.converged or elapsed > CONVERGE_WITHIN:
                break
            await asyncio.sleep(0.2)
        self.table.append((fault, len(self.ledger.referrals), verdict, elapsed))
        assert verdict.converged, f"{fault}: {verdict} after {elapsed:.1f} s\n" + "\n".join(
            f"--- {n}\n{self.processes.log_tail(n)}" for n in SERVICES
        )

    def report(self) -> str:
        lines = [
            "| fault | referrals so far | lost | duplicated | stuck | converged in |",
            "|---|---|---|---|---|---|",
        ]
        for fault, referrals, verdict, seconds in self.table:
            lines.append(
                f"| {fault} | {referrals} | {verdict.lost} | {verdict.duplicated} | "
                f"{verdict.stuck} | {seconds:.1f} s |"
            )
        return "\n".join(lines)


async def ready(processes: ServiceProcesses, names: tuple[str, ...], path: str = "/readyz") -> float:
    return await asyncio.to_thread(processes.wait_until, path, names)


def error_lines(processes: ServiceProcesses, name: str) -> int:
    path = processes.logs / f"{name}.log"
    return sum(1 for line in path.read_text(errors="replace").splitlines() if " ERROR " in line)


class Faults(Scenario):
    """The phases, in order; each ends with `converge`."""

    def __init__(self, broker: KafkaBroker, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.broker = broker

    async def kill_coordination_mid_run(self) -> None:
        for i in range(12):
            if i == 4:
                self.processes.kill("coordination")
            if i == 8:
                self.processes.start("coordination")
            await self.refer()
        await self.converge("SIGKILL coordination mid-run (down for 4 referrals)")

    async def stop_the_broker_during_referrals_and_withdrawals(self) -> None:
        earlier = list(self.ledger.referrals)[:3]
        errors_before = error_lines(self.processes, "intake")
        await asyncio.to_thread(self.broker.stop)
        outage_started = time.monotonic()
        for referral_id in earlier:
            await self.withdraw(referral_id)
        for _ in range(4):
            # Withdrawn while the referral itself still waits in intake's outbox: its case opens later.
            await self.withdraw(await self.refer())
        # A service still serves while the broker is away, and says what is not ready.
        readiness = await self.http.get(f"{self.processes.url('intake')}/readyz")
        assert readiness.status_code == 503, readiness.text
        await asyncio.sleep(max(0.0, 8 - (time.monotonic() - outage_started)))  # an outage of 8 s at least
        await asyncio.to_thread(self.broker.start)
        await self.converge("broker stopped (8 s) during referrals and withdrawals")
        # The outage is told once when it starts, not once per reconnect attempt.
        logged = error_lines(self.processes, "intake") - errors_before
        assert logged <= 12, (
            f"{logged} ERROR lines from intake for one outage:\n{self.processes.log_tail('intake')}"
        )

    async def kill_the_broker_then_intake_with_unsent_rows(self) -> None:
        await asyncio.to_thread(self.broker.kill)
        for _ in range(4):
            await self.refer()
        self.processes.kill("intake")
        self.processes.start("intake")
        served_in = await ready(self.processes, ("intake",), "/healthz")
        assert served_in < 15, f"intake took {served_in:.1f} s to serve HTTP with the broker away"
        await asyncio.to_thread(self.broker.start)
        await self.converge("SIGKILL broker, then SIGKILL intake with unsent outbox rows")

    async def withdraw_while_coordination_is_down(self) -> None:
        self.processes.kill("coordination")
        for referral_id in list(self.ledger.referrals)[3:6]:
            await self.withdraw(referral_id)
        for _ in range(3):
            await self.withdraw(await self.refer())
        self.processes.start("coordination")
        await self.converge("withdrawals while coordination is down")

    async def kill_coordination_after_a_burst(self) -> None:
        for _ in range(6):
            await self.refer()
        self.processes.kill("coordination")
        self.processes.start("coordination")
        await self.converge("SIGKILL coordination while consuming a burst")

    async def wait_for_windows(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            listed = await self.http.get(f"{self.processes.url('intake')}/intake/v1/windows")
            if listed.status_code == 200 and RANRAN in {w["code"] for w in listed.json()}:
                return
            assert time.monotonic() < deadline, "intake never heard of the directory's windows"
            await asyncio.sleep(0.2)


async def test_nothing_is_lost_duplicated_or_stuck_through_crashes_and_outages(
    broker: KafkaBroker, engine: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    database_url, db = engine
    settings = distributed_settings(
        database_url,
        broker.bootstrap,
        jwt_public_key_file=identity_provider_key(tmp_path / "idp"),
        outbox_poll_seconds=0.05,
        outbox_publish_timeout_seconds=3.0,
    )
    processes = ServiceProcesses(SERVICES, environment(settings), tmp_path)
    processes.start_all()
    async with httpx.AsyncClient(headers=bearer(settings), timeout=30) as http:
        faults = Faults(broker, processes, http, db)
        try:
            await ready(processes, SERVICES)
            await faults.wait_for_windows()
            await faults.kill_coordination_mid_run()
            await faults.stop_the_broker_during_referrals_and_withdrawals()
            await faults.kill_the_broker_then_intake_with_unsent_rows()
            await faults.withdraw_while_coordination_is_down()
            await faults.kill_coordination_after_a_burst()
        finally:
            processes.stop_all()
            report = faults.report()
            print("\n" + report)
            if os.environ.get("FAULT_TABLE"):
                await asyncio.to_thread(Path(os.environ["FAULT_TABLE"]).write_text, report + "\n", "utf-8")
