"""incident.status holds 'awaiting_confirmation' (21 characters): widen it to 30

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.alter_column("status", type_=sa.String(30), existing_type=sa.String(20), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.alter_column("status", type_=sa.String(20), existing_type=sa.String(30), existing_nullable=False)
