"""channel settings for learning from feedback and for breaking-story notices; feedback looked up
by alert
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(sa.Column("learn", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("breaking", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_feedback_channel_topic", "feedback", ["channel", "topic"])


def downgrade() -> None:
    op.drop_index("ix_feedback_channel_topic", table_name="feedback")
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("breaking")
        batch.drop_column("learn")
