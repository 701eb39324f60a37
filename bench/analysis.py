"""Benchmark: the analysis of an entry (`core.analysis.analyse`), against baselines in the same run.

    .venv/bin/python bench/analysis.py

Two inputs, both from the seed article (tests/fixtures): entries of a title and a 600-character summary
(one per paragraph of the seed article, rotated), and the seed article repeated to 5,000 words. The
baselines are a plain `str.split` and the sentence split (`core.text.split_sentences`) of the same texts,
printed in the same run. Targets: at most 0.2 ms per entry on average, at most 20 ms for the article.
Each line shows the best and median wall time and the best CPU time of the process
(`time.process_time`), which a machine shared with other work inflates less; then what every stored
entry costs at ingest (language, matching's reading and the story features: figures and quotes are read
only for an entry that alerts); then where the time of
one analysis goes, part by part, and what the pipeline gains by reading one analysis for the key points
of an entry's alerts in five channels instead of reading the text for each.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import extract as extract_bench  # bench/extract.py: the same timing

from bot.core.analysis import Analysis, analyse, joined_text
from bot.core.figures import find_figures
from bot.core.keypoints import extract_keypoints
from bot.core.matching import read_for_matching
from bot.core.names import names_in
from bot.core.quotes import find_quotes
from bot.core.stories import StoryGrouper
from bot.core.text import article_language, read_article, split_sentences, tokenize
from bot.model import Article, StoryItem, TopicQuery

SEED = Path(__file__).parents[1] / "tests" / "fixtures" / "seed-article-de.txt"
WORDS = 5_000
SUMMARY_CHARS = 600
ENTRIES = 200
RUNS = 15
best_of = partial(extract_bench.best_of, runs=RUNS)  # (best wall, median wall, best CPU) in ms


def entries(seed: Article) -> list[Article]:
    """Title + 600-character summaries cut from the seed article's text at every paragraph."""
    text = seed.text.replace("\n", " ")
    starts = [0, *(i + 1 for i, ch in enumerate(seed.text) if ch == "\n")]
    out = []
    for n in range(ENTRIES):
        start = starts[n % len(starts)]
        summary = (text[start:] + " " + text)[:SUMMARY_CHARS]
        out.append(Article(title=seed.title, summary=summary, lang=None))
    return out


def article_of(seed: Article) -> Article:
    paragraphs = seed.text.split("\n")
    body: list[str] = []
    count = 0
    while count < WORDS:
        for paragraph in paragraphs:
            body.append(paragraph)
            count += len(paragraph.split())
            if count >= WORDS:
                break
    return Article(title=seed.title, text="\n".join(body), lang=None)


def complete(analysis: Analysis) -> object:
    """Every part of the analysis, the ones made at first use included."""
    return (
        analysis.sentences,
        analysis.figures,
        analysis.quotes,
        analysis.tokens,
        analysis.names,
        analysis.matching,
    )


def parts(article: Article) -> list[tuple[str, Callable[[], object]]]:
    """Each reader of the analysis on its own, to show where its time goes."""
    text = joined_text(article)[0]
    lang = article_language(article)
    return [
        ("language", lambda: article_language(article)),
        ("sentences", lambda: list(split_sentences(text))),
        ("tokens", lambda: tokenize(text)),
        ("figures", lambda: find_figures(text, lang)),
        ("quotes", lambda: find_quotes(text, lang)),
        ("names", lambda: names_in(text)),
        ("matching reading", lambda: read_for_matching(article)),
    ]


def show(name: str, times: tuple[float, float, float], per: int = 1) -> None:
    best, median, cpu = (t / per for t in times)
    print(f"  {name:<26} {best:8.3f} ms / {median:8.3f} ms / {cpu:8.3f} ms")


def main() -> None:
    seed = read_article(SEED.read_text(encoding="utf-8"))
    short = entries(seed)
    long = article_of(seed)
    long_text = joined_text(long)[0]
    short_texts = [joined_text(a)[0] for a in short]

    print(f"entries: {ENTRIES} of title + {SUMMARY_CHARS} characters; per entry, {RUNS} runs")
    print("                               best wall / median wall / best CPU")
    per_entry = best_of(lambda: [complete(analyse(a)) for a in short])
    show("analyse", per_entry, ENTRIES)
    show("baseline: str.split", best_of(lambda: [t.split() for t in short_texts]), ENTRIES)
    show("baseline: sentences", best_of(lambda: [list(split_sentences(t)) for t in short_texts]), ENTRIES)
    print("  target: analyse at most 0.2 ms per entry on average")
    grouper = StoryGrouper()
    items = [
        StoryItem(id=str(n), title=a.title, summary=a.summary, published=None, source="bench")
        for n, a in enumerate(short)
    ]

    def ingest_part(article: Article, item: StoryItem) -> object:
        """What every stored entry costs at ingest; figures and quotes wait for one that alerts."""
        return analyse(article).matching, grouper.analyse(item)

    every = best_of(lambda: [ingest_part(a, i) for a, i in zip(short, items, strict=True)])
    show("every entry at ingest", every, ENTRIES)
    print("  (language, matching's reading, story features; figures and quotes wait for an alert)")

    print(f"article: {len(long_text.split()):,} words, {len(long_text):,} characters; {RUNS} runs")
    whole = best_of(lambda: complete(analyse(long)))
    show("analyse", whole)
    show("baseline: str.split", best_of(lambda: long_text.split()))
    show("baseline: sentences", best_of(lambda: list(split_sentences(long_text))))
    print("  target: analyse at most 20 ms")
    print("  of which (best CPU):")
    for name, fn in parts(long):
        show(name, best_of(fn))

    # what the pipeline gains: an entry's alerts in five channels read one analysis, not the text five times
    topics = [TopicQuery(name=n, aliases=(n,)) for n in ("Nordkorea", "Russland", "Ukraine", "Kim", "Putin")]
    print(f"key points of one entry for {len(topics)} topics (entries as above, per entry):")
    each = best_of(lambda: [[extract_keypoints(a, t) for t in topics] for a in short], runs=5)
    show("text read for each topic", each, ENTRIES)

    def read_once(article: Article) -> list[object]:
        analysis = analyse(article)
        complete(analysis)  # the pipeline's matching reads the rest
        return [extract_keypoints(article, t, analysis=analysis) for t in topics]

    once = best_of(lambda: [read_once(a) for a in short], runs=5)
    show("one analysis, read by each", once, ENTRIES)


if __name__ == "__main__":
    main()
