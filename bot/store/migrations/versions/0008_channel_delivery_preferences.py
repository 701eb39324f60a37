"""channel delivery preferences and subscription language: quiet hours, digests, time zone, --lang;
a feed's category (OPML folder), its declared ttl (kept for the polls that answer 304) and whether
its article pages are fetched for the full text; an index of alerts by parent (a parent's edits)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("quiet_start", sa.String(5), nullable=True))
        batch.add_column(sa.Column("quiet_end", sa.String(5), nullable=True))
        batch.add_column(sa.Column("digest", sa.String(10), nullable=True))
        batch.add_column(sa.Column("digest_at", sa.String(5), nullable=True))
        batch.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("lang", sa.String(10), nullable=True))
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("category", sa.String(200), nullable=True))
        batch.add_column(sa.Column("ttl_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("full_text", sa.String(10), nullable=True))
    op.create_index("ix_alerts_parent_id", "alerts", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_parent_id", table_name="alerts")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("full_text")
        batch.drop_column("ttl_seconds")
        batch.drop_column("category")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("lang")
    with op.batch_alter_table("channel_settings") as batch:
        for column in ("last_digest_at", "digest_at", "digest", "quiet_end", "quiet_start", "timezone"):
            batch.drop_column(column)
