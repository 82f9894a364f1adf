"""audit entries appended unlinked, linked by one sequencer

Readers no longer queue on one lock per service to append their audit entry: an entry is inserted
unlinked (no head read, no lock), and the service's sequencer links the committed entries into the
hash chain (`link`: its position; `prev_hash`, `hash`). The existing entries keep their chain, in
the order it was written (link = seq). On PostgreSQL the append-only trigger now lets through one
UPDATE only: the one that links an unlinked entry and leaves its content as it was.

Revision ID: 0003_audit_sequencer
Revises: 0002_outbox_without_leases
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_audit_sequencer"
down_revision: str | None = "0002_outbox_without_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy of shared.audit.APPEND_ONLY_SQL's function at this revision (migrations import no project code).
LINKING_ALLOWED = """
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL
       AND (to_jsonb(NEW) - 'link' - 'prev_hash' - 'hash')
           = (to_jsonb(OLD) - 'link' - 'prev_hash' - 'hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only; % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
NOTHING_ALLOWED = """
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only; % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def _on_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link", sa.Integer(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.VARCHAR(length=64), nullable=True)
    if _on_postgres():
        op.execute(LINKING_ALLOWED)  # first: it lets the linking UPDATE below through
    op.execute("UPDATE audit_log SET link = seq")  # the chain as written, in seq order
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_unlinked",
            ["seq"],
            unique=False,
            sqlite_where=sa.text("link IS NULL"),
            postgresql_where=sa.text("link IS NULL"),
        )
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_link"), ["link"])


def downgrade() -> None:
    unlinked = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_log WHERE link IS NULL")).scalar()
    if unlinked:
        raise RuntimeError(
            f"{unlinked} audit entries are not linked yet: run the service until its sequencer has "
            "linked them, then downgrade"
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_link"), type_="unique")
        batch_op.drop_index(
            "ix_audit_log_unlinked",
            sqlite_where=sa.text("link IS NULL"),
            postgresql_where=sa.text("link IS NULL"),
        )
        batch_op.alter_column("hash", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.VARCHAR(length=64), nullable=False)
    if _on_postgres():
        op.execute(NOTHING_ALLOWED)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("link")
