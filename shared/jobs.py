"""A service's own scheduled work (e.g. coordination noticing overdue monitoring): each job runs
every so often in the service's process, and must be safe to run in every replica at once (its
effect is guarded by the database, e.g. a unique key, never by "only one of us runs")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.db import Database, utcnow
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: Callable[[Settings], float]  # seconds between runs, from the settings
    run: Callable[[Database, datetime], Awaitable[int]]  # returns how much it did, for the log
    quiet: bool = False  # runs often and always has something to do: its work is logged at debug


class JobRunner:
    def __init__(self, *, service: str, db: Database, jobs: Sequence[Job], settings: Settings) -> None:
        self.service = service
        self.db = db
        self.jobs = list(jobs)
        self.settings = settings
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._every(job), name=f"job-{self.service}-{job.name}") for job in self.jobs
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        self._tasks = []

    async def _every(self, job: Job) -> None:
        while True:
            await asyncio.sleep(job.interval(self.settings))
            try:
                done = await job.run(self.db, utcnow())
                if done:
                    log.log(
                        logging.DEBUG if job.quiet else logging.INFO,
                        "%s: %s did %d",
                        self.service,
                        job.name,
                        done,
                    )
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed run is retried at the next interval
                log.exception("%s: %s failed", self.service, job.name)
