"""windows as a read model of the resource directory

Revision ID: 5c2e9a71d0b3
Revises: 8e4fc3440ed0
Create Date: 2026-11-23 13:40:00.000000

Windows now come from the directory's events: their code is the directory's resource id (up to 120
characters), they keep the version of the entry they reflect, the phone's extension apart, and an
operator that some entries do not name. The windows intake used to seed itself (codes `<tenant>-W01`
and so on) are closed, not deleted: consultations point at them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c2e9a71d0b3"
down_revision: str | None = "8e4fc3440ed0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The hard-coded reference windows of revision 0001's era, now superseded by the directory's entries.
SEEDED_CODES = (
    "016314-W01",
    "016314-W02",
    "016314-W03",
    "016314-W04",
    "016314-W05",
    "016314-W06",
    "223417-W01",
)


def upgrade() -> None:
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extension", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("resource_version", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.alter_column(
            "code", existing_type=sa.String(length=40), type_=sa.String(length=120), existing_nullable=False
        )
        batch_op.alter_column("operator_name", existing_type=sa.String(length=200), nullable=True)
        batch_op.alter_column("operator_id", existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column("operation", existing_type=sa.String(length=20), nullable=True)
        batch_op.alter_column(
            "catchment", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=True
        )
    for table in ("consultations", "referrals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "window_code",
                existing_type=sa.String(length=40),
                type_=sa.String(length=120),
                existing_nullable=False,
            )
    windows = sa.table("windows", sa.column("code", sa.String()), sa.column("active", sa.Boolean()))
    op.execute(windows.update().where(windows.c.code.in_(SEEDED_CODES)).values(active=False))


def downgrade() -> None:
    for table in ("referrals", "consultations"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "window_code",
                existing_type=sa.String(length=120),
                type_=sa.String(length=40),
                existing_nullable=False,
            )
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.alter_column(
            "catchment", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=True
        )
        batch_op.alter_column("operation", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("operator_id", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("operator_name", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column(
            "code", existing_type=sa.String(length=120), type_=sa.String(length=40), existing_nullable=False
        )
        batch_op.drop_column("resource_version")
        batch_op.drop_column("extension")
