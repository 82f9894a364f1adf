"""Directory search answers what a plain reference says, on any backend (SQLite in tests/api,
PostgreSQL in tests/integration).

The reference is written from the README, not from the code: fold a text (NFKC, hiragana to katakana,
lower case, no spaces); an entry matches a query when the folded query is a substring of its folded
name, reading or description; the results come by rank (whole name, name prefix, name or reading,
other text), then by reading, then by id. Entries are generated from a small vocabulary (kanji,
kana in every width, Latin letters, one- and two-character names), so that queries of one, two and
more characters meet every rank, and are paged through three at a time, so that pages cross ranks.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from services.directory.resources import service
from services.directory.resources.models import Resource
from services.directory.resources.schemas import ResourceIn
from services.directory.resources.service import SearchFilters
from shared.auth.policy import DataScope, Reach
from shared.db import Database, utcnow

TENANT = "016314"
SCOPE = DataScope(TENANT, f"{TENANT}-town", Reach.tenant)
WORDS = [
    "子ども",
    "こども",
    "ｺﾄﾞﾓ",
    "食堂",
    "介護",
    "B型",
    "ｂ型",
    "サロン",
    "さろん",
    "相談",
    "支援",
    "センター",
    "東",
    "東西",
    "就労",
    "窓口",
    "ab",
    "Ａ",
    "の",
    "ー",
    "50%",  # LIKE's wildcards and the escape character, matched as themselves
    "a_b",
    "/",
]
KANA = ["ア", "カ", "コ", "ド", "モ", "サ", "ロ", "ン", "ー", " "]


def fold(text: str) -> str:
    """The folding the README describes, written here again from its words."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)
    return "".join(c for c in text.lower() if not c.isspace())


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    name_kana: str
    description: str | None

    def rank(self, query: str) -> int | None:
        q, name = fold(query), fold(self.name)
        if not q:
            return None
        if name == q:
            return 0
        if name.startswith(q):
            return 1
        if q in name or q in fold(self.name_kana):
            return 2
        if self.description is not None and q in fold(self.description):
            return 3
        return None


def expected(entries: list[Entry], query: str) -> list[str]:
    ranked = [(e.rank(query), e.name_kana, e.id) for e in entries]
    return [rid for rank, _, rid in sorted((r, k, i) for r, k, i in ranked if r is not None)]


def generated(rng: random.Random) -> ResourceIn:
    name = "".join(rng.choice(WORDS) for _ in range(rng.choice([1, 1, 2, 2, 3])))
    reading = "".join(rng.choice(KANA) for _ in range(rng.randint(1, 6))).strip() or "ア"
    description = (
        "".join(rng.choice([*WORDS, "、", "を行います。"]) for _ in range(rng.randint(1, 8)))
        if rng.random() < 0.7
        else None
    )
    return ResourceIn(
        name=name, name_kana=reading, kind="community_program", field="other", description=description
    )


async def publish(db: Database, items: list[ResourceIn]) -> list[Entry]:
    async with db.transaction(scope=SCOPE) as session:
        published = [
            await service.publish_resource(
                session=session, tenant_id=TENANT, data=d, actor="test", now=utcnow()
            )
            for d in items
        ]
    return [_entry(r) for r in published]


def _entry(resource: Resource) -> Entry:
    return Entry(resource.id, resource.name, resource.name_kana, resource.description)


async def search_all(db: Database, query: str, *, page: int = 3, between: object = None) -> list[str]:
    """Every id the search lists, page by page (`between`: an async callable run between pages)."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        async with db.reading(scope=SCOPE) as session:
            rows, cursor = await service.search_resources(
                session=session, tenant_id=TENANT, filters=SearchFilters(q=query), cursor=cursor, limit=page
            )
        ids.extend(r.id for r in rows)
        if cursor is None:
            return ids
        if between is not None:
            await between()  # type: ignore[operator]


def queries(entries: list[Entry], rng: random.Random) -> list[str]:
    """Every word as typed, one- and two-character pieces, pieces of names, readings and
    descriptions as they are written, and text found nowhere."""
    found = list(WORDS)
    for e in rng.sample(entries, min(len(entries), 25)):
        for text in (e.name, e.name_kana, e.description or e.name):
            start = rng.randrange(len(text))
            found.append(text[start : start + rng.randint(1, 5)])
    found.extend(["存在しない", "ｘｙｚ", "子ども食堂介護B型サロン相談"])
    return [q for q in dict.fromkeys(found) if fold(q)]


async def assert_search_matches_the_reference(db: Database, count: int = 120) -> None:
    rng = random.Random(20261202)
    entries = await publish(db, [generated(rng) for _ in range(count)])
    ranks_met: set[int] = set()
    for query in queries(entries, rng):
        want = expected(entries, query)
        assert await search_all(db, query) == want, query
        ranks_met.update(r for e in entries if (r := e.rank(query)) is not None)
    # The generated data must reach every rank, or this contract proves less than it says.
    assert ranks_met == {0, 1, 2, 3}


async def assert_edits_move_the_postings(db: Database) -> None:
    """An update is found by what it says now, not by what it said; a retired entry is not found."""
    [entry] = await publish(
        db, [ResourceIn(name="旧名称の広場", name_kana="キュウメイショウ", kind="window", field="other")]
    )
    async with db.transaction(scope=SCOPE) as session:
        resource = await service.get_resource(session=session, resource_id=entry.id)
        renamed = ResourceIn(
            name="新名称の広場",
            name_kana="シンメイショウ",
            kind="window",
            field="other",
            description="ひきこもりの相談",
        )
        await service.update_resource(
            session=session, resource=resource, data=renamed, actor="t", now=utcnow()
        )
    assert await search_all(db, "旧名称") == []
    assert await search_all(db, "新名称") == [entry.id]
    assert await search_all(db, "ヒキコモリ") == [entry.id]
    async with db.transaction(scope=SCOPE) as session:
        resource = await service.get_resource(session=session, resource_id=entry.id)
        await service.retire_resource(session=session, resource=resource, actor="t", now=utcnow())
    assert await search_all(db, "新名称") == []


async def assert_the_cursor_neither_repeats_nor_skips(db: Database) -> None:
    """Paged two at a time while entries of every rank are added between pages: every entry there
    from the start is listed once, none twice, in result order."""
    rng = random.Random(7)
    base = [
        ResourceIn(name=name, name_kana=kana, kind="window", field="other", description=description)
        for name, kana, description in [
            ("鍵語", "カギ", None),
            ("鍵語の家", "カギノイエ", None),
            ("鍵語の家", "カギノイエ", None),
            ("みんなの鍵語", "ミンナ", None),
            ("広場", "カギゴ", None),
            ("集会所", "シュウカイジョ", "鍵語を話す会"),
            ("公民館", "コウミンカン", "毎週鍵語"),
        ]
    ]
    before = await publish(db, base)
    added: list[Entry] = []

    async def add_some() -> None:
        if len(added) >= 12:  # four pages' worth: the list must end
            return
        kana = "".join(rng.choice(["ア", "カ", "ン", "ワ"]) for _ in range(3))
        added.extend(
            await publish(
                db,
                [
                    ResourceIn(name="鍵語", name_kana=kana, kind="window", field="other"),
                    ResourceIn(name="鍵語" + kana, name_kana=kana, kind="window", field="other"),
                    ResourceIn(name="館", name_kana=kana, kind="window", field="other", description="鍵語"),
                ],
            )
        )

    listed = await search_all(db, "鍵語", page=2, between=add_some)
    assert len(listed) == len(set(listed))
    assert {e.id for e in before if e.rank("鍵語") is not None} <= set(listed)
    assert added and set(listed) & {e.id for e in added}  # some were added after the cursor
    every = {e.id: e for e in before + added}
    order = [(every[i].rank("鍵語"), every[i].name_kana, i) for i in listed]
    assert order == sorted(order)
