"""Benchmark: key quote and key figure of a 5,000-word article, against baselines in the same run.

    .venv/bin/python bench/extract.py

The article is the seed article (tests/fixtures) repeated to 5,000 words. The baseline is a plain
sentence split of the same text (`core.text.split_sentences`), printed in the same run, with a plain
regex scan for numbers and quotation marks beside it. The target is at most 20 ms. Each line shows the
best and median wall time and the best CPU time of the process (`time.process_time`), which a machine
shared with other work inflates less.
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


def best_of(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, float, float]:
    """(best wall, median wall, best CPU) time in milliseconds."""
    times = []
    cpu = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return min(times), statistics.median(times), min(cpu)


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
    print(f"article: {len(text.split()):,} words, {len(text):,} characters; {RUNS} runs")
    print("                       best wall / median wall / best CPU")
    for name, (best, median, cpu) in (
        ("extract_keypoints", extract),
        ("baseline: sentences", sentences),
        ("baseline: regex scan", regex),
    ):
        print(f"{name:<22} {best:7.2f} ms / {median:7.2f} ms / {cpu:7.2f} ms")
    print("target: extract_keypoints at most 20 ms")
    print(f"ratio to sentence split: {extract[0] / sentences[0]:.1f}x")
    print(
        f"found {len(points.quotes)} quotes, {len(points.figures)} figures; key figure: "
        f"{points.figure.text if points.figure else None!r}"
    )


if __name__ == "__main__":
    main()
