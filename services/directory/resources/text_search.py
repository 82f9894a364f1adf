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
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.directory.resources import postings
from services.directory.resources.models import Resource, ResourcePosting
from services.directory.resources.postings import Part
from shared.pagination import Ordering, SortKey

# Counting a very common gram's postings would cost more than the search: counts stop here.
RARITY_CAP = 1000
Posting = ResourcePosting
ANY_PART = [int(p) for p in Part]
IN_NAME = [int(Part.EXACT), int(Part.PREFIX), int(Part.NAME)]
# A walk selects the (sort key, id) of entries, in result order.
Walk = Select[str, str]


def ordering(query: str) -> Ordering:
    """The order of one query's results: a cursor of another query's list is not one of this one's."""
    return Ordering(
        f"resources:q:{query}",
        SortKey(literal(0), int, name="rank"),
        SortKey(Posting.sort_key, str),
        SortKey(Posting.resource_id, str),
    )


@dataclass(frozen=True)
class _Plan:
    """How one query is read: the gram walked for the contains ranks and the one checked beside it."""

    tenant_id: str
    query: str
    walked: str
    second: str | None = None

    @property
    def short(self) -> bool:
        return len(self.query) <= 2


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
    plan = await _plan(session, tenant_id, query)
    if plan is None:
        return [], None
    found: list[tuple[int, str, str]] = []
    for part in Part:
        if position is not None and part < position[0]:
            continue
        after = (position[1], position[2]) if position is not None and part == position[0] else None
        walk = _walk(plan, part, list(conditions), after, limit + 1 - len(found))
        found.extend((int(part), key, rid) for key, rid in (await session.execute(walk)).all())
        if len(found) > limit:
            break
    page = found[:limit]
    next_cursor = order.encode(list(page[-1])) if len(found) > limit else None
    return await _load(session, [rid for _, _, rid in page]), next_cursor


async def _plan(session: AsyncSession, tenant_id: str, query: str) -> _Plan | None:
    """A longer query's bigrams by their postings (counted up to RARITY_CAP), rarest first; None when
    one has none, since then nothing can match."""
    if len(query) <= 2:
        return _Plan(tenant_id, query, query)
    grams = postings.query_grams(query)
    counts = [
        select(func.count())
        .select_from(
            select(Posting.resource_id)
            .where(Posting.tenant_id == tenant_id, Posting.gram == g)
            .limit(RARITY_CAP)
            .subquery()
        )
        .scalar_subquery()
        for g in grams
    ]
    row = (await session.execute(select(*counts))).one()
    if min(row) == 0:
        return None
    rarest = [g for _, g in sorted(zip(row, grams, strict=True))]
    return _Plan(tenant_id, query, rarest[0], rarest[1] if len(rarest) > 1 else None)


def _walk(
    plan: _Plan, part: Part, conditions: list[Any], after: tuple[str, str] | None, limit: int
) -> Walk:
    """The (sort key, id) of the entries of one rank, in result order, at most `limit`."""
    if plan.short:
        return _arm(plan, plan.query, part, [], conditions, after, limit, beside=None)
    query = plan.query
    name, reading, other = Resource.search_name, Resource.search_reading, Resource.search_text
    in_name = or_(name.contains(query, autoescape=True), reading.contains(query, autoescape=True))
    if part is Part.EXACT:
        return _exact(plan, conditions, after, limit)
    if part is Part.PREFIX:
        verify = [name.startswith(query, autoescape=True), name != query]
        return _arm(plan, query[:2], Part.PREFIX, verify, conditions, after, limit, beside=IN_NAME)
    if part is Part.NAME:
        verify = [in_name, ~name.startswith(query, autoescape=True)]
        arms = [_arm(plan, plan.walked, p, verify, conditions, after, limit, beside=IN_NAME) for p in IN_NAME]
        return _union(arms, limit)
    verify = [other.contains(query, autoescape=True), ~in_name]
    arms = [_arm(plan, plan.walked, p, verify, conditions, after, limit, beside=ANY_PART) for p in ANY_PART]
    return _union(arms, limit)


def _arm(
    plan: _Plan,
    gram: str,
    part: Part | int,
    verify: list[Any],
    conditions: list[Any],
    after: tuple[str, str] | None,
    limit: int,
    *,
    beside: list[int] | None,
) -> Walk:
    """One walk of the postings (tenant, gram, part) in result order, kept where the entry passes
    (and, for a longer query, where it posts the second gram too, in one of the parts `beside`)."""
    walk = select(Posting.sort_key, Posting.resource_id).where(
        Posting.tenant_id == plan.tenant_id, Posting.gram == gram, Posting.part == int(part)
    )
    if verify or conditions:
        walk = walk.join(Resource, Resource.id == Posting.resource_id).where(*verify, *conditions)
    if after is not None:
        walk = walk.where(tuple_(Posting.sort_key, Posting.resource_id) > tuple_(*after))
    if plan.second is not None and beside is not None:
        # Every part listed (not left open), so each check is a few seeks of the primary key.
        second = aliased(ResourcePosting)
        walk = walk.where(
            select(second.gram)
            .where(
                second.tenant_id == plan.tenant_id,
                second.gram == plan.second,
                second.part.in_(beside),
                second.sort_key == Posting.sort_key,
                second.resource_id == Posting.resource_id,
            )
            .exists()
        )
    return walk.order_by(Posting.sort_key, Posting.resource_id).limit(limit)


def _exact(plan: _Plan, conditions: list[Any], after: tuple[str, str] | None, limit: int) -> Walk:
    """A longer query as the whole folded name, through the index on it."""
    walk = select(Resource.sort_key, Resource.id).where(
        Resource.tenant_id == plan.tenant_id,
        Resource.search_name == plan.query,
        Resource.status == "active",
        *conditions,
    )
    if after is not None:
        walk = walk.where(tuple_(Resource.sort_key, Resource.id) > tuple_(*after))
    ordered: Walk = walk.order_by(Resource.sort_key, Resource.id).limit(limit)
    return ordered


def _union(arms: list[Walk], limit: int) -> Walk:
    """Walks merged into result order (each already stops at `limit`)."""
    merged = union_all(*(select(*arm.subquery().c) for arm in arms)).subquery()
    ordered: Walk = select(*merged.c).order_by(*merged.c).limit(limit)
    return ordered


async def _load(session: AsyncSession, ids: list[str]) -> list[Resource]:
    if not ids:
        return []
    rows = await session.scalars(select(Resource).where(Resource.id.in_(ids)))
    by_id = {r.id: r for r in rows.all()}
    return [by_id[i] for i in ids if i in by_id]
