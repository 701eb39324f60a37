"""What a figure's own words say about it, for the key-figure features of `keypoints.py`: whether it
names what it counts, is written out, has a number of its own, is hyphenated to its noun, or names a
thing (`Das Redmagic 11 Air`). Word lists are tables of `bot.core.lang`."""

from __future__ import annotations

import re

from bot.core import lang as lang_data
from bot.core.figure_context import LABEL_EXEMPT, VAGUE
from bot.core.folding import fold_cached
from bot.core.text import words
from bot.model import Figure

_VAGUE_STARTS = tuple(VAGUE)

_COMPOUND = re.compile(r"(?:\d[\d.,]*|[^\W\d_]+)-[^\W\d_]")  # a number joined to its noun by a hyphen

_WORD_BEFORE = re.compile(r"([.!?:\n]?)\s*([^\W\d_][\w'’-]*) \Z")  # (sentence end, word)


def described(figure: Figure) -> bool:
    """True when the figure's text names what it counts beyond number, unit and approximation."""
    approx = set((figure.approx or "").split())
    units = lang_data.table("unit_words")
    rest = [w for w in (fold_cached(x) for x in words(figure.text)) if w not in approx and w not in units]
    return len(rest) > 1 if figure.unit and fold_cached(figure.unit) in rest else bool(rest)


def spelled_out(figure: Figure) -> bool:
    """True when the figure's number is a word (`sieben Menschen`, `two sides`, `five-day`), not digits."""
    return _number_word(figure).split("-")[0] in lang_data.table("written_counts")


def _number_word(figure: Figure) -> str:
    """The folded first word of the figure after its approximation (`rund`, `more than`)."""
    approx = len((figure.approx or "").split())
    parts = figure.text.split()
    return fold_cached(parts[approx]) if len(parts) > approx else ""


def _after_approx(figure: Figure) -> str:
    """The figure's text from its number on, without its approximation words (`more than`)."""
    approx = len((figure.approx or "").split())
    return " ".join(figure.text.split()[approx:]) if approx else figure.text


def no_single_value(figure: Figure, lang: str) -> bool:
    """A quantity with no number of its own (`Milliarden`, `Zehntausende`, `hundreds of thousands of
    Palestinians`, `dozens of nations`): no digit, and its first word a scale or a vague amount."""
    if any(ch.isdigit() for ch in figure.text):
        return False
    rest = fold_cached(_after_approx(figure))
    return rest.startswith(_VAGUE_STARTS) or lang_data.scale(rest.split(" ")[0], lang) is not None


def compound_adjective(figure: Figure) -> bool:
    """A number hyphenated to its noun: `five-day summit`, `18-tägigen Streik`."""
    return _COMPOUND.match(_after_approx(figure)) is not None


def follows_name(text: str, figure: Figure, title_end: int) -> bool:
    """The number right after a capitalised word inside a sentence below the headline (`Das Redmagic
    11 Air`, `the Article 5 clause`): it names a thing."""
    if figure.start < title_end or figure.approx or not text[figure.start : figure.start + 1].isdigit():
        return False
    before = _WORD_BEFORE.search(text, max(0, figure.start - 40), figure.start)
    if before is None or not before.group(2)[:1].isupper() or before.group(1):
        return False  # no word before it, a lower-case one, or the first word of a sentence
    return fold_cached(before.group(2)) not in LABEL_EXEMPT
