"""One reader for each thing: the core has one tokenizer, one number reader and one stop-word source, and
every decision reads the same numbers and names from the same text."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import bot.core
from bot.core import figures, lang, text
from bot.core.analysis import analyse
from bot.core.entities import figure_token
from bot.core.keypoints import extract_keypoints
from bot.core.matching import match_batch, parse_topic
from bot.core.names import names_in
from bot.core.stories import StoryGrouper
from bot.model import Article, StoryItem

CORE = Path(bot.core.__file__).parent
# A text with plain words, umlauts, an apostrophe, a hyphen and numbers in three locales' writing.
PROBE = "Die Wörter von O'Neill und Covid-Welle: 45 000 und 0,750 und 1.530.000 Menschen."
PROBE_TOKENS = {
    "Wörter",
    "Neill",
    "Welle",
    "Covid",
    "45",
    "000",
    "750",
    "530",
    "45 000",
    "0,750",
    "1.530.000",
}
TEXT_PATTERNS = (text.LETTERS, text.WORD, text.ALNUM, text.NUMBER)


def core_modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(bot.core.__path__, "bot.core."):
        yield importlib.import_module(info.name)


def patterns_of(module: ModuleType) -> Iterator[tuple[str, re.Pattern[str]]]:
    """Compiled patterns a module keeps, as themselves or as their bound methods (`.split`, `.search`)."""
    for name, value in vars(module).items():
        pattern = value if isinstance(value, re.Pattern) else getattr(value, "__self__", None)
        if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
            yield name, pattern


def splits_words_or_numbers(pattern: re.Pattern[str]) -> bool:
    """Whether a pattern cuts the probe into words or numbers: what a tokenizer does."""
    return any(match.group() in PROBE_TOKENS for match in pattern.finditer(PROBE))


def test_the_core_has_one_tokenizer_whose_patterns_every_reader_builds_on() -> None:
    tokenizers = []
    for module in core_modules():
        for name, pattern in patterns_of(module):
            if splits_words_or_numbers(pattern):
                tokenizers.append(f"{module.__name__}.{name}")
                assert module is text or any(p in pattern.pattern for p in TEXT_PATTERNS), (
                    f"{module.__name__}.{name} splits words or numbers with a pattern of its own"
                )
    assert "bot.core.text._TOKEN" in tokenizers and "bot.core.figures._NUMBER" in tokenizers
    # literal patterns compiled inside functions are tokenizers of their own as well
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "compile"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and path.name != "text.py"
            ):
                assert not splits_words_or_numbers(re.compile(node.args[0].value)), f"{path.name} tokenizes"


def test_the_tokenizer_gives_offsets_into_the_text() -> None:
    tokens = text.tokenize(PROBE)
    assert all(PROBE[t.start : t.start + len(t.text)] == t.text for t in tokens)
    assert ("45 000", "num") in [(t.text, t.kind) for t in tokens]
    assert ("O'Neill", "word") in [(t.text, t.kind) for t in tokens]


def number_readers() -> Iterator[tuple[str, object]]:
    """Every function of the core that turns `0,750` (or `45 000`) into a number."""
    for module in core_modules():
        for name, function in vars(module).items():
            if not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if not parameters or any(p.default is p.empty for p in parameters[1:]):
                continue
            for token in ("0,750", "45 000"):
                try:
                    value = function(token)
                except Exception:
                    continue
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and value in (0.75, 750, 45_000)
                ):
                    yield f"{module.__name__}.{name}", function


def test_the_core_has_one_number_reader() -> None:
    readers = dict(number_readers())
    assert "bot.core.figures.parse_number" in readers
    for name, function in readers.items():
        # a function that reads a number reads it through the one reader, not with float() of its own
        assert function is figures.parse_number or "parse_number" in function.__code__.co_names, (  # type: ignore[attr-defined]
            f"{name} reads numbers by itself"
        )


def test_the_core_has_one_stop_word_source() -> None:
    stop = lang.stop_words()
    # the stop words come in layers (the core ones, the other function words, story grouping's extra
    # ones), each word in one layer only
    layers = [lang.table(name) for name in ("core_stop_words", "more_stop_words", "story_neutral_words")]
    assert sum(map(len, layers)) == len(frozenset().union(*layers))
    assert "der" in stop and "the" in stop and "über" not in stop and "ueber" in stop
    for path in CORE.glob("*.py"):  # bot/core/lang is the one place of word lists, each a named Table
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            listed: list[str] = []
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                listed = node.value.split()  # a word list in a string, split at run time
                if not all(re.fullmatch(r"[\w'’-]+", w) for w in listed):
                    continue  # prose (a docstring, a message), not a word list
            elif isinstance(node, ast.Set | ast.List | ast.Tuple):
                listed = [
                    e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                ]
            if len(listed) >= 20:
                common = [w for w in listed if w in stop]
                assert len(common) < 10, f"{path.name}:{node.lineno} keeps a stop-word list of its own"


GERMAN_TITLE = "Rund 45 000 Menschen demonstrieren gegen Olaf Scholz"
GERMAN_SUMMARY = (
    "In Berlin sagte Olaf Scholz, die Schulden wüchsen auf 3 Bio. Euro. Die Quote stieg um 0,750 Prozent."
)


def test_matching_figures_stories_names_and_key_points_read_the_same_numbers_and_names() -> None:
    article = Article(GERMAN_TITLE, GERMAN_SUMMARY, lang="de")
    analysis = analyse(article)
    values = [f.value for f in analysis.figures]
    assert values == [45_000, 3e12, 0.75]
    assert values == [f.value for f in figures.find_figures(analysis.text, "de")]
    assert [f.value for f in extract_keypoints(article).figures] == values

    item = StoryItem("1", GERMAN_TITLE, GERMAN_SUMMARY, datetime(2025, 1, 1, tzinfo=UTC), "example.org", "de")
    story = StoryGrouper().analyse(item)
    assert {figure_token(v) for v in values} <= {t for t, kind in story.kinds.items() if kind == "num"}

    assert "Olaf Scholz" in analysis.names and analysis.names == tuple(names_in(analysis.text))
    assert {"olaf", "scholz"} <= {t for t, kind in story.kinds.items() if kind == "name"}
    [result] = match_batch([article], [parse_topic("Olaf Scholz")], [analysis.matching])[0:1][0]
    assert result.matched and {e.field for e in result.evidence} == {"title", "summary"}
