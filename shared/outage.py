"""Logging an outage the way an operator on call wants to read it: once when it starts, a reminder at
intervals while it lasts, and once when it ends, instead of one ERROR line per failed attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class Outage:
    def __init__(
        self,
        log: logging.Logger,
        what: str,
        *,
        remind_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.what = what
        self.remind_every = remind_every
        self.clock = clock
        self.since: float | None = None
        self.failures = 0
        self._reminded_at = 0.0

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException | str) -> None:
        now = self.clock()
        self.failures += 1
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if self.since is None:
            self.since = self._reminded_at = now
            self.log.error("%s failing: %s", self.what, reason)
        elif now - self._reminded_at >= self.remind_every:
            self._reminded_at = now
            self.log.error(
                "%s still failing after %.0f s (%d failed attempts): %s",
                self.what,
                now - self.since,
                self.failures,
                reason,
            )

    def recovered(self) -> None:
        if self.since is None:
            return
        self.log.warning(
            "%s working again after %.1f s (%d failed attempts)",
            self.what,
            self.clock() - self.since,
            self.failures,
        )
        self.since = None
        self.failures = 0
