"""Benchmark: topic matching of many stories against many topics, against a naive rapidfuzz loop.

    .venv/bin/python bench/match.py [--stories 10000] [--topics 1000] [--sample 100] [--workers -1]
                                    [--repeat 3]

The corpus is synthetic and deterministic: a vocabulary from the words of tests/fixtures (real
German and English news text) plus generated German- and English-looking words and names, drawn
with a Zipf-like frequency; stories have a headline, a summary and a short text like feed items.
Topics are drawn from the same vocabulary (names, compounds, two-word phrases, aliases, +/- terms),
so many stories share words with many topics.

The baseline is what one would write first: for every story and topic, rapidfuzz's
`fuzz.partial_ratio(topic, story)` in a Python double loop; it is timed on a sample of stories
and extrapolated. Prints comparisons (story × topic pairs) per second for both and the ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rapidfuzz import fuzz

from bot.core.matching import match_batch, match_sparse, parse_topic
from bot.core.text import is_stop_word
from bot.model import Article, MatchResult, TopicQuery

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
WORD = re.compile(r"[^\W\d_]{3,}")
_SYLLABLE_TEXT = (
    "ber lin mar kor ea nord sued rus land ukr aine kanz ler wahl pol itik rent ref orm stadt haus "
    "bund tag mini ster pres ident gen eral sek ret aer han del markt wirt schaft krieg fried en "
    "sol dat ar mee rak ete grenz ver trag euro pa asi en ame rika chi na ja pan ind ien bra sil "
    "print er soft ware micro tech net work bank fin anz steu er energ ie gas strom kli ma wand el"
)
SYLLABLES = tuple(_SYLLABLE_TEXT.split())


def vocabulary(rng: random.Random, size: int) -> list[str]:
    real: dict[str, None] = {}
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix in {".txt", ".xml", ".rss", ".atom", ".md"}:
            for word in WORD.findall(path.read_text(encoding="utf-8", errors="replace")):
                real.setdefault(word, None)
    words = list(real)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        word = word.capitalize() if rng.random() < 0.4 else word
        if word not in seen:
            seen.add(word)
            words.append(word)
    rng.shuffle(words)
    return words


def zipf_sampler(rng: random.Random, words: list[str]) -> list[str]:
    weights = [1.0 / (rank + 10) for rank in range(len(words))]
    return rng.choices(words, weights=weights, k=2_000_000)


def make_stories(rng: random.Random, pool: list[str], count: int) -> list[Article]:
    stories = []
    cursor = 0

    def take(n: int) -> str:
        nonlocal cursor
        if cursor + n > len(pool):
            cursor = 0
        chunk = pool[cursor : cursor + n]
        cursor += n
        return " ".join(chunk)

    for _ in range(count):
        title = take(rng.randint(6, 12))
        summary = take(rng.randint(20, 40)) + "."
        text = ". ".join(take(rng.randint(8, 16)) for _ in range(rng.randint(4, 8))) + "."
        stories.append(Article(title=title, summary=summary, text=text, lang=rng.choice(("de", "en"))))
    return stories


def make_topics(rng: random.Random, words: list[str], count: int) -> list[str]:
    candidates = [w for w in words[: len(words) // 2] if len(w) >= 4 and not is_stop_word(w)]
    topics = []
    for _ in range(count):
        roll = rng.random()
        first = rng.choice(candidates).capitalize()
        if roll < 0.5:
            topics.append(first)
        elif roll < 0.7:
            topics.append(f"{first} {rng.choice(candidates).capitalize()}")
        elif roll < 0.85:
            topics.append(f"{first} | {rng.choice(candidates).capitalize()}")
        elif roll < 0.95:
            topics.append(f"{first} +{rng.choice(candidates)} -{rng.choice(candidates)}")
        else:
            topics.append(f"{first}-{rng.choice(candidates).capitalize()}")
    return topics


def naive(stories: list[Article], topics: list[TopicQuery]) -> int:
    hits = 0
    names = [t.name.lower() for t in topics]
    for story in stories:
        text = f"{story.title}\n{story.summary}\n{story.text}".lower()
        for name in names:
            if fuzz.partial_ratio(name, text) >= 90:
                hits += 1
    return hits


def split_match(
    pool: ProcessPoolExecutor, processes: int, stories: Sequence[Article], topics: Sequence[TopicQuery]
) -> list[list[MatchResult]]:
    """match_batch split over `processes`: this process scores the first share while the pool's
    workers score the others and send back only their results that are not blank."""
    share = -(-len(stories) // processes)
    frozen = tuple(topics)
    futures = [
        pool.submit(match_sparse, stories[start : start + share], frozen)
        for start in range(share, len(stories), share)
    ]
    rows = match_batch(stories[:share], topics)
    empty_row = [MatchResult(topic=topic.name, score=0.0, matched=False) for topic in topics]
    for future in futures:
        for results in future.result():
            row = list(empty_row)
            for number, result in results.items():
                row[number] = result
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=100, help="stories the naive loop is timed on")
    parser.add_argument("--workers", type=int, default=-1, help="processes for the split run (-1: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the split, after the first")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    words = vocabulary(rng, 30_000)
    stories = make_stories(rng, zipf_sampler(rng, words), args.stories)
    topics = [parse_topic(t) for t in make_topics(rng, words, args.topics)]
    pairs = len(stories) * len(topics)
    chars = sum(len(s.title) + len(s.summary) + len(s.text) for s in stories)
    print(
        f"corpus: {len(stories):,} stories ({chars / len(stories):,.0f} characters each), "
        f"{len(topics):,} topics"
    )

    started, cpu = time.perf_counter(), time.process_time()
    rows = match_batch(stories, topics)
    ours, cpu = time.perf_counter() - started, time.process_time() - cpu
    matched = sum(r.matched for row in rows for r in row)
    ours_rate = pairs / ours
    print(
        f"newsbot match_batch, one process: {ours:.2f} s wall ({cpu:.2f} s CPU), "
        f"{ours_rate / 1e6:.2f} M comparisons/s ({pairs / cpu / 1e6:.2f} M per CPU second), "
        f"{matched:,} matches"
    )

    workers = args.workers if args.workers != -1 else len(os.sched_getaffinity(0))
    if workers > 1:
        # The batch split over processes: this process scores a share while worker processes
        # (spawned, started once) score the rest. The pool's start-up is paid by the first call,
        # reported here and then excluded.
        pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn"))
        started = time.perf_counter()
        first = split_match(pool, workers, stories, topics)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            split_rows = split_match(pool, workers, stories, topics)
            warm.append(time.perf_counter() - started)
        pool.shutdown()
        split = statistics.median(warm)
        same = split_rows == rows and first == rows
        print(
            f"newsbot match_batch split over {workers} processes: {split:.2f} s wall (median of {len(warm)}; "
            f"first call with pool start-up {cold:.2f} s), {pairs / split / 1e6:.2f} M comparisons/s, "
            f"{sum(r.matched for row in split_rows for r in row):,} matches, "
            f"{'identical to' if same else 'DIFFERENT FROM'} one process"
        )
        ours_rate = max(ours_rate, pairs / split)
    ours_rate = max(ours_rate, pairs / cpu)

    sample = stories[: args.sample]
    started = time.process_time()
    naive_hits = naive(sample, topics)
    naive_time = (time.process_time() - started) * len(stories) / len(sample)
    naive_rate = pairs / naive_time
    print(
        f"naive partial_ratio loop: {naive_time:.1f} s CPU (extrapolated from {len(sample)} stories), "
        f"{naive_rate / 1e6:.3f} M comparisons/s, "
        f"{naive_hits * len(stories) // len(sample):,} matches (extrapolated)"
    )
    print(
        f"ratio (best newsbot figure / naive, both per CPU second or better): {ours_rate / naive_rate:.0f}x"
    )


if __name__ == "__main__":
    main()
