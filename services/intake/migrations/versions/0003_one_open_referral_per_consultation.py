"""one open referral per consultation

Two referral requests for one consultation at the same moment both got through a read-then-insert
check; the database now holds the rule (a partial unique index over referrals still in
coordination's hands: sent or accepted).

Duplicates the race already made are settled first: of a consultation's open referrals the first
sent stays, the later ones are marked returned with a reason saying so (their cases, if coordination
opened any, are for the coordinator to decline). Each is logged, so the operator can tell the
coordinator which.

Revision ID: 0003_one_open_referral
Revises: 5c2e9a71d0b3
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_one_open_referral"
down_revision: str | None = "5c2e9a71d0b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DUPLICATE_REASON = "同じ相談の重複したつなぎ（同時送信）のため、最初のつなぎを残して差し戻しました。"


def _settle_duplicates() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, consultation_id FROM referrals WHERE status IN ('sent', 'accepted') "
            "ORDER BY consultation_id, referred_at, id"
        )
    ).all()
    seen: set[str] = set()
    for referral_id, consultation_id in rows:
        if consultation_id not in seen:
            seen.add(consultation_id)
            continue
        logging.getLogger("alembic").warning(
            "referral %s duplicates an open referral of consultation %s: marked returned",
            referral_id,
            consultation_id,
        )
        bind.execute(
            sa.text(
                "UPDATE referrals SET status = 'returned', status_reason = :reason, "
                "answered_at = CURRENT_TIMESTAMP WHERE id = :id"
            ),
            {"reason": DUPLICATE_REASON, "id": referral_id},
        )


def upgrade() -> None:
    _settle_duplicates()
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "uq_referrals_open_consultation",
            ["consultation_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('sent', 'accepted')"),
            sqlite_where=sa.text("status IN ('sent', 'accepted')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_referrals_open_consultation",
            postgresql_where=sa.text("status IN ('sent', 'accepted')"),
            sqlite_where=sa.text("status IN ('sent', 'accepted')"),
        )
