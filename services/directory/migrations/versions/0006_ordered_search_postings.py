"""ordered search postings: every character and pair of characters of an entry's folded text, under
the best part it reaches (exact name, name prefix, name or reading, other text), keyed in result
order; the folded name and reading and the reading's sort key kept on the entry; descriptions and the
entry's other text now searched. The postings of the existing entries are built here.

Revision ID: 0006_ordered_search_postings
Revises: 0005_audit_sequencer
Create Date: 2026-12-02 01:06:25
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ordered_search_postings"
down_revision: str | None = "0005_audit_sequencer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SortKeyText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

# The folding, grams, parts and sort key as they were written when this revision was: a migration
# is frozen history, so it keeps its own copy rather than importing today's code.
FIELD_WORDS = {
    "elderly_care": "介護 高齢者",
    "disability": "障がい 障害",
    "children": "子ども 子育て",
    "hardship": "生活困窮",
    "other": "",
}
EXACT, PREFIX, NAME, OTHER = 0, 1, 2, 3
_SPACE = re.compile(r"\s+")


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)
    text = "".join(chr(ord(c) + 0x60) if 0x3041 <= ord(c) <= 0x3096 else c for c in text)
    return _SPACE.sub("", text).lower()


def _grams(text: str) -> set[str]:
    found: set[str] = set()
    for part in text.split("\n"):
        found.update(part)
        found.update(part[i : i + 2] for i in range(len(part) - 1))
    return found


def _postings(name: str, reading: str, other: str) -> dict[str, int]:
    best = dict.fromkeys(_grams(other), OTHER)
    best.update(dict.fromkeys(_grams(name) | _grams(reading), NAME))
    if name:
        best[name[:1]] = PREFIX
        best[name[:2]] = PREFIX
    if 0 < len(name) <= 2:
        best[name] = EXACT
    return best


def _sort_key(reading: str) -> str:
    out = []
    for ch in reading:
        if 0x30A1 <= ord(ch) <= 0x30FC:
            out.append(chr(ord(ch) - 0x30A1 + 0x21))
        else:
            out.append(" " if ch == " " else "~" + ch)
    return "".join(out)


def _other_text(row: Any, organisation: Any) -> str:
    accepts = row.accepts or {}
    parts: Iterable[str | None] = [
        row.description,
        row.program,
        organisation.name if organisation else None,
        organisation.name_kana if organisation else None,
        row.responsible_section,
        row.address,
        row.schedule,
        FIELD_WORDS.get(row.field, ""),
        *(a.get("name") for a in row.areas or []),
        *accepts.get("conditions", []),
        *accepts.get("accessibility", []),
    ]
    folded = (_fold(p) for p in parts if p)
    return "\n".join(p for p in folded if p)


resources = sa.table(
    "resources",
    sa.column("id", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("organization_id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_kana", sa.String),
    sa.column("field", sa.String),
    sa.column("responsible_section", sa.String),
    sa.column("program", sa.String),
    sa.column("description", sa.Text),
    sa.column("address", sa.String),
    sa.column("schedule", sa.String),
    sa.column("areas", sa.JSON),
    sa.column("accepts", sa.JSON),
    sa.column("status", sa.String),
    sa.column("search_name", sa.Text),
    sa.column("search_reading", sa.Text),
    sa.column("search_text", sa.Text),
    sa.column("sort_key", sa.Text),
)
organizations = sa.table(
    "organizations",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_kana", sa.String),
)
postings = sa.table(
    "resource_postings",
    sa.column("tenant_id", sa.String),
    sa.column("gram", sa.String),
    sa.column("part", sa.SmallInteger),
    sa.column("sort_key", sa.Text),
    sa.column("resource_id", sa.String),
)


def _build_postings() -> None:
    """Every existing entry's folded texts and sort key; the postings of the active ones."""
    bind = op.get_bind()
    named = {o.id: o for o in bind.execute(sa.select(organizations)).all()}
    rows = bind.execute(sa.select(resources)).all()
    batch: list[dict[str, Any]] = []
    for row in rows:
        name, reading = _fold(row.name), _fold(row.name_kana)
        other = _other_text(row, named.get(row.organization_id))
        key = _sort_key(row.name_kana)
        bind.execute(
            resources.update()
            .where(resources.c.id == row.id)
            .values(search_name=name, search_reading=reading, search_text=other, sort_key=key)
        )
        if row.status != "active":
            continue
        batch.extend(
            {"tenant_id": row.tenant_id, "gram": g, "part": p, "sort_key": key, "resource_id": row.id}
            for g, p in sorted(_postings(name, reading, other).items())
        )
        if len(batch) >= 5000:
            bind.execute(postings.insert(), batch)
            batch = []
    if batch:
        bind.execute(postings.insert(), batch)


def upgrade() -> None:
    op.create_table(
        "resource_postings",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("part", sa.SmallInteger(), nullable=False),
        sa.Column("sort_key", SortKeyText, nullable=False),
        sa.Column("resource_id", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "gram", "part", "sort_key", "resource_id", name=op.f("pk_resource_postings")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("search_reading", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sort_key", SortKeyText, nullable=True))
    _build_postings()
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.alter_column("search_name", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("search_reading", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("sort_key", existing_type=SortKeyText, nullable=False)
        batch_op.create_index("ix_resources_search_name", ["tenant_id", "search_name"], unique=False)
    with op.batch_alter_table("resource_postings", schema=None) as batch_op:
        batch_op.create_index("ix_resource_postings_resource", ["resource_id"], unique=False)
    with op.batch_alter_table("resource_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_terms_resource"))
    op.drop_table("resource_terms")


def downgrade() -> None:
    """Back to one posting per character of the whole folded text (name, reading, other text)."""
    op.create_table(
        "resource_terms",
        sa.Column("tenant_id", sa.VARCHAR(length=6), nullable=False),
        sa.Column("gram", sa.VARCHAR(length=4), nullable=False),
        sa.Column("resource_id", sa.VARCHAR(length=120), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "gram", "resource_id", name=op.f("pk_resource_terms")),
    )
    with op.batch_alter_table("resource_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_terms_resource"), ["resource_id"], unique=False)
    bind = op.get_bind()
    terms = sa.table("resource_terms", sa.column("tenant_id"), sa.column("gram"), sa.column("resource_id"))
    for row in bind.execute(sa.select(resources)).all():
        whole = "\n".join(p for p in (row.search_name, row.search_reading, row.search_text) if p)
        bind.execute(resources.update().where(resources.c.id == row.id).values(search_text=whole))
        chars = sorted({c for c in whole if c != "\n"})
        if row.status == "active" and chars:
            bind.execute(
                terms.insert(),
                [{"tenant_id": row.tenant_id, "gram": c, "resource_id": row.id} for c in chars],
            )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_search_name")
        batch_op.drop_column("sort_key")
        batch_op.drop_column("search_reading")
        batch_op.drop_column("search_name")
    with op.batch_alter_table("resource_postings", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_postings_resource")
    op.drop_table("resource_postings")
