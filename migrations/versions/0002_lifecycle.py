"""lifecycle: per-agency steps on incident_target, outcome and caller confirmation on incident

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TARGET_COLUMNS = [
    ("status_at", sa.DateTime(timezone=True)), ("status_by", sa.BigInteger()), ("status_by_name", sa.String(200)),
    ("acknowledged_at", sa.DateTime(timezone=True)), ("claimed_at", sa.DateTime(timezone=True)),
    ("arrived_at", sa.DateTime(timezone=True)), ("done_at", sa.DateTime(timezone=True)), ("note", sa.Text()),
    ("note_at", sa.DateTime(timezone=True)), ("note_by_name", sa.String(200)),
]
_INCIDENT_COLUMNS = [
    ("outcome", sa.String(20)), ("outcome_note", sa.Text()), ("duplicate_of", sa.String(20)),
    ("closed_at", sa.DateTime(timezone=True)), ("closed_by_name", sa.String(200)), ("confirmation", sa.String(20)),
    ("confirmed_at", sa.DateTime(timezone=True)),
]


def upgrade() -> None:
    with op.batch_alter_table("incident_target") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="pending"))
        for name, type_ in _TARGET_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("incident") as batch:
        for name, type_ in _INCIDENT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.create_index("ix_incident_status", ["status"])


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_index("ix_incident_status")
        for name, _ in reversed(_INCIDENT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("incident_target") as batch:
        for name, _ in reversed(_TARGET_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("status")
