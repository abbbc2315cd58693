"""incident.version: raised by one at every change that re-renders the cards. A copy sent while its incident changed
is edited once it is recorded when the version it was rendered from is no longer the incident's (updated_at was
compared before: two changes in one BMKG poll, or in any use case that shares one clock reading, wrote the same
time, and a copy on its way kept the first one's text); bmkg_quake.shakemap: the shakemap whose picture was sent
(the incident may come from a feed that does not name it; the first copy that does sends it). Quakes seen before
are marked "?", taken as sent: an upgrade sends no picture twice

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("bmkg_quake") as batch:
        batch.add_column(sa.Column("shakemap", sa.String(200), nullable=True))
    op.execute("UPDATE bmkg_quake SET shakemap = '?'")


def downgrade() -> None:
    with op.batch_alter_table("bmkg_quake") as batch:
        batch.drop_column("shakemap")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("version")
