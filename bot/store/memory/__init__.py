"""The store in memory: plain dicts and lists with the SQL store's semantics, for unit tests.

It satisfies the ports (`ports.py`) the pipeline, the deliverer and the commands use, so those can
be tested without a database. Rows are kept as dicts of the SQL tables' columns; what a unique key
or a foreign key does there (a repeated write is a no-op, a removed feed takes its entries along)
is done here by hand. One process holds it, so it is the only deliverer of every channel.
"""

from __future__ import annotations

from bot.store.memory.channels import MemoryChannels
from bot.store.memory.entries import MemoryEntries
from bot.store.memory.feeds import MemoryFeeds
from bot.store.memory.outbox import MemoryOutbox

__all__ = ["MemoryStore"]


class MemoryStore(MemoryFeeds, MemoryEntries, MemoryOutbox, MemoryChannels):
    """Feeds, entries, the outbox, channels and feedback in memory; ids grow with every row written."""
