"""BMKG feeds and forum topics: one row per earthquake event (its first time and coordinates, unique; its latest
time and place, by which a revision that moves it is found; what each feed said last), the state of
every feed (last good poll, last error, validators for conditional requests) and the CAP warnings already posted;
an agency's binding may be a topic of a forum supergroup (thread_id, 0 = the whole group), so that several agencies
share one chat

Revision ID: 0010
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agency_group") as batch:
        batch.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0"))
        batch.drop_constraint("uq_agency_group_chat_id", type_="unique")
        batch.create_unique_constraint("uq_agency_group_chat_thread", ["chat_id", "thread_id"])
    op.create_table(
        "bmkg_quake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(80), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("magnitude", sa.Float(), nullable=False),
        sa.Column("depth_km", sa.Float(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("feed_fingerprints", sa.JSON(), nullable=False),
        sa.Column("felt", sa.String(500), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_bmkg_quake_incident_id_incident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bmkg_quake")),
        sa.UniqueConstraint("event_key", name=op.f("uq_bmkg_quake_event_key")),
    )
    op.create_index(op.f("ix_bmkg_quake_event_at"), "bmkg_quake", ["event_at"])
    op.create_table(
        "feed_state",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("etag", sa.String(200), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feed_state")),
    )
    op.create_table(
        "cap_alert",
        sa.Column("identifier", sa.String(200), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identifier", name=op.f("pk_cap_alert")),
    )


def downgrade() -> None:
    op.drop_table("cap_alert")
    op.drop_table("feed_state")
    op.drop_index(op.f("ix_bmkg_quake_event_at"), table_name="bmkg_quake")
    op.drop_table("bmkg_quake")
    op.execute("DELETE FROM agency_group WHERE thread_id <> 0")  # topic bindings cannot exist without the column
    with op.batch_alter_table("agency_group") as batch:
        batch.drop_constraint("uq_agency_group_chat_thread", type_="unique")
        batch.create_unique_constraint("uq_agency_group_chat_id", ["chat_id"])
        batch.drop_column("thread_id")
