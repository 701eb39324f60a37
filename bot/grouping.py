"""Story grouping over the stored window, for every poll of this process.

The grouper is made at its first decision, and before each cycle's first decision it catches up
with the entries other processes stored (this process grouped its own already): a cycle in which
every feed answered 304 reads nothing and analyses nothing.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.stories import StoryFeatures, StoryGrouper
from bot.model import StoryDecision, StoryItem
from bot.store.ports import PipelineStore
from bot.store.rows import RecentEntry

log = logging.getLogger(__name__)

# Stored entries read back per query at a catch-up: a window of 100,000 entries is never held whole
# (as rows they took more memory than the stories they rebuild).
CATCH_UP_BATCH = 2000


class StoryWindow:
    """The stories of the last `window`, as this process's grouper knows them."""

    def __init__(self, store: PipelineStore, window: timedelta) -> None:
        self.store = store
        self.window = window
        self._grouper: StoryGrouper | None = None  # made at the first grouping decision
        self._topic_aliases: dict[tuple[str, ...], None] = {}  # topics' aliases, for the grouper to be
        self._last_entry_id = 0  # the newest stored entry story grouping has seen
        self._due: datetime | None = None  # the cycle time story grouping must catch up to
        self._own_items: set[str] = set()  # items this process grouped since the last catch-up

    @property
    def grouper(self) -> StoryGrouper:
        """Story grouping, made when first needed: a cycle in which every feed answered 304 never
        loads its place tables or the stored window."""
        if self._grouper is None:
            self._grouper = StoryGrouper(window=self.window, aliases=list(self._topic_aliases))
        return self._grouper

    def add_aliases(self, aliases: Sequence[str]) -> None:
        """A topic's aliases (Nordkorea = North Korea) decide which reports are one story."""
        if self._grouper is not None:
            self._grouper.add_aliases(aliases)
        else:
            self._topic_aliases.setdefault(tuple(aliases))

    def catch_up_before_grouping(self, now: datetime) -> None:
        """A cycle at `now` begins: the next grouping decision first catches up with the store."""
        self._due = now

    def group(self, item: StoryItem) -> tuple[StoryDecision, StoryFeatures]:
        """The item's story, and its features (analysed once, to be stored with the entry)."""
        self.ready()
        self._own_items.add(item.id)
        features = self.grouper.analyse(item)
        return self.grouper.assign(item, features), features

    def ready(self) -> None:
        """Catch story grouping up before its first decision of a cycle; a cycle that stores nothing
        (every feed answered 304) never reads the window, so start-up costs nothing per stored entry."""
        if self._due is not None:
            self.catch_up(self._due)
            self._due = None

    def catch_up(self, now: datetime) -> None:
        """Story grouping sees every stored entry of the window: at start-up all of them, later
        those other processes stored (this process grouped its own already).

        Each goes back into the story it was grouped into when stored, from the features stored
        with it: nothing is decided or analysed again, except entries stored before features were
        kept (analysed here, once)."""
        since = now - self.window
        # a rebuild allocates millions of objects and frees few: the cyclic collector's passes over
        # them found nothing and cost about a fifth of its time (14.4 -> 11.6 s CPU for 100,000 entries),
        # so it waits until the rebuild is done
        collecting = gc.isenabled()
        gc.disable()
        try:
            while True:
                batch, newest = self.store.entries_after(
                    since, self._last_entry_id, self._own_items, text_of_analysed=False, limit=CATCH_UP_BATCH
                )
                if newest == self._last_entry_id:
                    break
                self._last_entry_id = newest
                for recent in batch:
                    self._take_back(recent)
        finally:
            if collecting:
                gc.enable()
        self._own_items.clear()

    def _take_back(self, recent: RecentEntry) -> None:
        """A stored entry back into the story it was grouped into (or grouped now, if it has none)."""
        item = recent.story_item()
        features = None
        if recent.story_features is not None:
            try:
                features = StoryFeatures.decode(recent.story_features)
            except ValueError as exc:
                log.warning("entry %d: stored story features unreadable: %s", recent.entry_id, exc)
        if recent.story is None:
            self.grouper.assign(item, features)
        else:
            self.grouper.restore(item, recent.story, features)
