"""contact attempts from outreach

Outreach's `ContactLost` becomes progress notes (支援経過記録) of kind contact_attempt, and its
`ContactResumed` a note that the person was reached. `progress_notes` gains:
- `source_key`: the fact a note records when it comes from another service's event
  ('outreach:attempt:<attempt id>', 'outreach:reached:<day>'); NULL for notes typed in by staff;
- a unique key (tenant_id, case_id, source_key): a redelivered or re-published event, under a new
  envelope id, adds no second note (NULLs stay distinct, so staff's notes are not touched);
- no foreign key from case_id to cases any more: an event may name a case before coordination has
  opened it, and its notes wait for it (they show only on a case of the same tenant).

Downgrade puts the foreign key back, so it first deletes the notes of cases that do not exist.

Revision ID: 0013_outreach_contact_attempts
Revises: 0012_support_meeting_members
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# alembic_version.version_num is VARCHAR(32): the id is shorter than the file's name.
revision: str = "0013_outreach_contact_attempts"
down_revision: str | None = "0012_support_meeting_members"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("progress_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_progress_notes_tenant_id_case_id_source_key"),
            ["tenant_id", "case_id", "source_key"],
        )
        batch_op.drop_constraint(batch_op.f("fk_progress_notes_case_id_cases"), type_="foreignkey")


def downgrade() -> None:
    op.execute("DELETE FROM progress_notes WHERE case_id NOT IN (SELECT id FROM cases)")
    with op.batch_alter_table("progress_notes", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_progress_notes_case_id_cases"), "cases", ["case_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("uq_progress_notes_tenant_id_case_id_source_key"), type_="unique")
        batch_op.drop_column("source_key")
