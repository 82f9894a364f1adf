"""Search's "open on / open at" filter answers exactly what `schedules.is_open` says, on any backend.

Publishes resources with generated schedules through the API, then asks for many instants chosen
around the edges (holidays, year end, month ends, opening and closing minutes) and compares.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time

import httpx

from services.directory.resources.schedules import JST, is_open, opens_on
from services.directory.resources.schemas import ScheduleIn

RESOURCES = "/directory/v1/resources"
MARK = "開所テスト"

INSTANTS = [
    datetime(2026, 11, 23, 10, 0),  # 勤労感謝の日 (Monday)
    datetime(2026, 11, 24, 8, 29),
    datetime(2026, 11, 24, 8, 30),
    datetime(2026, 11, 27, 17, 14),  # last Friday of November
    datetime(2026, 11, 27, 17, 15),
    datetime(2026, 11, 30, 12, 0),  # last day of the month (Monday)
    datetime(2026, 12, 2, 10, 0),  # first Wednesday
    datetime(2026, 12, 16, 11, 59),  # third Wednesday
    datetime(2026, 12, 12, 9, 0),  # second Saturday
    datetime(2026, 12, 28, 16, 0),  # last working day of the year
    datetime(2026, 12, 29, 10, 0),  # year-end closure (Tuesday)
    datetime(2026, 12, 31, 23, 59),  # last day, last Thursday
    datetime(2027, 1, 1, 0, 0),
    datetime(2027, 1, 4, 8, 30),  # first working day
    datetime(2027, 1, 11, 10, 0),  # 成人の日
    datetime(2027, 2, 28, 13, 0),  # last day of February, a Sunday
    datetime(2027, 3, 31, 17, 0),
    datetime(2027, 4, 1, 9, 0),
]


def generated_schedules(rng: random.Random) -> list[ScheduleIn]:
    schedules = []
    for _ in range(rng.randint(1, 2)):
        hours = rng.choice(
            [(None, None), (time(8, 30), time(17, 15)), (time(10), time(12)), (time(0), time(23, 59))]
        )
        validity = rng.choice(
            [(None, None), (date(2026, 12, 1), date(2027, 3, 31)), (date(2027, 1, 5), None)]
        )
        if rng.random() < 0.5:
            freq, byday, bymonthday = "WEEKLY", rng.sample(["MO", "TU", "WE", "TH", "FR", "SA", "SU"], 3), []
        else:
            freq = "MONTHLY"
            byday = [f"{rng.choice(['1', '2', '3', '4', '5', '-1'])}{rng.choice(['MO', 'WE', 'FR', 'SA'])}"]
            bymonthday = rng.choice([[], [15], [-1], [1, 31]])
        schedules.append(
            ScheduleIn(
                freq=freq,  # type: ignore[arg-type]
                byday=byday,
                bymonthday=bymonthday,
                opens_at=hours[0],
                closes_at=hours[1],
                valid_from=validity[0],
                valid_to=validity[1],
                closed_on_holidays=rng.random() < 0.7,
            )
        )
    return schedules


async def publish_generated(
    http: httpx.AsyncClient, editor: dict[str, str], count: int
) -> dict[str, list[ScheduleIn]]:
    rng = random.Random(20261123)
    published: dict[str, list[ScheduleIn]] = {}
    for i in range(count):
        schedules = generated_schedules(rng)
        response = await http.post(
            RESOURCES,
            json={
                "name": f"{MARK}{i:03d}",
                "name_kana": "カイショテスト",
                "kind": "community_program",
                "field": "other",
                "schedules": [s.model_dump(mode="json") for s in schedules],
            },
            headers=editor,
        )
        assert response.status_code == 201, response.text
        published[response.json()["name"]] = schedules
    return published


async def assert_search_agrees_with_the_rules(
    http: httpx.AsyncClient, published: dict[str, list[ScheduleIn]]
) -> None:
    async def found(**params: str) -> set[str]:
        response = await http.get(RESOURCES, params={**params, "q": MARK, "limit": "200"})
        assert response.status_code == 200, response.text
        return {item["name"] for item in response.json()["items"]}

    checked_open = 0
    for instant in INSTANTS:
        expected_at = {n for n, s in published.items() if is_open(s, instant.replace(tzinfo=JST))}
        expected_on = {n for n, s in published.items() if opens_on(s, instant.date())}
        at = await found(open_on=instant.date().isoformat(), open_at=instant.strftime("%H:%M"))
        on = await found(open_on=instant.date().isoformat())
        assert at == expected_at, instant
        assert on == expected_on, instant
        checked_open += len(at)
    # The generated data must exercise both answers, or this contract proves nothing.
    assert 0 < checked_open < len(published) * len(INSTANTS)
