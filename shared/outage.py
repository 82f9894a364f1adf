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


class QuietRepeats(logging.Filter):
    """For a library that logs every failed reconnect (aiokafka, several times a second while a broker
    is away): the first of a kind of message goes through, then at most one per `every` seconds,
    saying how many like it were held back. Messages below WARNING pass untouched."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        self._runs: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, str(record.msg))  # the template: "Unable connect to node with id %s: %s"
        now = self.clock()
        run = self._runs.get(key)
        if run is not None and now - run[0] < self.every:
            self._runs[key] = (run[0], run[1] + 1)
            return False
        if run is not None and run[1]:
            record.msg = f"{record.msg} [{run[1]} more like this in the last {now - run[0]:.0f} s]"
        self._runs[key] = (now, 0)
        return True


_QUIETED: set[str] = set()


def quiet_repeats_of(library: str, every: float = 60.0) -> None:
    """Put one QuietRepeats on every logger of `library` (import the library first). Idempotent."""
    if library in _QUIETED:
        return
    _QUIETED.add(library)
    quiet = QuietRepeats(every)
    names = [n for n in logging.root.manager.loggerDict if n == library or n.startswith(f"{library}.")]
    for name in {library, *names}:
        logging.getLogger(name).addFilter(quiet)
