"""Problem documents speak Japanese unless the caller prefers English."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from shared.errors import preferred_language


def request_with(accept_language: str | None) -> Request:
    headers = [] if accept_language is None else [(b"accept-language", accept_language.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize(
    ("header", "language"),
    [
        pytest.param(None, "ja", id="no header"),
        pytest.param("", "ja", id="empty"),
        pytest.param("ja", "ja", id="ja"),
        pytest.param("ja-JP", "ja", id="ja-JP"),
        pytest.param("fr", "ja", id="a language we do not speak"),
        pytest.param("*", "ja", id="anything"),
        pytest.param("en", "en", id="en"),
        pytest.param("EN-us", "en", id="region and case"),
        pytest.param("en-US,en;q=0.9", "en", id="browser in English"),
        pytest.param("fr-FR, fr;q=0.9, en;q=0.5", "en", id="English as second choice"),
        pytest.param("ja;q=0.5, en;q=0.8", "en", id="q-values decide"),
        pytest.param("en;q=0.5, ja;q=0.8", "ja", id="Japanese preferred by q"),
        pytest.param("ja, en", "ja", id="tie goes to the first"),
        pytest.param("en, ja", "en", id="tie goes to the first (English)"),
        pytest.param("en;q=bogus, ja;q=0.1", "ja", id="unreadable q counts as zero"),
        pytest.param("en;q=0", "ja", id="q=0 means not acceptable"),
    ],
)
def test_preferred_language(header: str | None, language: str) -> None:
    assert preferred_language(request_with(header)) == language
