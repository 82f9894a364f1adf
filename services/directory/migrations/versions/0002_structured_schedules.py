"""structured schedules (開所日時) and their opening rules for "open now / on a day"

Revision ID: 0002_structured_schedules
Revises: 178dc012a86f
Create Date: 2026-11-23 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_structured_schedules"
down_revision: str | None = "178dc012a86f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedules", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "resource_openings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("resource_id", sa.String(length=120), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("nth", sa.SmallInteger(), nullable=True),
        sa.Column("month_day", sa.SmallInteger(), nullable=True),
        sa.Column("opens_at", sa.String(length=5), nullable=True),
        sa.Column("closes_at", sa.String(length=5), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("closed_on_holidays", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resource_openings", schema=None) as batch_op:
        batch_op.create_index("ix_resource_openings_weekday", ["tenant_id", "weekday"], unique=False)
        batch_op.create_index("ix_resource_openings_month_day", ["tenant_id", "month_day"], unique=False)
        batch_op.create_index("ix_resource_openings_resource", ["resource_id"], unique=False)


def downgrade() -> None:
    op.drop_table("resource_openings")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("schedules")
