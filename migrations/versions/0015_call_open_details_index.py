"""ix_call_open_details: a person's call in a chat still waiting for its phone or note is found through an index.
Every /lapor closes it and every text the desk sends looks for it; without the index both read the whole call
log, which only grows (calls are kept for the statistics)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_call_open_details", "call", ["chat_id", "created_by", "details_open"])


def downgrade() -> None:
    op.drop_index("ix_call_open_details", table_name="call")
