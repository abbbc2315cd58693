"""follow-ups as rows, snooze, reply targets for notices, scheduled runs, shift check-ins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("agency_key", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_followup_incident_id_incident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup")),
    )
    op.create_index("ix_followup_due", "followup", ["status", "due_at"])
    op.create_index(op.f("ix_followup_incident_id"), "followup", ["incident_id"])
    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("period_key", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_run")),
    )
    op.create_index("uq_scheduled_run_kind_period", "scheduled_run", ["kind", "period_key"], unique=True)
    op.create_table(
        "shift_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("person_name", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_checkin")),
    )
    op.create_index(op.f("ix_shift_checkin_person_id"), "shift_checkin", ["person_id"])
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("reply_to_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("reply_to_message_id")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("snoozed_until")
    op.drop_index(op.f("ix_shift_checkin_person_id"), table_name="shift_checkin")
    op.drop_table("shift_checkin")
    op.drop_index("uq_scheduled_run_kind_period", table_name="scheduled_run")
    op.drop_table("scheduled_run")
    op.drop_index(op.f("ix_followup_incident_id"), table_name="followup")
    op.drop_index("ix_followup_due", table_name="followup")
    op.drop_table("followup")
