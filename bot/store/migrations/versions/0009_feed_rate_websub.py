"""a feed's estimated publishing rate (shown by `feeds list`) and the WebSub hub it advertises;
one WebSub subscription per feed (hub, topic, secret, state, lease)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("rate_per_hour", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rate_basis", sa.String(20), nullable=True))
        batch.add_column(sa.Column("hub_url", sa.String(2048), nullable=True))
        batch.add_column(sa.Column("topic_url", sa.String(2048), nullable=True))
    op.create_table(
        "websub_subscriptions",
        sa.Column(
            "feed_id",
            sa.Integer(),
            sa.ForeignKey("feeds.id", ondelete="CASCADE", name="fk_websub_subscriptions_feed_id_feeds"),
            nullable=False,
        ),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("hub_url", sa.String(2048), nullable=False),
        sa.Column("topic_url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("feed_id", name="pk_websub_subscriptions"),
        sa.UniqueConstraint("token", name="uq_websub_subscriptions_token"),
    )


def downgrade() -> None:
    op.drop_table("websub_subscriptions")
    with op.batch_alter_table("feeds") as batch:
        for column in ("topic_url", "hub_url", "rate_basis", "rate_per_hour"):
            batch.drop_column(column)
