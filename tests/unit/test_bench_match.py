"""The benchmark's split of a batch over worker processes (the core itself starts no processes)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from bench.match import split_match
from bot.core.matching import match_article, parse_topic
from bot.model import Article


def test_a_batch_split_over_worker_processes_gives_the_same_results() -> None:
    articles = [
        Article("Nordkorea schickt Soldaten", text="Die NATO bestätigt das.", lang="de"),
        Article("Japan turns to beer alternatives", text="Asahi and Sapporo compete."),
        Article("Rentenreform beschlossen", text="Die Altersrente steigt."),
        Article("Nordkoreanische Raketen", summary="Nordkoreas Führung", lang="de"),
        Article(""),
    ]
    topics = [parse_topic(t) for t in ("Nordkorea +Raketen", "NATO", "Japan", "Rente", "Asahi Shimbun")]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        split = split_match(pool, 3, articles, topics)
    assert split == [match_article(a, topics) for a in articles]
    assert sum(r.matched for row in split for r in row) >= 4
