"""Access logs keep which parameters were sent, never their values (addresses, names searched for)."""

from __future__ import annotations

import logging

import pytest

from shared.logs import ACCESS_LOGGER, RedactQueryStrings, redact_access_logs, redact_query


def test_values_are_dropped_and_names_kept() -> None:
    assert (
        redact_query("/directory/v1/districts/lookup?address=%E6%9F%8F%E5%AF%BF%E5%8F%B01-5&limit=5")
        == "/directory/v1/districts/lookup?address=…&limit=…"
    )
    assert redact_query("/healthz") == "/healthz"
    assert redact_query("/x?") == "/x"
    assert redact_query("/x?flag") == "/x?flag=…"


def test_uvicorn_access_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    redact_access_logs()
    redact_access_logs()  # installing twice adds one filter
    logger = logging.getLogger(ACCESS_LOGGER)
    assert sum(isinstance(f, RedactQueryStrings) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        # The call uvicorn's httptools/h11 protocols make for every response.
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/directory/v1/resources?address=音更町柏寿台1-5&q=らんらん",
            "1.1",
            200,
        )
    assert caplog.messages == ['127.0.0.1:5000 - "GET /directory/v1/resources?address=…&q=… HTTP/1.1" 200']
