"""district gazetteer (地区・学区の台帳): districts and the address table per municipality

Revision ID: 0003_district_gazetteer
Revises: 0002_structured_schedules
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_district_gazetteer"
down_revision: str | None = "0002_structured_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gazetteers",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_gazetteers")),
    )
    op.create_table(
        "districts",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("reading", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_districts")),
    )
    op.create_table(
        "district_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("town_key", sa.String(length=100), nullable=False),
        sa.Column("chome_from", sa.SmallInteger(), nullable=True),
        sa.Column("chome_to", sa.SmallInteger(), nullable=True),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("district_key", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_addresses")),
    )
    with op.batch_alter_table("district_addresses", schema=None) as batch_op:
        batch_op.create_index("ix_district_addresses_town", ["tenant_id", "town_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("district_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_district_addresses_town")
    op.drop_table("district_addresses")
    op.drop_table("districts")
    op.drop_table("gazetteers")
