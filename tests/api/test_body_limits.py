"""Bodies over MAX_REQUEST_BYTES are refused with 413 before anything is read into a use case.

The module's tests share one system and compare what intake holds before and after their requests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from tests.api.helpers import (
    CONSULTATIONS,
    EN,
    assert_problem,
    intake_saved,
    record_consultation,
    shares_one_system,
)
from tests.support.builders import consent_body, consultation_body

pytestmark = shares_one_system

KB = 1024


async def assert_nothing_saved(app, before: dict[str, int]) -> None:
    """Intake holds what it held `before` the request: no consultation, consent, referral, outbox row."""
    assert await intake_saved(app) == before


def oversized_consultation(settings) -> bytes:
    body = consultation_body(notes="相" * (300 * KB // 3))  # ~300 KB of UTF-8
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > settings.max_request_bytes
    return raw


async def test_the_default_limit_is_256_kib(settings) -> None:
    assert settings.max_request_bytes == 256 * KB


async def test_an_announced_body_over_the_limit_is_413_naming_the_body(client, app, settings) -> None:
    before = await intake_saved(app)
    response = await client.post(
        CONSULTATIONS, content=oversized_consultation(settings), headers={"content-type": "application/json"}
    )

    body = assert_problem(response, status=413, slug="payload-too-large", fields={"body": "too_large"})
    assert body["title"] == "送信データが大きすぎます。"
    assert str(settings.max_request_bytes) in body["detail"]
    await assert_nothing_saved(app, before)


async def test_the_413_speaks_english_on_request(client, settings) -> None:
    response = await client.post(
        CONSULTATIONS,
        content=oversized_consultation(settings),
        headers={"content-type": "application/json", **EN},
    )

    body = assert_problem(response, status=413, slug="payload-too-large", fields={"body": "too_large"})
    assert body["title"] == "The request body is too large."


async def test_a_streamed_body_over_the_limit_is_413_too(client, app, settings) -> None:
    before = await intake_saved(app)
    raw = oversized_consultation(settings)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 16 * KB):
            yield raw[start : start + 16 * KB]

    response = await client.post(
        CONSULTATIONS, content=chunks(), headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, status=413, slug="payload-too-large", fields={"body": "too_large"})
    await assert_nothing_saved(app, before)


async def test_a_streamed_body_under_the_limit_is_accepted(client, app) -> None:
    before = await intake_saved(app)
    raw = json.dumps(consultation_body(), ensure_ascii=False).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 100):
            yield raw[start : start + 100]

    response = await client.post(
        CONSULTATIONS, content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 201, response.text
    assert await intake_saved(app) == {**before, "consultations": before["consultations"] + 1}


async def test_an_oversized_consent_is_413_and_not_saved(client, app, settings) -> None:
    consultation = await record_consultation(client)
    body = consent_body(organisations=[f"org-{i:06d}-" + "x" * 80 for i in range(4000)])
    raw = json.dumps(body).encode()
    assert len(raw) > settings.max_request_bytes
    before = await intake_saved(app)

    response = await client.post(
        f"{CONSULTATIONS}/{consultation['id']}/consents",
        content=raw,
        headers={"content-type": "application/json"},
    )

    assert_problem(response, status=413, slug="payload-too-large", fields={"body": "too_large"})
    await assert_nothing_saved(app, before)


async def test_a_body_just_under_the_limit_reaches_validation(client, app, settings) -> None:
    before = await intake_saved(app)
    body = consultation_body(notes="x" * (200 * KB))  # under the byte limit, over the 4000-character field

    response = await client.post(CONSULTATIONS, json=body)

    assert_problem(response, status=422, slug="validation-error", fields={"notes": "string_too_long"})
    await assert_nothing_saved(app, before)


async def test_a_body_that_is_not_utf8_is_400_naming_the_body_and_saves_nothing(client, app) -> None:
    before = await intake_saved(app)
    # Shift_JIS bytes where JSON must be UTF-8 (a partner system's default encoding, say).
    raw = (
        json.dumps(consultation_body(), ensure_ascii=False)
        .encode("utf-8")
        .replace("音更".encode(), "音更".encode("shift_jis"))
    )

    response = await client.post(CONSULTATIONS, content=raw, headers={"content-type": "application/json"})
    english = await client.post(
        CONSULTATIONS, content=raw, headers={"content-type": "application/json", **EN}
    )

    assert_problem(response, status=400, slug="malformed-body", fields={"body": "unreadable"})
    assert "UTF-8" in response.json()["detail"]
    assert english.json()["title"] == "The body cannot be read."
    await assert_nothing_saved(app, before)
