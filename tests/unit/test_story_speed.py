"""Story grouping's shortcuts decide nothing: scoring candidates in the order of their bound and
stopping once none can win gives the decisions of scoring every candidate of the window."""

from __future__ import annotations

from datetime import datetime

from bench.stories import synthetic
from bot.core.stories import StoryGrouper
from bot.core.story_features import StoryFeatures
from bot.core.story_scoring import _Candidate
from bot.model import StoryItem


class EveryCandidate(StoryGrouper):
    """The same grouper, scoring every story of the window that shares a token with the entry."""

    def _candidates(self, vector: dict[str, float], lang: str = "") -> list:  # type: ignore[override]
        return list(self._stories.values())

    def _best_candidate(
        self, item: StoryItem, features: StoryFeatures, vector: dict[str, float], when: datetime | None
    ) -> _Candidate | None:
        best: _Candidate | None = None
        for candidate in self._scored(item, features, vector, when):
            if candidate.probability < self._model.threshold:
                continue
            if best is None or (candidate.score, -candidate.story.seq) > (best.score, -best.story.seq):
                best = candidate
        return best


class EveryIndexedCandidate(EveryCandidate):
    """Every candidate the index finds, all scored."""

    _candidates = StoryGrouper._candidates  # type: ignore[assignment]


def test_the_bound_skips_only_candidates_that_cannot_win() -> None:
    entries = synthetic(1500, seed=3)
    pruned, exhaustive = StoryGrouper(), EveryIndexedCandidate()
    for entry in entries:
        assert pruned.assign(entry) == exhaustive.assign(entry)


def test_the_index_finds_the_story_a_scan_of_every_story_finds_for_nearly_every_entry() -> None:
    # the index looks at the few best overlaps only: a heuristic, so nearly every entry, not every one
    entries = synthetic(600, seed=5)
    indexed, scan = StoryGrouper(), EveryCandidate()
    same = sum(indexed.assign(entry).story == scan.assign(entry).story for entry in entries)
    assert same >= 0.99 * len(entries)
