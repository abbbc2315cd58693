"""an index on delivery.sent_at: at start-up the sender reads what went out in the last minute (its flood budget
was forgotten with the process), without reading the history

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_sent_at", "delivery", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_sent_at", table_name="delivery")
