"""entries by story: the reports of a story are read for every alert that may grow it

Without an index each read scanned the whole entries table, so every poll cycle that alerted got
slower as the store grew.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_index("ix_entries_story", "entries", ["story"])


def downgrade() -> None:
    op.drop_index("ix_entries_story", table_name="entries")
