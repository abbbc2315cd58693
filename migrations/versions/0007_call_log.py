"""call log: every call the desk took (pranks, silent calls, information, …, and reports as "darurat")

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details_open", sa.Boolean(), nullable=False),
        sa.Column("phone_removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_call_incident_id_incident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("source_key", name=op.f("uq_call_source_key")),
    )
    op.create_index(op.f("ix_call_called_at"), "call", ["called_at"])
    op.create_index(op.f("ix_call_incident_id"), "call", ["incident_id"])
    op.create_index("ix_call_phone_called_at", "call", ["phone", "called_at"])


def downgrade() -> None:
    op.drop_index("ix_call_phone_called_at", table_name="call")
    op.drop_index(op.f("ix_call_incident_id"), table_name="call")
    op.drop_index(op.f("ix_call_called_at"), table_name="call")
    op.drop_table("call")
