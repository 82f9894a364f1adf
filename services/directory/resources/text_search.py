"""A page of entries for a folded query, read from the postings (`postings`): by rank (whole name,
name prefix, name or reading, other text), then by reading and id, after a keyset cursor.

Each rank is read as index walks over `resource_postings` that stop at the page size, one rank after
the other, and the search stops as soon as the page is full:

- a query of one or two characters is itself a gram: rank r is the range (tenant, query, r), already
  in result order, with nothing to confirm (the entry is joined only for the other filters);
- a longer query: the whole name through the index on the folded name; the prefix by walking the
  PREFIX postings of its first bigram; name-or-reading and other text by walking the postings of its
  rarest bigram (every part: that bigram may sit anywhere in a matching entry), keeping the entries
  that also post its second-rarest bigram, and confirming the folded substring on the entry.

The cursor carries the last entry's (rank, sort key, id): entries added or removed between pages
never make a page repeat or skip one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.directory.resources import postings
from services.directory.resources.models import Resource, ResourcePosting
from services.directory.resources.postings import Part
from services.directory.resources.sql import through_no_index
from shared.pagination import Ordering, SortKey

# Counting a very common gram's postings would cost more than the search: counts stop here.
RARITY_CAP = 1000
Posting = ResourcePosting
ANY_PART = tuple(int(p) for p in Part)
IN_NAME = (int(Part.EXACT), int(Part.PREFIX), int(Part.NAME))
# A walk selects the (sort key, id) of entries, in result order; a page adds their rank.
Walk = Select[*tuple[Any, ...]]


def ordering(query: str) -> Ordering:
    """The order of one query's results: a cursor of another query's list is not one of this one's."""
    return Ordering(
        f"resources:q:{query}",
        SortKey(literal_column("0"), int, name="rank"),
        SortKey(Posting.sort_key, str),
        SortKey(Posting.resource_id, str),
    )


@dataclass(frozen=True)
class _Shape:
    """What a statement's form depends on; everything else is a bound parameter, so a statement of
    a shape is built (and compiled) once."""

    short: bool  # a query of one or two characters: the query is the gram walked
    ranks: tuple[Part, ...]
    after: Part | None  # the rank the cursor stands in: read after its (sort key, id)
    second: bool = False  # a longer query with a second gram to check


async def search(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: str,
    conditions: Sequence[ColumnElement[bool]],
    cursor: str | None,
    limit: int,
) -> tuple[list[Resource], str | None]:
    order = ordering(query)
    position = order.decode(cursor) if cursor is not None else None
    values: dict[str, Any] = {"tenant": tenant_id, "query": query, "head": query[:2], "walked": query}
    values.update(prefix=_like(query, "", "%"), contains=_like(query, "%", "%"))
    if position is not None:
        values.update(after_key=position[1], after_id=position[2])
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # The statements are few and their plans never depend on the values (a walk of the primary
        # key, entries by theirs): plan each once per connection, not at every search.
        await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    second = False
    if len(query) > 2:
        rarest = await _rarest(session, tenant_id, query)
        if not rarest:
            return [], None
        values["walked"] = rarest[0]
        values["second"] = rarest[1] if len(rarest) > 1 else None
        second = len(rarest) > 1
    found: list[tuple[int, str, str]] = []
    for stage in _stages(len(query) <= 2):
        ranks = tuple(r for r in stage if position is None or r >= position[0])
        if not ranks:
            continue
        after = Part(position[0]) if position is not None and position[0] in ranks else None
        shape = _Shape(len(query) <= 2, ranks, after, second)
        statement = _statement(shape) if not conditions else _build(shape, list(conditions))
        rows = await connection.execute(statement, {**values, "limit": limit + 1 - len(found)})
        found.extend((rank, key, rid) for rank, key, rid in rows.all())
        if len(found) > limit:
            break
    page = found[:limit]
    next_cursor = order.encode(list(page[-1])) if len(found) > limit else None
    return await _load(session, [rid for _, _, rid in page]), next_cursor


def _stages(short: bool) -> list[tuple[Part, ...]]:
    """The ranks read by one statement each. A short query's walks are exact (each reads at most the
    page), so all four at once; a longer query's walk of the other text would confirm and drop every
    entry the name ranks hold, so it is read only when those leave the page short."""
    if short:
        return [tuple(Part)]
    return [(Part.EXACT, Part.PREFIX, Part.NAME), (Part.OTHER,)]


def _like(query: str, before: str, after: str) -> str:
    escaped = query.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"{before}{escaped}{after}"


async def _rarest(session: AsyncSession, tenant_id: str, query: str) -> list[str]:
    """A longer query's bigrams by their postings (counted up to RARITY_CAP), rarest first; empty
    when one has none, since then nothing can match."""
    grams = postings.query_grams(query)
    values = {"tenant": tenant_id, **{f"g{i}": g for i, g in enumerate(grams)}}
    row = (await (await session.connection()).execute(_counting(len(grams)), values)).one()
    if min(row) == 0:
        return []
    return [g for _, g in sorted(zip(row, grams, strict=True))]


@lru_cache(maxsize=16)
def _counting(grams: int) -> Walk:
    return select(
        *(
            select(func.count())
            .select_from(
                select(Posting.resource_id)
                .where(Posting.tenant_id == bindparam("tenant"), Posting.gram == bindparam(f"g{i}"))
                .limit(RARITY_CAP)
                .subquery()
            )
            .scalar_subquery()
            for i in range(grams)
        )
    )


@lru_cache(maxsize=64)
def _statement(shape: _Shape) -> Walk:
    """A shape's statement with no other filters: built once."""
    return _build(shape, [])


def _build(shape: _Shape, conditions: list[Any]) -> Walk:
    """The entries of the shape's ranks as (rank, sort key, id), in result order, at most :limit."""
    walks = [
        select(literal_column(str(int(rank))).label("rank"), *_walk(shape, rank, conditions).subquery().c)
        for rank in shape.ranks
    ]
    merged = (walks[0] if len(walks) == 1 else union_all(*walks)).subquery()
    ordered: Walk = select(*merged.c).order_by(*merged.c).limit(bindparam("limit"))
    return ordered


def _walk(shape: _Shape, rank: Part, conditions: list[Any]) -> Walk:
    """The (sort key, id) of the entries of one rank, in result order, at most :limit."""
    after = shape.after == rank
    if shape.short:
        return _arm(shape, "walked", rank, [], conditions, after, beside=None)
    name, reading, other = Resource.search_name, Resource.search_reading, Resource.search_text
    contains: Any = bindparam("contains")
    prefix: Any = bindparam("prefix")
    in_name = or_(name.like(contains, escape="/"), reading.like(contains, escape="/"))
    if rank is Part.EXACT:
        return _exact(shape, conditions, after)
    if rank is Part.PREFIX:
        verify = [name.like(prefix, escape="/"), name != bindparam("query")]
        return _arm(shape, "head", Part.PREFIX, verify, conditions, after, beside=IN_NAME)
    if rank is Part.NAME:
        verify = [in_name, ~name.like(prefix, escape="/")]
        return _union([_arm(shape, "walked", p, verify, conditions, after, beside=IN_NAME) for p in IN_NAME])
    verify = [other.like(contains, escape="/"), ~in_name]
    return _union([_arm(shape, "walked", p, verify, conditions, after, beside=ANY_PART) for p in ANY_PART])


def _arm(
    shape: _Shape,
    gram: str,
    part: int,
    verify: list[Any],
    conditions: list[Any],
    after: bool,
    *,
    beside: tuple[int, ...] | None,
) -> Walk:
    """One walk of the postings (tenant, :gram, part) in result order, kept where the entry passes
    (and, for a longer query, where it posts the second gram too, in one of the parts `beside`)."""
    walk: Walk = select(Posting.sort_key, Posting.resource_id).where(
        Posting.tenant_id == bindparam("tenant"), Posting.gram == bindparam(gram), Posting.part == int(part)
    )
    if after:
        key = tuple_(bindparam("after_key"), bindparam("after_id"))
        walk = walk.where(tuple_(Posting.sort_key, Posting.resource_id) > key)
    if shape.second and beside is not None:
        # Every part listed (not left open), so each check is a few seeks of the primary key.
        second = aliased(ResourcePosting)
        walk = walk.where(
            _asked(
                second.tenant_id == bindparam("tenant"),
                second.gram == bindparam("second"),
                second.part.in_(beside),
                second.sort_key == Posting.sort_key,
                second.resource_id == Posting.resource_id,
            )
        )
    if verify or conditions:
        walk = walk.where(_asked(Resource.id == through_no_index(Posting.resource_id), *verify, *conditions))
    ordered: Walk = walk.order_by(Posting.sort_key, Posting.resource_id).limit(bindparam("limit"))
    return ordered


def _asked(*criteria: Any) -> ColumnElement[bool]:
    """Whether a row meeting the criteria exists, asked of each posting as the walk reaches it. A
    scalar subquery rather than EXISTS: PostgreSQL would turn EXISTS into a join it may plan as a
    hash of every candidate, sorted, where walking the postings in order stops at the page size."""
    return select(literal_column("1")).where(*criteria).limit(1).scalar_subquery() == 1


def _exact(shape: _Shape, conditions: list[Any], after: bool) -> Walk:
    """A longer query as the whole folded name, through the index on it."""
    rid = Resource.id
    walk: Walk = select(Resource.sort_key.label("sort_key"), rid.label("resource_id")).where(
        Resource.tenant_id == bindparam("tenant"),
        Resource.search_name == bindparam("query"),
        Resource.status == "active",
        *conditions,
    )
    if after:
        walk = walk.where(
            tuple_(Resource.sort_key, rid) > tuple_(bindparam("after_key"), bindparam("after_id"))
        )
    ordered: Walk = walk.order_by(Resource.sort_key, rid).limit(bindparam("limit"))
    return ordered


def _union(arms: list[Walk]) -> Walk:
    """Walks merged into result order (each already stops at :limit)."""
    merged = union_all(*(select(*arm.subquery().c) for arm in arms)).subquery()
    ordered: Walk = select(*merged.c).order_by(*merged.c).limit(bindparam("limit"))
    return ordered


async def _load(session: AsyncSession, ids: list[str]) -> list[Resource]:
    """The entries themselves, in the page's order (through the session: scoped to the tenant)."""
    if not ids:
        return []
    rows = await session.scalars(select(Resource).where(Resource.id.in_(ids)))
    by_id = {r.id: r for r in rows.all()}
    return [by_id[i] for i in ids if i in by_id]
