"""desk fixes: a notice that threads under its agency's card resolves that card when it is sent; a step or a note
the desk recorded for an agency is marked as such (the phrase is rendered in the reader's language)

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (a constant default): SQLite need not copy the tables, whose rows others reference.
    op.add_column("delivery", sa.Column("reply_to_card", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("incident_target", sa.Column("status_by_desk", sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.add_column("incident_target", sa.Column("note_by_desk", sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    # Steps /catat recorded before this revision kept the phrase in the name: the name alone, and the mark.
    for phrase in ("dicatat Call Center: ", "recorded by Call Center: "):
        op.execute(sa.text(
            "UPDATE incident_target SET status_by_desk = :yes, status_by_name = substr(status_by_name, :start) "
            "WHERE status_by_name LIKE :pattern").bindparams(yes=True, start=len(phrase) + 1, pattern=phrase + "%"))
        op.execute(sa.text(
            "UPDATE incident_target SET note_by_desk = :yes, note_by_name = substr(note_by_name, :start) "
            "WHERE note_by_name LIKE :pattern").bindparams(yes=True, start=len(phrase) + 1, pattern=phrase + "%"))


def downgrade() -> None:
    with op.batch_alter_table("incident_target") as batch:
        batch.drop_column("note_by_desk")
        batch.drop_column("status_by_desk")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("reply_to_card")
