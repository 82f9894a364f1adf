"""outbox without leases

The relay no longer claims rows with a lease (a claimed row's lease let newer rows overtake it): it
publishes from the oldest unpublished row in order, one relay at a time per service.

Revision ID: 0004_outbox_without_leases
Revises: 0003_one_open_referral
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_without_leases"
down_revision: str | None = "0003_one_open_referral"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
        batch_op.drop_column("claimed_until")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=64), nullable=True))
