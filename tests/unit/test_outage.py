"""An outage is logged once when it starts, at intervals while it lasts, and once when it ends; a
library's per-attempt errors are thinned to one per interval."""

from __future__ import annotations

import logging

import pytest

from shared.outage import Outage, QuietRepeats


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_told_once_then_reminded_then_ended(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = Outage(logging.getLogger("test.outage"), "Kafka at 127.0.0.1:9092", remind_every=60, clock=clock)
    caplog.set_level(logging.INFO, "test.outage")

    for i in range(3001):  # a minute of failed attempts, 50 a second; the last 60 s after the first
        clock.now = 1000 + i / 50
        outage.failed(ConnectionRefusedError("refused"))
    clock.now += 5
    outage.recovered()
    outage.recovered()  # nothing more to say

    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages == [
        ("ERROR", "Kafka at 127.0.0.1:9092 failing: ConnectionRefusedError: refused"),
        (
            "ERROR",
            "Kafka at 127.0.0.1:9092 still failing after 60 s (3001 failed attempts): "
            "ConnectionRefusedError: refused",
        ),
        ("WARNING", "Kafka at 127.0.0.1:9092 working again after 65.0 s (3001 failed attempts)"),
    ]
    assert not outage.ongoing


def test_a_second_outage_starts_afresh() -> None:
    clock = Clock()
    outage = Outage(logging.getLogger("test.outage"), "bus", clock=clock)
    outage.failed("down")
    outage.recovered()
    outage.failed("down again")
    assert outage.ongoing
    assert outage.failures == 1


def record(msg: str, level: int = logging.ERROR, name: str = "aiokafka") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, ("node", "refused"), None)


def test_repeats_of_one_message_pass_once_per_interval_with_the_count_held_back() -> None:
    clock = Clock()
    quiet = QuietRepeats(every=60, clock=clock)
    passed = []
    for i in range(3001):
        clock.now = 1000 + i / 50
        entry = record("Unable connect to node with id %s: %s")
        if quiet.filter(entry):
            passed.append(entry.getMessage())
    assert passed == [
        "Unable connect to node with id node: refused",
        "Unable connect to node with id node: refused [2999 more like this in the last 60 s]",
    ]


def test_other_messages_and_info_lines_are_not_held_back() -> None:
    quiet = QuietRepeats(every=60, clock=Clock())
    assert quiet.filter(record("Unable connect to node with id %s: %s"))
    assert quiet.filter(record("Unable to update metadata from %s %s"))
    assert quiet.filter(record("Unable connect to node with id %s: %s", name="aiokafka.conn"))
    assert quiet.filter(record("Joined group %s %s", level=logging.INFO))
    assert quiet.filter(record("Joined group %s %s", level=logging.INFO))
