"""Language knowledge as data: word lists, tables and weights per language (de, en).

Every rule of the core that depends on words reads them from a named table in this package;
nothing in the core keeps its own word list. The data modules (`numbers`, `speech`, `choice`) declare
tables with a line saying what each is for, and `morphology` the word endings rules try, in order; this
loader folds their words (`Müller` -> `mueller`, the form every reader compares), checks them and hands
them out. The fitted weights of the key-figure and
key-quote choice are `extract_weights.json`, written by `scripts/fit_extract.py`; the German and English
spellings of places and organisations that story grouping reads as one token are `exonyms.json`.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from bot.core.folding import fold


@dataclass(frozen=True, slots=True)
class Table:
    """A named word list: `purpose` says what a rule uses it for; words are space-separated."""

    purpose: str
    words: str


@dataclass(frozen=True, slots=True)
class Endings:
    """Word endings a rule tries, in the order it tries them (space-separated; `-` is no ending)."""

    purpose: str
    endings: str


@dataclass(frozen=True, slots=True)
class Scale:
    """Factors of number words by language: `Mrd.` 1e9, `Billion` 1e12 in German but 1e9 in English."""

    purpose: str
    factors: dict[str, dict[str, float]]  # word -> {"de": f, "en": f, "*": f}


@dataclass(frozen=True, slots=True)
class Exonyms:
    """Spellings of one place or organisation in German and English, read as one token."""

    groups: tuple[tuple[str, ...], ...]  # canonical name first, then every other spelling
    capitals_only: frozenset[str]  # spellings that name the entity only when written in capitals
    inflections: tuple[str, ...]  # endings tried, longest first, on a word not in the table


class LangDataError(ValueError):
    """A table of the language data is malformed: the message names it."""


@functools.cache
def _tables() -> dict[str, frozenset[str]]:
    from bot.core.lang import choice, numbers, speech, words

    found: dict[str, frozenset[str]] = {}
    for module in (words, numbers, speech, choice):
        for name, value in vars(module).items():
            if not isinstance(value, Table):
                continue
            key = name.lower()
            if key in found:
                raise LangDataError(f"the table {key} is declared twice")
            if not value.purpose.strip():
                raise LangDataError(f"the table {key} does not say what it is for")
            entries = [fold(w.replace("_", " ")) for w in value.words.split()]
            if not entries:
                raise LangDataError(f"the table {key} is empty")
            found[key] = frozenset(entries)
    return found


@functools.cache
def _endings() -> dict[str, tuple[str, ...]]:
    from bot.core.lang import morphology

    found: dict[str, tuple[str, ...]] = {}
    for name, value in vars(morphology).items():
        if not isinstance(value, Endings):
            continue
        key = name.lower()
        if not value.purpose.strip():
            raise LangDataError(f"the endings {key} do not say what they are for")
        entries = tuple("" if e == "-" else e for e in value.endings.split())
        if not entries or len(set(entries)) != len(entries):
            raise LangDataError(f"the endings {key} are empty or repeat one")
        if any(e != fold(e) or not (e.isalpha() or e == "") for e in entries):
            raise LangDataError(f"the endings {key} hold one that is not folded letters")
        found[key] = entries
    return found


def endings(name: str) -> tuple[str, ...]:
    """The endings `name` of `morphology.py`, in the order its rule tries them."""
    try:
        return _endings()[name]
    except KeyError:
        raise LangDataError(f"no endings are called {name!r}") from None


def table(name: str) -> frozenset[str]:
    """The folded words of the table `name` (an underscore in a word stands for a space)."""
    try:
        return _tables()[name]
    except KeyError:
        raise LangDataError(f"no language table is called {name!r}") from None


@functools.cache
def stop_words() -> frozenset[str]:
    """The stop words: the core ones (`core_stop_words`) and the other function words (`more_stop_words`)."""
    return table("core_stop_words") | table("more_stop_words")


def table_names() -> tuple[str, ...]:
    """Every table's name, for the tests that check nothing else keeps a word list."""
    return tuple(sorted(_tables()))


@functools.cache
def scale_factors() -> MappingProxyType[str, MappingProxyType[str, float]]:
    """Folded scale word -> {language or "*": factor}, validated: every factor a positive power of ten."""
    from bot.core.lang import numbers

    out: dict[str, MappingProxyType[str, float]] = {}
    for word, by_lang in numbers.SCALES.factors.items():
        for factor in by_lang.values():
            exponent = math.log10(factor) if factor > 0 else -1.0
            if exponent < 1 or abs(exponent - round(exponent)) > 1e-9:
                raise LangDataError(f"the scale word {word!r} has the factor {factor}, not a power of ten")
        out[fold(word)] = MappingProxyType(dict(by_lang))
    return MappingProxyType(out)


def scale(word: str, lang: str) -> float | None:
    """The factor of a scale word in `lang` (`Mio.` -> 1e6, `Bio.` -> 1e12); None when it is none."""
    by_lang = scale_factors().get(fold(word).rstrip("."))
    if by_lang is None:
        return None
    return by_lang.get(lang, by_lang.get("*"))


@dataclass(frozen=True, slots=True)
class Weights:
    """The fitted weights of the key-figure and key-quote choice, and the confidence below which an
    alert leaves the figure or the quote out."""

    figure: MappingProxyType[str, float]
    quote: MappingProxyType[str, float]
    figure_threshold: float
    quote_threshold: float

    @classmethod
    def from_json(cls, data: object) -> Weights:
        """Weights from the parsed JSON of `extract_weights.json`; LangDataError when malformed."""
        if not isinstance(data, dict):
            raise LangDataError("the extraction weights are not a JSON object")
        try:
            parts = [data["figure"]["weights"], data["quote"]["weights"]]
            thresholds = [float(data["figure"]["threshold"]), float(data["quote"]["threshold"])]
        except (KeyError, TypeError, ValueError) as exc:
            raise LangDataError(f"the extraction weights lack {exc}") from None
        checked: list[MappingProxyType[str, float]] = []
        for part in parts:
            if not isinstance(part, dict) or not all(
                isinstance(k, str) and isinstance(v, int | float) and math.isfinite(v)
                for k, v in part.items()
            ):
                raise LangDataError("an extraction weight is not a finite number under a feature's name")
            checked.append(MappingProxyType({k: float(v) for k, v in part.items()}))
        if not all(0.0 <= t <= 1.0 for t in thresholds):
            raise LangDataError("an extraction threshold is outside 0..1")
        return cls(checked[0], checked[1], thresholds[0], thresholds[1])

    def to_json(self) -> dict[str, object]:
        """The JSON form `from_json` reads."""
        return {
            "figure": {"threshold": self.figure_threshold, "weights": dict(sorted(self.figure.items()))},
            "quote": {"threshold": self.quote_threshold, "weights": dict(sorted(self.quote.items()))},
        }


@functools.cache
def extract_weights() -> Weights:
    """The weights `scripts/fit_extract.py` fitted, shipped as package data (read once)."""
    raw = resources.files(__name__).joinpath("extract_weights.json").read_text(encoding="utf-8")
    return Weights.from_json(json.loads(raw))


@functools.cache
def exonyms() -> Exonyms:
    """The exonym groups of `exonyms.json`, folded and checked (no spelling in two groups)."""
    raw = json.loads(resources.files(__name__).joinpath("exonyms.json").read_text(encoding="utf-8"))
    groups = tuple(tuple(fold(name) for name in group) for group in raw["groups"])
    owner: dict[str, str] = {}
    for group in groups:
        if not group:
            raise LangDataError("exonyms.json has an empty group")
        for name in group:
            if owner.setdefault(name, group[0]) != group[0]:
                raise LangDataError(f"exonyms.json lists {name!r} under {owner[name]!r} and {group[0]!r}")
    endings = tuple(sorted(raw["inflections"]["endings"], key=len, reverse=True))
    return Exonyms(groups, frozenset(raw["capitals_only"]["words"]), endings)
