"""Benchmark: key quote and key figure of a 5,000-word article, against baselines in the same run.

    .venv/bin/python bench/extract.py

The article is the seed article (tests/fixtures) repeated to 5,000 words. Baselines: splitting the same
text into sentences, and a plain regex scan for numbers and quotation marks. The target is < 50 ms.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bot.core.keypoints import extract_keypoints
from bot.core.text import read_article, split_sentences
from bot.model import Article, TopicQuery

SEED = Path(__file__).parents[1] / "tests" / "fixtures" / "seed-article-de.txt"
WORDS = 5_000
RUNS = 30


def best_of(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    """(best, median) wall time in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    seed = read_article(SEED.read_text(encoding="utf-8"))
    paragraphs = seed.text.split("\n")
    body: list[str] = []
    count = 0
    while count < WORDS:
        for paragraph in paragraphs:
            body.append(paragraph)
            count += len(paragraph.split())
            if count >= WORDS:
                break
    article = Article(title=seed.title, text="\n".join(body), lang=None)
    text = article.title + "\n" + article.text
    topic = TopicQuery(name="Nordkorea", aliases=("Nordkorea",))
    scan = re.compile(r"\d[\d.,]*|[„“”\"»«]")

    extract = best_of(lambda: extract_keypoints(article, topic))
    sentences = best_of(lambda: list(split_sentences(text)))
    regex = best_of(lambda: scan.findall(text))
    points = extract_keypoints(article, topic)
    print(f"article: {len(text.split()):,} words, {len(text):,} characters; best / median of {RUNS} runs")
    print(f"extract_keypoints      {extract[0]:7.2f} ms / {extract[1]:7.2f} ms   (target < 50 ms)")
    print(f"baseline: sentences    {sentences[0]:7.2f} ms / {sentences[1]:7.2f} ms")
    print(f"baseline: regex scan   {regex[0]:7.2f} ms / {regex[1]:7.2f} ms")
    print(f"ratio to sentence split: {extract[0] / sentences[0]:.1f}x")
    print(
        f"found {len(points.quotes)} quotes, {len(points.figures)} figures; key figure: "
        f"{points.figure.text if points.figure else None!r}"
    )


if __name__ == "__main__":
    main()
