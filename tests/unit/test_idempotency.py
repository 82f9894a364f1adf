"""Idempotency keys: the fingerprint and key rules, and the storage contract on SQLite."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.db import Database
from shared.idempotency import InvalidIdempotencyKey, check_key, request_fingerprint, reserve
from tests.support.idempotency_contract import NOW, IdempotencyContract, Store, make_store

PATH = "/intake/v1/consultations"


class TestIdempotencySqlite(IdempotencyContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'idempotency.db'}", schema="idempotency")
        try:
            yield await make_store(db)
        finally:
            await db.dispose()


def test_the_fingerprint_ignores_json_key_order_and_whitespace() -> None:
    compact = b'{"name":"\\u5c71\\u7530","tags":["a","b"],"meta":{"x":1,"y":2}}'
    reordered = json.dumps(
        {"meta": {"y": 2, "x": 1}, "tags": ["a", "b"], "name": "山田"}, ensure_ascii=False, indent=2
    ).encode()

    assert request_fingerprint("POST", PATH, compact) == request_fingerprint("POST", PATH, reordered)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(b'{"name":"\\u4f50\\u85e4","tags":["a","b"]}', id="another value"),
        pytest.param(b'{"name":"\\u5c71\\u7530","tags":["b","a"]}', id="array order"),
        pytest.param(b'{"name":"\\u5c71\\u7530","tags":["a","b"],"x":null}', id="an added field"),
        pytest.param(b'{"name":"\\u5c71\\u7530","tags":"a,b"}', id="another type"),
    ],
)
def test_the_fingerprint_tells_other_values_apart(other: bytes) -> None:
    body = b'{"name":"\\u5c71\\u7530","tags":["a","b"]}'

    assert request_fingerprint("POST", PATH, body) != request_fingerprint("POST", PATH, other)


def test_the_fingerprint_covers_method_and_path() -> None:
    body = b'{"a":1}'
    reference = request_fingerprint("POST", PATH, body)

    assert request_fingerprint("post", PATH, body) == reference
    assert request_fingerprint("PUT", PATH, body) != reference
    assert request_fingerprint("POST", PATH + "/x", body) != reference


def test_the_fingerprint_cannot_be_forged_by_moving_bytes_between_path_and_body() -> None:
    assert request_fingerprint("POST", "/a", b"bc") != request_fingerprint("POST", "/ab", b"c")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe not utf-8", id="binary"),
        pytest.param(b"{not json", id="broken json"),
        pytest.param(b"[" * 100_000, id="deeply nested"),
        pytest.param(b'"\\ud800"', id="lone surrogate"),
    ],
)
def test_the_fingerprint_takes_any_body(body: bytes) -> None:
    fingerprint = request_fingerprint("POST", PATH, body)

    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert request_fingerprint("POST", PATH, body) == fingerprint


@pytest.mark.parametrize(
    "key", ["a", "8e03978e-40d5-43e8-bc93-6894a57f9324", "x" * 200, "with space ~!", '"quoted"']
)
def test_a_key_of_printable_ascii_is_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 201, id="too long"),
        pytest.param("キー", id="not ascii"),
        pytest.param("tab\there", id="control character"),
        pytest.param("del\x7f", id="delete"),
    ],
)
def test_a_malformed_key_is_refused_naming_the_header(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey) as refused:
        check_key(key)

    assert refused.value.status == 422
    assert [f.field for f in refused.value.fields] == ["Idempotency-Key"]


async def test_reserve_checks_the_key_before_touching_the_database() -> None:
    db = Database("sqlite+aiosqlite:///:memory:", schema="unused")
    try:
        with pytest.raises(InvalidIdempotencyKey):
            await reserve(db, None, scope="s", key="x" * 201, request_hash="h", now=NOW)  # type: ignore[arg-type]
    finally:
        await db.dispose()
