"""What the load bench sends: the endpoint classes of a coordinator's and a window's working day,
the people sending them (their tokens), and the data they act on, seeded through the API first.

Each class builds one request from the seeded data; a workload is classes with weights. Every
connection carries the requests of both desks, each with the token of the desk it belongs to: a
window's staff member (らんらん's operator) and one of the municipality's coordinators, so the work
list and the monitoring due are that coordinator's own.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx

from shared.settings import Settings
from tests.bench.directory_search import QUERIES
from tests.bench.load.wire import Request
from tests.support.builders import (
    OTOFUKE,
    OTOFUKE_TOWN,
    RANRAN,
    RANRAN_OPERATOR,
    consent_body,
    consultation_body,
)
from tests.support.tokens import token

PAGE = 20
TOKEN_LIFETIME_SECONDS = 24 * 3600
# Percent-encoded UTF-8, as the header must be (shared/auth/policy.py).
PURPOSE = quote("相談対応のため記録を確認")
T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """How much is seeded before the measurements."""

    coordinators: int = 20
    cases_per_coordinator: int = 10
    plans_per_coordinator: int = 5
    unreferred_consultations: int = 200

    @property
    def cases(self) -> int:
        return self.coordinators * self.cases_per_coordinator


@dataclass(frozen=True)
class Seeded:
    consultations: tuple[str, ...]
    cases: tuple[str, ...]
    plans: int

    def summary(self) -> dict[str, int]:
        return {"consultations": len(self.consultations), "cases": len(self.cases), "plans": self.plans}


@dataclass(frozen=True)
class Desk:
    """The two people behind one connection: window staff and a coordinator."""

    window: dict[str, str]
    coordinator: dict[str, str]


def coordinator_subject(n: int) -> str:
    return f"bench-coordinator-{n + 1:02d}"


def desks(settings: Settings, count: int, coordinators: int) -> list[Desk]:
    """`count` desks; desk i's coordinator is coordinator i mod `coordinators`."""

    def bearer(*roles: str, org: str, subject: str) -> dict[str, str]:
        minted = token(
            settings, *roles, tenant=OTOFUKE, org=org, subject=subject, lifetime=TOKEN_LIFETIME_SECONDS
        )
        return {"Authorization": f"Bearer {minted}"}

    return [
        Desk(
            window=bearer("window_staff", org=RANRAN_OPERATOR, subject=f"bench-window-{i + 1:02d}"),
            coordinator=bearer(
                "coordinator", org=OTOFUKE_TOWN, subject=coordinator_subject(i % coordinators)
            ),
        )
        for i in range(count)
    ]


@dataclass(frozen=True)
class Context:
    """What a request is built from: the data, the sender, and values fixed for the run."""

    seeded: Seeded
    desk: Desk
    today: date
    fiscal_year: int
    consultation: dict[str, Any]


def fiscal_year_of(day: date) -> int:
    """Japan's fiscal year (年度) starts on 1 April."""
    return day.year if day.month >= 4 else day.year - 1


Build = Callable[[Context, random.Random], Request]


@dataclass(frozen=True)
class EndpointClass:
    name: str
    label: str
    group: str  # audited read · list · search · figures · write · floor
    build: Build


def _get(path: str, headers: dict[str, str], **params: object) -> Request:
    query = f"?{urlencode(params)}" if params else ""
    return Request.of("GET", path + query, headers=headers)


def _audited(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "X-Access-Purpose": PURPOSE}


CLASSES: dict[str, EndpointClass] = {
    c.name: c
    for c in (
        EndpointClass(
            "read.consultation",
            "GET /intake/v1/consultations/{id}",
            "audited read",
            lambda ctx, rng: _get(
                f"/intake/v1/consultations/{rng.choice(ctx.seeded.consultations)}",
                _audited(ctx.desk.window),
            ),
        ),
        EndpointClass(
            "read.case",
            "GET /coordination/v1/cases/{id}",
            "audited read",
            lambda ctx, rng: _get(
                f"/coordination/v1/cases/{rng.choice(ctx.seeded.cases)}", _audited(ctx.desk.coordinator)
            ),
        ),
        EndpointClass(
            "list.consultations",
            "GET /intake/v1/consultations?limit=20",
            "list",
            lambda ctx, rng: _get("/intake/v1/consultations", _audited(ctx.desk.window), limit=PAGE),
        ),
        EndpointClass(
            "list.cases",
            "GET /coordination/v1/cases?limit=20",
            "list",
            lambda ctx, rng: _get("/coordination/v1/cases", _audited(ctx.desk.coordinator), limit=PAGE),
        ),
        EndpointClass(
            "list.work",
            "GET /coordination/v1/work-list",
            "list",
            lambda ctx, rng: _get("/coordination/v1/work-list", ctx.desk.coordinator),
        ),
        EndpointClass(
            "list.monitoring_due",
            "GET /coordination/v1/monitoring-due",
            "list",
            lambda ctx, rng: _get("/coordination/v1/monitoring-due", ctx.desk.coordinator),
        ),
        EndpointClass(
            "search",
            "GET /directory/v1/resources?q=…&limit=20",
            "search",
            lambda ctx, rng: _get(
                "/directory/v1/resources", ctx.desk.window, q=rng.choice(QUERIES), limit=PAGE
            ),
        ),
        EndpointClass(
            "figures",
            "GET /coordination/v1/figures?fiscal_year=…",
            "figures",
            lambda ctx, rng: _get(
                "/coordination/v1/figures", ctx.desk.coordinator, fiscal_year=ctx.fiscal_year
            ),
        ),
        EndpointClass(
            "write.consultation",
            "POST /intake/v1/consultations",
            "write",
            lambda ctx, rng: Request.of(
                "POST", "/intake/v1/consultations", headers=ctx.desk.window, json_body=ctx.consultation
            ),
        ),
        EndpointClass(
            "write.note",
            "POST /coordination/v1/cases/{id}/notes",
            "write",
            lambda ctx, rng: Request.of(
                "POST",
                f"/coordination/v1/cases/{rng.choice(ctx.seeded.cases)}/notes",
                headers=ctx.desk.coordinator,
                json_body={
                    "occurred_on": ctx.today.isoformat(),
                    "kind": "call",
                    "summary": "電話で近況を確認",
                },
            ),
        ),
    )
}

FLOORS: dict[str, EndpointClass] = {
    c.name: c
    for c in (
        EndpointClass(
            "floor.trivial",
            "GET /trivial (FastAPI, nothing behind it)",
            "floor",
            lambda c, r: _get("/trivial", {}),
        ),
        EndpointClass(
            "floor.one_query",
            "GET /one-query (one SELECT through the driver)",
            "floor",
            lambda c, r: _get("/one-query", {}),
        ),
    )
}

# A coordinator's and a window's day: mostly reads and lists, some searches, a few writes.
MIXED_WEIGHTS: dict[str, int] = {
    "read.consultation": 20,
    "read.case": 20,
    "list.consultations": 10,
    "list.cases": 10,
    "list.work": 8,
    "list.monitoring_due": 6,
    "search": 12,
    "figures": 4,
    "write.consultation": 5,
    "write.note": 5,
}
# Coordinators at their screens at once (issue 12: "when 20 coordinators use them at once").
COORDINATOR_WEIGHTS: dict[str, int] = {
    "list.work": 3,
    "list.monitoring_due": 2,
    "list.cases": 3,
    "figures": 2,
}


@dataclass(frozen=True)
class Workload:
    """Endpoint classes with their weights; each request picks one at random by weight."""

    name: str
    weights: tuple[tuple[EndpointClass, int], ...]

    @classmethod
    def of(cls, name: str, weights: dict[str, int]) -> Workload:
        known = CLASSES | FLOORS
        return cls(name, tuple((known[k], w) for k, w in weights.items()))

    @classmethod
    def alone(cls, endpoint: str, *, name: str = "alone") -> Workload:
        """One endpoint class by itself (the floors are measured so, as `floor`)."""
        return cls.of(name, {endpoint: 1})

    @property
    def classes(self) -> list[EndpointClass]:
        return [c for c, _ in self.weights]


def contexts(seeded: Seeded, desks_: Sequence[Desk], today: date) -> list[Context]:
    consultation = consultation_body()  # received an hour ago: valid for the whole run
    return [Context(seeded, desk, today, fiscal_year_of(today), consultation) for desk in desks_]


# --- seeding through the API ---------------------------------------------------------------------


class SeedingFailed(RuntimeError):
    pass


def _ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in (statuses or (200,)):
        raise SeedingFailed(
            f"{response.request.method} {response.request.url.path} → {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()


async def _limited(concurrency: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def _eventually(probe: Callable[[], Awaitable[T | None]], *, within: float, what: str) -> T:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await probe()
        if found is not None:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise SeedingFailed(f"{what}: not within {within:.0f} s")
        await asyncio.sleep(0.05)


@dataclass
class Seeder:
    """Seeds the data of the run through the API, as windows and coordinators would record it."""

    intake: httpx.AsyncClient
    coordination: httpx.AsyncClient
    settings: Settings
    scale: Scale
    today: date
    concurrency: int = 8

    def _bearer(self, role: str, org: str, subject: str) -> dict[str, str]:
        minted = token(self.settings, role, tenant=OTOFUKE, org=org, subject=subject)
        return {"Authorization": f"Bearer {minted}"}

    async def run(self) -> Seeded:
        self.window = self._bearer("window_staff", RANRAN_OPERATOR, "bench-seeder-window")
        self.coordinator = self._bearer("coordinator", OTOFUKE_TOWN, "bench-seeder")
        await self._window_known()
        referred = await _limited(self.concurrency, [self._referred] * self.scale.cases)
        plain = await _limited(self.concurrency, [self._consultation] * self.scale.unreferred_consultations)
        cases = await _limited(self.concurrency, [partial(self._case_of, r) for _, r in referred])
        await _limited(self.concurrency, [partial(self._assign, c, n) for n, c in enumerate(cases)])
        # Case n is coordinator (n mod coordinators)'s: the first rounds give each their plans.
        per_round = self.scale.coordinators
        planned = [c for n, c in enumerate(cases) if n // per_round < self.scale.plans_per_coordinator]
        await _limited(self.concurrency, [partial(self._plan, c) for c in planned])
        return Seeded(
            consultations=tuple([c for c, _ in referred] + plain), cases=tuple(cases), plans=len(planned)
        )

    async def _window_known(self) -> None:
        """Intake knows its windows once the directory's start-up events have reached it."""

        async def known() -> bool | None:
            windows = _ok(await self.intake.get("/intake/v1/windows", headers=self.window))
            return True if RANRAN in [w["code"] for w in windows] else None

        await _eventually(known, within=120, what=f"window {RANRAN} known to intake")

    async def _consultation(self) -> str:
        body = consultation_body()
        created = _ok(await self.intake.post("/intake/v1/consultations", json=body, headers=self.window), 201)
        return str(created["id"])

    async def _referred(self) -> tuple[str, str]:
        consultation_id = await self._consultation()
        base = f"/intake/v1/consultations/{consultation_id}"
        _ok(await self.intake.post(f"{base}/consents", json=consent_body(), headers=self.window), 201)
        referral = _ok(
            await self.intake.post(f"{base}/referrals", json={"reason": "8050"}, headers=self.window), 201
        )
        return consultation_id, str(referral["id"])

    async def _case_of(self, referral_id: str) -> str:
        async def opened() -> str | None:
            page = _ok(
                await self.coordination.get(
                    "/coordination/v1/cases", params={"referral_id": referral_id}, headers=self.coordinator
                )
            )
            return str(page["items"][0]["id"]) if page["items"] else None

        return await _eventually(opened, within=120, what=f"the case of referral {referral_id}")

    async def _assign(self, case_id: str, n: int) -> None:
        """Case n goes to coordinator n mod coordinators: each has cases_per_coordinator of them."""
        path = f"/coordination/v1/cases/{case_id}"
        etag = (await self.coordination.get(path, headers=self.coordinator)).headers["ETag"]
        subject = coordinator_subject(n % self.scale.coordinators)
        _ok(
            await self.coordination.post(
                f"{path}/assignment",
                json={"coordinator": subject, "coordinator_name": f"担当 {subject[-2:]}"},
                headers={**self.coordinator, "If-Match": etag},
            )
        )

    async def _plan(self, case_id: str) -> None:
        """A confirmed plan with two monitoring dates (one passed, one coming): the due list has rows."""
        drafted = self.today - timedelta(days=20)
        body = {
            "drafted_on": drafted.isoformat(),
            "long_term_goals": ["地域とつながる"],
            "items": [{"kind": "other", "organisation_id": RANRAN_OPERATOR, "what": "介護サービスの調整"}],
            "monitoring_dates": [
                (self.today - timedelta(days=3)).isoformat(),
                (self.today + timedelta(days=14)).isoformat(),
            ],
        }
        plan = _ok(
            await self.coordination.post(
                f"/coordination/v1/cases/{case_id}/plans", json=body, headers=self.coordinator
            ),
            201,
        )
        meeting = {
            "held_on": (self.today - timedelta(days=10)).isoformat(),
            "members": [
                {"organisation_id": org, "name": f"{org} 担当"} for org in (OTOFUKE_TOWN, RANRAN_OPERATOR)
            ],
            "decisions": [{"case_id": case_id, "purpose": "plan_evaluation", "plan_id": plan["id"]}],
        }

        async def recorded() -> str | None:
            # Coordination learns the operators from the directory's events: it may not know them yet.
            answer = await self.coordination.post(
                "/coordination/v1/plan-meetings", json=meeting, headers=self.coordinator
            )
            if answer.status_code == 422 and "unknown_organisation" in answer.text:
                return None
            return str(_ok(answer, 201)["id"])

        meeting_id = await _eventually(recorded, within=120, what="the directory's operators in coordination")
        _ok(
            await self.coordination.post(
                f"/coordination/v1/plans/{plan['id']}/approval",
                json={"meeting_id": meeting_id},
                headers={**self.coordinator, "If-Match": plan["etag"]},
            )
        )
