"""The store: SQLAlchemy 2 over SQLite (default, WAL mode) or PostgreSQL.

`Store` is the aggregates' tables in one object (feeds, entries and stories, outbox, channels),
each in its own module; the rows it exchanges are in `rows.py`, the ports it satisfies in
`ports.py`. Every method is one short transaction; the pipeline's write of a poll's entries and
the alerts they cause is a single transaction (`record_poll`), so a crash never leaves half of it
behind. Rows leave the store as plain dataclasses, never as SQLAlchemy objects.
"""

from __future__ import annotations

from bot.store.channels import SQLChannelStore
from bot.store.entries import SQLEntryStore
from bot.store.feeds import SQLFeedStore
from bot.store.outbox import SQLOutboxStore


class Store(SQLFeedStore, SQLEntryStore, SQLOutboxStore, SQLChannelStore):
    """The whole store on one engine: what the runtime builds and hands to every part."""
