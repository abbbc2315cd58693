"""statistics roll-ups: counts and response-time histograms per WIT day, filled by the bot (rebuilt at start-up
when empty or built for other rules, or with `sigap112 stats rebuild`); indexes so the sweeps and the open
reports read what is due or open, not the history

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "dimension", "key", name="pk_stats_count"))
    op.create_table(
        "stats_response",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("inside", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agency", "measure", "bucket", name="pk_stats_response"))
    op.create_table(
        "stats_response_month",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("inside", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agency", "measure", "bucket", name="pk_stats_response_month"))
    op.create_table(
        "stats_state",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stats_state"))


def downgrade() -> None:
    op.drop_table("stats_state")
    op.drop_table("stats_response_month")
    op.drop_table("stats_response")
    op.drop_table("stats_count")
