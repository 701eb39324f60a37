"""Benchmark: story grouping of 100,000 entries over a 72 h window, against a naive baseline in the same run.

    .venv/bin/python bench/stories.py [--entries 100000] [--baseline-sample 2000] [--seed 7]

Story features are computed once per entry, as at ingest (where they are stored with the entry); the
analysis rate is printed apart, and grouping is timed on the analysed entries.

Entries are synthetic but realistic: real items (title and teaser) of the feed corpus in
tests/fixtures/feeds, re-published by other "outlets" with perturbed headlines (a word dropped, words
swapped, an outlet prefix, a teaser cut short), spread over 72 hours in time order. About a third of the
entries are fresh items, the rest re-reports of an item already seen, so that stories have several
members, as they do in the wild. Once the corpus is used up, a fresh item pairs one item's headline
with another's teaser.

The baseline is the same grouper with the candidate index switched off: each entry is compared with
every story of the window. It is timed on the first `--baseline-sample` entries when that is fewer than
all (its cost grows with the number of stories), and the indexed grouper is timed on the same sample too.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from bot.core.stories import StoryFeatures, StoryGrouper
from bot.core.story_index import _Story
from bot.core.text import clean_text
from bot.model import StoryItem

FEEDS = Path(__file__).parents[1] / "tests" / "fixtures" / "feeds"
START = datetime(2026, 2, 15, tzinfo=UTC)
WINDOW = timedelta(hours=72)
PREFIXES = ("", "", "", "Update: ", "Live: ", "Exclusive: ", "Analysis: ", "Breaking: ")


class NaiveStoryGrouper(StoryGrouper):
    """The same decisions, but every live story is a candidate: no index."""

    def _candidates(self, vector: dict[str, float], lang: str = "") -> Iterable[_Story]:
        return list(self._stories.values())


def corpus() -> list[tuple[str, str]]:
    """(title, teaser) of every item of the fixture feeds."""
    items: list[tuple[str, str]] = []
    for path in sorted(FEEDS.rglob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        for entry in parsed.entries:
            title = clean_text(str(entry.get("title") or ""))
            summary = clean_text(str(entry.get("summary") or ""))[:600]
            if title:
                items.append((title, summary))
    return items


def perturb(title: str, rng: random.Random) -> str:
    words = title.split()
    choice = rng.random()
    if len(words) > 4 and choice < 0.3:
        del words[rng.randrange(len(words))]
    elif len(words) > 4 and choice < 0.5:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return rng.choice(PREFIXES) + " ".join(words)


def synthetic(count: int, seed: int) -> list[StoryItem]:
    rng = random.Random(seed)
    base = corpus()
    rng.shuffle(base)
    seconds = sorted(rng.uniform(0, WINDOW.total_seconds()) for _ in range(count))
    made: list[tuple[str, str]] = []  # the fresh items so far
    entries: list[StoryItem] = []
    for number, offset in enumerate(seconds):
        if len(made) < 10 or rng.random() < 0.35:
            if len(made) < len(base):
                title, summary = base[len(made)]
            else:
                # the corpus is used up: one item's headline with another's teaser, a new pairing
                title, summary = rng.choice(base)[0], rng.choice(base)[1]
            made.append((title, summary))
        else:
            # a re-report of a recent item (stories cluster in time)
            title, summary = made[max(0, len(made) - 1 - int(rng.expovariate(1 / 40)))]
            title = perturb(title, rng)
            if summary and rng.random() < 0.5:
                summary = summary[: max(40, len(summary) // 2)]
        entries.append(
            StoryItem(
                id=f"e{number}",
                title=title,
                summary=summary,
                published=START + timedelta(seconds=offset),
                source=f"outlet{rng.randrange(40)}.example",
            )
        )
    return entries


def analysed(entries: Sequence[StoryItem]) -> tuple[list[StoryFeatures], float]:
    """Each entry's story features, computed once as at ingest (and stored there); entries/s."""
    grouper = StoryGrouper(window=WINDOW)
    started = time.perf_counter()
    features = [grouper.analyse(entry) for entry in entries]
    return features, len(entries) / (time.perf_counter() - started)


def timed(
    grouper: StoryGrouper, entries: Sequence[StoryItem], features: Sequence[StoryFeatures]
) -> tuple[float, float, int]:
    """(entries per second of wall time, of the process's CPU time, stories made), grouping entries whose
    features were computed at ingest. The CPU rate is what other work on a shared machine does not
    decide."""
    started, cpu = time.perf_counter(), time.process_time()
    stories = sum(
        grouper.assign(entry, analysed).relation == "new"
        for entry, analysed in zip(entries, features, strict=True)
    )
    elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu
    return len(entries) / elapsed, len(entries) / cpu_elapsed, stories


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    entries = synthetic(args.entries, args.seed)
    print(
        f"{len(entries)} entries over {WINDOW.total_seconds() / 3600:.0f} h from {len(corpus())} real items"
    )
    features, analysis_rate = analysed(entries)
    print(f"analysis (once per entry, at ingest):      {analysis_rate:8.0f} entries/s")

    rate, cpu_rate, stories = timed(StoryGrouper(window=WINDOW), entries, features)
    print(
        f"indexed grouper, all {len(entries):>6} entries: {rate:8.0f} entries/s "
        f"({cpu_rate:.0f}/s of CPU time, {stories} stories)"
    )

    count = args.baseline_sample or len(entries)
    sample, sample_features = entries[:count], features[:count]
    indexed_rate, indexed_cpu, indexed_stories = timed(StoryGrouper(window=WINDOW), sample, sample_features)
    naive_rate, naive_cpu, naive_stories = timed(NaiveStoryGrouper(window=WINDOW), sample, sample_features)
    first = f"first {len(sample):>6} entries"
    print(
        f"indexed grouper, {first}: {indexed_rate:8.0f} entries/s "
        f"({indexed_cpu:.0f}/s of CPU time, {indexed_stories} stories)"
    )
    print(
        f"naive baseline,  {first}: {naive_rate:8.0f} entries/s "
        f"({naive_cpu:.0f}/s of CPU time, {naive_stories} stories)"
    )
    print(f"speed-up on the sample: {indexed_rate / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
