"""desk fixes: a notice that threads under its agency's card resolves that card when it is sent; a step or a note
the desk recorded for an agency is marked as such (the phrase is rendered in the reader's language)

Revision ID: 0011
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("reply_to_card", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("incident_target") as batch:
        batch.add_column(sa.Column("status_by_desk", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("note_by_desk", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("incident_target") as batch:
        batch.drop_column("note_by_desk")
        batch.drop_column("status_by_desk")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("reply_to_card")
