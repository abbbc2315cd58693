"""media: photos, videos, voice notes, audio and documents on incidents; albums gathered by a timer row;
/lampir's target

Revision ID: 0008
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_album",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("agency_key", sa.String(40), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_media_album_incident_id_incident")),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], name=op.f("fk_media_album_draft_id_draft")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_album")),
        sa.UniqueConstraint("chat_id", "media_group_id", name="uq_media_album_group"),
    )
    op.create_index(op.f("ix_media_album_due_at"), "media_album", ["due_at"])
    op.create_table(
        "media_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("album_id", sa.Integer(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("file_id", sa.String(255), nullable=False),
        sa.Column("file_unique_id", sa.String(100), nullable=True),
        sa.Column("mime_type", sa.String(100), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("agency_key", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_media_item_incident_id_incident")),
        sa.ForeignKeyConstraint(["album_id"], ["media_album.id"], name=op.f("fk_media_item_album_id_media_album")),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], name=op.f("fk_media_item_draft_id_draft")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_item")),
        sa.UniqueConstraint("source_chat_id", "source_message_id", name="uq_media_item_source"),
    )
    op.create_index(op.f("ix_media_item_incident_id"), "media_item", ["incident_id"])
    op.create_index(op.f("ix_media_item_album_id"), "media_item", ["album_id"])
    op.create_index(op.f("ix_media_item_draft_id"), "media_item", ["draft_id"])
    op.create_table(
        "media_attach",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_media_attach_incident_id_incident")),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_media_attach")),
    )


def downgrade() -> None:
    op.drop_table("media_attach")
    op.drop_index(op.f("ix_media_item_draft_id"), table_name="media_item")
    op.drop_index(op.f("ix_media_item_album_id"), table_name="media_item")
    op.drop_index(op.f("ix_media_item_incident_id"), table_name="media_item")
    op.drop_table("media_item")
    op.drop_index(op.f("ix_media_album_due_at"), table_name="media_album")
    op.drop_table("media_album")
