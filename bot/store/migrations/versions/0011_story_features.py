"""story features: what story grouping reads of an entry, computed once at ingest and stored

Entries stored before this migration have none; `newsbot db upgrade` analyses those of the story
window (with a progress bar), and story grouping analyses any left over when it reads them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("story_features", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("story_features")
