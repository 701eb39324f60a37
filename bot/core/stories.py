"""Group entries into stories: one story, one thread.

Each new entry is compared with the stories of a recent window (72 h by default) and gets one of
three relations:

* ``same``: another outlet's report of the same news, or an edited version of an entry already seen;
  it joins the story without a new message.
* ``followup``: the same event with a new development (new figures, new people or places, lower
  similarity); it joins the story as a thread reply.
* ``new``: a story of its own; its id is the entry's id.

How an entry is compared:

* Its title, lead (summary) and the start of its text become weighted tokens (`bot.core.story_features`):
  folded, stop words and generic headline words ("Liveblog", "Die Lage am Morgen") dropped, lightly
  stemmed. Places and organisations map to one canonical token across languages (`Nordkorea`,
  `North Korea`, `nordkoreanischen` -> `@nordkorea`; see `bot.core.entities`), figures to one token
  across locales (`10.000` == `10,000`).
* Tokens are weighted by rarity: an IDF estimated online over the stories of the window plus a prior,
  so that a word in every story counts for little. Names (capitalised words inside a sentence), places and
  figures weigh more, title words more than lead words.
* Candidates come from an inverted index (token -> the last stories of the window that took it, a capped
  list), read for the entry's strongest tokens only; no entry is compared with every stored story. They
  are scored in the order of how alike they can be at most, and no further once none can win.
* A candidate's score is the cosine similarity to the story's accumulated profile or to its closest
  member, whichever is higher. An entry joins a story on a high score, or on a moderate one backed by
  more than one shared distinctive token of which at least one is a name, place or figure (a close score
  needs only that; a lower one needs stronger entities or many distinctive tokens; below the merge score
  they must be at least two different entities besides common places: one event name alone, "Hannover
  Messe", however it is written, is not a story). A shared place alone ("Geneva") never merges; nor does
  a shared generic title when the leads share nothing. Common places that are each in many stories but
  together in few ("Russia", "Ukraine" and "Geneva") count as distinctive. Below `SUPPORTED_SCORE` no
  candidate is the story; one name, countries and a few words are not one either (`_thin`). Of the
  candidates the fitted model accepts, the most alike is the entry's story.

Time comes from the entries, never from the clock: an entry without a date takes the newest time seen;
a date far beyond the newest one is not trusted until an entry from another source confirms it; stories whose
last entry is older than the window (relative to the newest time) are forgotten, so memory stays bounded.
The same input in the same order always gives the same decisions.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.core.story_features import EVENT_PREFIX, StoryFeatures, features_of, place_aliases
from bot.core.story_index import _BOUND_SLACK, _plausible
from bot.core.story_model import MODEL, MODEL_PATH, StoryModel
from bot.core.story_scoring import StoryScoring, _Candidate
from bot.model import StoryDecision, StoryItem

__all__ = ["EVENT_PREFIX", "MODEL", "MODEL_PATH", "StoryFeatures", "StoryGrouper", "StoryModel"]


class StoryGrouper(StoryScoring):
    """Assigns entries, in time order, to stories; see the module docstring for how."""

    def __init__(
        self,
        window: timedelta = timedelta(hours=72),
        aliases: Sequence[Sequence[str]] = (),
        model: StoryModel | None = None,
    ) -> None:
        self._aliases = place_aliases()
        self._common = self._aliases.common
        super().__init__(window, pooled=self._common)
        self._model = model or MODEL
        for group in aliases:
            self._aliases.add(group)

    # -- public ---------------------------------------------------------------------------------------

    @property
    def story_count(self) -> int:
        """Stories kept in memory: those of the window."""
        return len(self._stories)

    def add_aliases(self, aliases: Sequence[str]) -> None:
        """Treat every spelling in `aliases` as one name from now on (a topic added later)."""
        self._aliases.add(aliases)

    def analyse(self, item: StoryItem) -> StoryFeatures:
        """What grouping reads of `item`: compute it once, store its `encode()`, pass it to `assign`."""
        return features_of(item, self._aliases)

    def assign(self, item: StoryItem, features: StoryFeatures | None = None) -> StoryDecision:
        """The story of `item` and how it relates to it; the item joins that story."""
        when = self._effective_time(_plausible(item.published), item.source)
        known = self._by_item.get(item.id)
        if known is not None and known in self._stories:
            story = self._stories[known]
            self._touch(story, when)
            self._hold(story)
            return StoryDecision(story=story.id, relation="same", similarity=1.0)

        features = features if features is not None else features_of(item, self._aliases)
        vector = self._vector(features)
        best = self._best_candidate(item, features, vector, when)
        if best is None:
            story = self._new_story(item.id, when)
            self._add_member(story, item, features, vector, when)
            self._hold(story)
            self._evict()
            return StoryDecision(story=story.id, relation="new", similarity=0.0)

        relation = self._relation(item, features, vector, best)
        self._add_member(best.story, item, features, vector, when, best.member_score)
        self._hold(best.story)
        self._evict()
        return StoryDecision(story=best.story.id, relation=relation, similarity=round(best.score, 4))

    def restore(self, item: StoryItem, story_id: str, features: StoryFeatures | None = None) -> None:
        """Put `item` back into the story it was grouped into before (start-up, or another process's
        entry): no candidates are scored, so rebuilding the window costs little per entry."""
        when = self._effective_time(_plausible(item.published), item.source)
        if item.id in self._by_item and self._by_item[item.id] in self._stories:
            self._pending = None
            return
        features = features if features is not None else features_of(item, self._aliases)
        vector = self._vector(features)
        seq = self._by_story.get(story_id)
        story = self._stories.get(seq) if seq is not None else None
        if story is None:
            story = self._new_story(story_id, when)
        self._add_member(story, item, features, vector, when)
        self._hold(story)
        self._evict()

    def explain(self, item: StoryItem) -> list[tuple[str, float, dict[str, float]]]:
        """The candidate stories of `item` (story id, probability, features), best first, without
        assigning it: what `newsbot stories --explain` prints and `scripts/fit_stories.py` fits on.
        The window's clock moves on as it would for `assign`; the entry joins no story."""
        when = self._effective_time(_plausible(item.published), item.source)
        self._pending = None
        features = features_of(item, self._aliases)
        vector = self._vector(features)
        found = [c for c in self._scored(item, features, vector, when)]
        found.sort(key=lambda c: (-c.probability, c.story.seq))
        return [(c.story.id, c.probability, c.features) for c in found]

    def _best_candidate(
        self, item: StoryItem, features: StoryFeatures, vector: dict[str, float], when: datetime | None
    ) -> _Candidate | None:
        """The most alike of the candidate stories the model accepts. Candidates are scored in the order
        of how alike they can be at most (`_bound`); once that is below the best score so far, no later
        one can win, so they are not scored."""
        bounded = sorted(
            (
                (-self._bound(vector, story), story.seq, story)
                for story in self._live_candidates(vector, features.lang, when)
            ),
            key=operator.itemgetter(0, 1),
        )
        best: _Candidate | None = None
        threshold = self._model.threshold
        for negative_bound, _, story in bounded:
            if best is not None and -negative_bound + _BOUND_SLACK < best.score:
                break
            candidate = self._score(item, features, vector, story, when)
            if candidate is None or candidate.probability < threshold:
                continue
            if best is None or (candidate.score, -story.seq) > (best.score, -best.story.seq):
                best = candidate
        return best

    def _scored(
        self, item: StoryItem, features: StoryFeatures, vector: dict[str, float], when: datetime | None
    ) -> Iterable[_Candidate]:
        for story in self._live_candidates(vector, features.lang, when):
            candidate = self._score(item, features, vector, story, when)
            if candidate is not None:
                yield candidate
