"""Topic queries and matching over arbitrary Unicode: a query parses or says why; scoring never raises."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.matching import (
    MAX_QUERY_CHARS,
    QueryError,
    _lexicon_for,
    match_article,
    match_batch,
    parse_topic,
)
from bot.model import Article, TopicQuery
from tests.property.strategies import FRAGMENTS, any_text, articles, feed_text

# Queries built from the grammar's own pieces as well as from arbitrary text.
QUERY_PIECES = (*FRAGMENTS, " | ", " +", " -", "~80", "~", "~1e3", "~nan", '"', "„Mark Rutte“", "-Südkorea")
query_text = any_text | st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join)
VALID_TOPICS = [
    "Nordkorea | North Korea +Raketen -Südkorea",
    "Iran",
    "Müller ~80",
    '"Mark Rutte" | Rutte',
    "Ukraine -Fußball",
    "G7",
    "KI | künstliche Intelligenz | AI",
]


@given(query_text, st.none() | st.floats(allow_nan=True))
def test_parse_topic_returns_a_query_or_raises_query_error(text: str, threshold: float | None) -> None:
    try:
        query = parse_topic(text, threshold)
    except QueryError as exc:
        assert str(exc)
        return
    assert query.name and query.aliases[0] == query.name
    assert len(text) <= MAX_QUERY_CHARS
    assert query.threshold is None or 0.0 <= query.threshold <= 100.0
    for term in (*query.aliases, *query.required, *query.excluded):
        assert term and term == " ".join(term.split())


@given(query_text)
def test_a_parsed_query_parses_again_from_its_own_parts(text: str) -> None:
    try:
        query = parse_topic(text)
    except QueryError:
        return
    again = parse_topic(" | ".join(query.aliases))
    assert again.name == query.name


def _parsed_or_none(text: str) -> TopicQuery | None:
    try:
        return parse_topic(text)
    except QueryError:
        return None


parsed_queries: st.SearchStrategy[TopicQuery] = query_text.map(_parsed_or_none).filter(
    lambda q: q is not None
)  # type: ignore[assignment]
topics = st.lists(st.sampled_from(VALID_TOPICS).map(parse_topic) | parsed_queries, max_size=5)


@given(articles(), topics)
def test_match_article_gives_one_result_per_topic_in_order_with_scores_in_range(
    article: Article, queries: list[TopicQuery]
) -> None:
    results = match_article(article, queries)
    assert [r.topic for r in results] == [q.name for q in queries]
    for result in results:
        assert 0.0 <= result.score <= 100.0
        assert not result.matched or result.score > 0.0


@given(st.lists(articles(), max_size=4), topics)
def test_match_batch_is_match_article_row_by_row(batch: list[Article], queries: list[TopicQuery]) -> None:
    rows = match_batch(batch, queries)
    assert len(rows) == len(batch)
    for article, row in zip(batch, rows, strict=True):
        single = match_article(article, queries)
        assert [(r.topic, r.score, r.matched) for r in row] == [(r.topic, r.score, r.matched) for r in single]


@given(feed_text, st.sampled_from(VALID_TOPICS).map(parse_topic))
@example("Müller sagt", parse_topic("Müller"))
@example("Südkorea meldet Raketen aus Nordkorea", parse_topic(VALID_TOPICS[0]))
def test_matching_does_not_depend_on_the_unicode_normal_form(text: str, query: TopicQuery) -> None:
    def scored(form: str) -> list[tuple[float, bool]]:
        normal = unicodedata.normalize(form, text)  # type: ignore[arg-type]
        article = Article(title=normal, summary="", text=normal, lang="de")
        return [(r.score, r.matched) for r in match_article(article, [query])]

    assert scored("NFD") == scored("NFC")


@given(st.lists(articles(), max_size=3), st.lists(articles(), min_size=1, max_size=3), topics)
@example(
    [Article(title="Nordkoreanische Raketen", summary="", text="", lang="de")],
    [Article(title="Raketen aus Nordkorea", summary="Nordkoreas Führung", text="", lang="de")],
    [parse_topic(VALID_TOPICS[0])],
)
def test_what_was_matched_before_does_not_change_a_result(
    before: list[Article], batch: list[Article], queries: list[TopicQuery]
) -> None:
    """The lexicon of a set of topics keeps the words it has met; a result is the same as from a
    lexicon that has met none."""
    _lexicon_for.cache_clear()
    cold = match_batch(batch, queries)
    match_batch(before, queries)
    warm = match_batch(batch, queries)
    assert warm == cold
