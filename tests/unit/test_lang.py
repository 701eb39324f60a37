"""The language data: tables folded and checked by one loader, the fitted weights valid, and the
key-point choice leaving out what it is not confident about."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from types import MappingProxyType

import pytest

from bot.core import lang
from bot.core.folding import fold
from bot.core.keypoints import explain_keypoints, extract_keypoints
from bot.core.lang import LangDataError, Weights
from bot.model import Article, TopicQuery

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"


def test_every_table_is_folded_and_says_what_it_is_for() -> None:
    assert {"months", "speech_verbs", "percent_words", "not_names"} <= set(lang.table_names())
    assert "maerz" in lang.table("months") and "märz" not in lang.table("months")
    assert "mehr als" in lang.table("approx_phrases")
    with pytest.raises(LangDataError):
        lang.table("no_such_table")


def test_word_endings_are_data_tried_in_their_order() -> None:
    from bot.core.text import stem
    from bot.core.topic_lexicon import ISM_ENDINGS, LINKING_ELEMENTS

    assert lang.endings("doctrines") == ISM_ENDINGS == ("ismus", "istisch", "istic", "ism", "ist")
    assert LINKING_ELEMENTS[0] == ""  # a compound without a linking element is tried first
    assert lang.endings("german_inflections")[0] == "ern"  # `Bürgern` loses -ern, not -n
    assert stem("raketen", "de") == stem("rakete", "de") == "raket"
    with pytest.raises(LangDataError):
        lang.endings("no_such_endings")


def test_scale_words_depend_on_the_language() -> None:
    assert lang.scale("Bio.", "de") == 1e12
    assert lang.scale("billion", "de") == 1e12 and lang.scale("billion", "en") == 1e9
    assert lang.scale("Mrd", "en") == 1e9
    assert lang.scale("Haus", "de") is None


def test_the_core_keeps_no_word_list_of_its_own() -> None:
    # a frozenset of words or a `_set("…")` table outside bot/core/lang is a second copy of language data
    for module in sorted(CORE.glob("*.py")):
        if module.name not in (
            "figures.py",
            "figure_context.py",
            "number_words.py",
            "quotes.py",
            "quote_marks.py",
            "attribution.py",
            "speakers.py",
            "keypoints.py",
            "entities.py",
        ):
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "_set", f"{module.name} keeps a word list"


def test_place_spellings_are_data_read_by_one_loader() -> None:
    from bot.core.entities import AliasTable

    known = lang.exonyms()
    spellings = [name for group in known.groups for name in group]
    assert len(spellings) == len(set(spellings)), "a spelling stands in two groups"
    assert all(name == fold(name) for name in spellings)
    table = AliasTable()
    north_korea = table.lookup(["north", "korea"], False)
    assert table.lookup(["nordkoreanischen"], False) == north_korea == "@nordkorea"
    assert table.lookup(["us"], False) is None and table.lookup(["us"], True) == "@usa"
    # entities.py reads the table; it keeps no tuple of place names of its own
    tree = ast.parse((CORE / "entities.py").read_text(encoding="utf-8"))
    literal_lists = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.Set) and sum(isinstance(e, ast.Constant) for e in node.elts) > 5
    ]
    assert not literal_lists


def test_shipped_weights_are_valid_and_finite() -> None:
    weights = lang.extract_weights()
    assert weights.figure and weights.quote
    assert all(math.isfinite(v) for v in (*weights.figure.values(), *weights.quote.values()))
    assert 0.0 <= weights.figure_threshold <= 1.0 and 0.0 <= weights.quote_threshold <= 1.0
    assert Weights.from_json(weights.to_json()) == weights


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"figure": {"weights": {}}, "quote": {"weights": {}, "threshold": 0.1}},
        {
            "figure": {"weights": {"x": float("nan")}, "threshold": 0.1},
            "quote": {"weights": {}, "threshold": 0},
        },
        {"figure": {"weights": {}, "threshold": 2}, "quote": {"weights": {}, "threshold": 0}},
    ],
)
def test_malformed_weights_are_a_clear_error(data: object) -> None:
    with pytest.raises(LangDataError):
        Weights.from_json(data)


def test_a_figure_below_the_confidence_threshold_is_left_out() -> None:
    article = Article(
        title="Stadtrat berät über Haushalt",
        text="Der Stadtrat hat 12 Anträge beraten. Am Ende standen 7 Beschlüsse.",
        lang="de",
    )
    topic = TopicQuery(name="Stadtrat", aliases=("Stadtrat",))
    shipped = lang.extract_weights()
    best = explain_keypoints(article, topic).figure
    assert best is not None and best.candidate is not None
    strict = Weights(shipped.figure, shipped.quote, min(1.0, best.confidence + 0.01), shipped.quote_threshold)
    points = extract_keypoints(article, topic, strict)
    assert points.figure is None and points.figures  # left out, still listed as a candidate
    assert extract_keypoints(article, topic).figure == best.candidate


def test_the_nothing_option_wins_when_weights_say_so() -> None:
    article = Article(
        title="Drei Polizisten suspendiert", text="Drei Polizisten sind suspendiert.", lang="de"
    )
    shipped = lang.extract_weights()
    wary = Weights(MappingProxyType({**shipped.figure, "nothing": 50.0}), shipped.quote, 0.0, 0.0)
    assert extract_keypoints(article, None, wary).figure is None
