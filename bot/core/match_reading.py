"""An article read for matching: each field's tokens, the gaps between them, its hyphenated chains
and dotted acronyms, and the article's language; the same for every topic."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.folding import strip_invisible
from bot.core.text import ALNUM, article_language, tokens_and_gaps
from bot.model import Article

FIELD_WEIGHTS = (("title", 1.0), ("summary", 0.94), ("text", 0.88))
# A hyphen (or a dash written without spaces, as in `Ukraine–Krieg`) links the parts of a compound.
HYPHENS = frozenset({"-", "‐", "‑", "‒", "–", "—"})
_HYPHEN_CLASS = "[" + "".join(map(re.escape, sorted(HYPHENS))) + "]"
_HYPHEN_SEARCH = re.compile(_HYPHEN_CLASS).search
# Words joined by hyphens. It starts only where no letter or digit stands before it, and each word
# is taken whole (`{ALNUM}+` is possessive): tried at every letter of every word, as a plain pattern
# is, it cost five times as much on a long article and found the same chains.
_CHAIN = re.compile(rf"(?<![^\W_]){ALNUM}+(?:{_HYPHEN_CLASS}{ALNUM}+)+")
_HYPHEN_SPLIT = re.compile(_HYPHEN_CLASS).split
# Abbreviations written with dots are their acronym: `U.S.`, `E.U.`, `U.N.` read as `US`, `EU`, `UN`.
_DOTTED = re.compile(r"(?<![\w.])[A-Z](?:\.[A-Z])+\b\.?")
_CAPITAL_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(slots=True)
class Field:
    name: str
    weight: float
    tokens: list[str]
    gaps: list[str]
    unique: set[str]
    # hyphenated chains, whole and pairwise: (chain's offset in `text`, word index in the chain,
    # joined token, as written): `Nordkorea-Politik` also reads as `NordkoreaPolitik`
    joined: list[tuple[int, int, str, str]]
    text: str


@dataclass(slots=True)
class MatchReading:
    """An article as matching reads it (its language, each field's tokens): topic-independent, so the
    entry's analysis (`core/analysis.py`) computes it once for every topic and channel."""

    lang: str
    fields: list[Field]


def read_for_matching(article: Article, lang: str | None = None) -> MatchReading:
    """The tokens of each field of `article` and its language (`lang`: the one the caller detected
    already), as every topic is matched against them."""
    fields = []
    for name, weight in FIELD_WEIGHTS:
        value: str = getattr(article, name)
        if not value:
            continue
        value = strip_invisible(value)
        if not value.isascii():  # decomposed `u` + U+0308 is one letter `ü`, as topics are read
            value = unicodedata.normalize("NFC", value)
        toks, gaps = tokens_and_gaps(value)
        joined: list[tuple[int, int, str, str]] = []
        if _HYPHEN_SEARCH(value):
            for chain in _CHAIN.finditer(value):
                parts = _HYPHEN_SPLIT(chain.group())
                joined.append((chain.start(), 0, "".join(parts), chain.group()))
                if len(parts) > 2:
                    for j in range(len(parts) - 1):
                        joined.append(
                            (chain.start(), j, parts[j] + parts[j + 1], f"{parts[j]}-{parts[j + 1]}")
                        )
        unique = set(toks)
        if not _CAPITAL_LETTERS.isdisjoint(unique):  # a letter alone: `U.S.` may be in the text
            for dotted in _DOTTED.finditer(value):
                joined.append((dotted.start(), 0, dotted.group().replace(".", ""), dotted.group()))
        unique.update(j[2] for j in joined)
        fields.append(Field(name, weight, toks, gaps, unique, joined, value))
    return MatchReading(lang or article_language(article), fields)
