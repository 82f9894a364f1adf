"""Opaque cursors over a stable (sort key, id) order."""

from __future__ import annotations

import base64
import json

import pytest

from shared.errors import InvalidInput
from shared.pagination import decode_cursor, encode_cursor


def test_a_cursor_round_trips_its_position() -> None:
    position = ["2026-11-20T01:30:00+00:00", "7c9e6679-7425-40de-944b-e07fc1f90ae7"]

    assert decode_cursor(encode_cursor(position), arity=2) == position


def test_a_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(["ケース?&=/+", 1])

    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, arity=2) == ["ケース?&=/+", 1]


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("!!!not a cursor!!!", id="garbage"),
        pytest.param("a", id="truncated base64"),
        pytest.param(_unpadded(b"\xff\xfe\xfd"), id="not utf-8"),
        pytest.param(_unpadded(b"{not json"), id="not json"),
        pytest.param(_unpadded(json.dumps({"a": 1}).encode()), id="not a list"),
        pytest.param(encode_cursor(["only one"]), id="wrong arity"),
        pytest.param("", id="empty"),
    ],
)
def test_a_cursor_that_is_not_ours_is_invalid_input_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as error:
        decode_cursor(cursor, arity=2)

    assert error.value.status == 422
    assert [f.field for f in error.value.fields] == ["cursor"]
