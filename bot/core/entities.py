"""Named places and figures in a form that compares across outlets and languages.

Two things story grouping needs beyond plain tokens:

* one canonical token for a place or organisation however it is written: `Nordkorea`, `North Korea`,
  `nordkoreanischen` and `DPRK` all become `@nordkorea`; `Genf` and `Geneva` become `@genf`. A small
  built-in table (`core/lang/exonyms.json`) covers German/English exonyms of countries, major cities and
  organisations (general knowledge); callers add their own groups (a topic's aliases) with `AliasTable.add`.
* one canonical token for a figure however the locale writes it: `10.000`, `10,000` and `10 000` (thin
  space) are `#10000`; `3,5 Prozent` and `3.5 percent` are `#3.5`; `2 Mrd.` and `2 billion` are `#2e+09`.

Pure functions and plain data; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.core import lang as lang_data
from bot.core.folding import fold


def alias_words(phrase: str) -> tuple[str, ...]:
    """A phrase as the folded words alias lookup compares: `North Korea` -> ('north', 'korea')."""
    return tuple(word for word in re.split(r"[^\w.]+", fold(phrase).replace("'", "")) if word)


class AliasTable:
    """Phrases (one or more words) mapped to one canonical token per group."""

    def __init__(self, groups: Iterable[Sequence[str]] | None = None) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        self._starts: set[str] = set()  # first words of phrases longer than one word
        self._cache: dict[tuple[str, bool, str], str | None] = {}  # single words already looked up
        self._one_language: dict[tuple[str, ...], str] = {}  # a spelling only one language writes
        self.longest = 1
        known = lang_data.exonyms()
        self._capitals_only = known.capitals_only
        self._inflections = known.inflections
        for group in known.groups if groups is None else groups:
            self.add(group)
        # the built-in places and organisations: common in news, so one alone says little
        self.common: frozenset[str] = frozenset(self._phrases.values())

    def add(self, group: Sequence[str]) -> None:
        """Make every spelling in `group` one token.

        A spelling that already belongs to a group joins the new spellings to that group, so that a
        topic's aliases extend the built-in table instead of splitting it."""
        keys = [alias_words(name) for name in group]
        keys = [key for key in keys if key]
        if not keys:
            return
        canonical = next((self._phrases[key] for key in keys if key in self._phrases), None)
        if canonical is None:
            canonical = "@" + "_".join(keys[0]).replace(".", "")
        self._cache.clear()
        for key in keys:
            self._phrases.setdefault(key, canonical)
            self._phrases.setdefault(tuple(word.replace(".", "") for word in key), canonical)
            self.longest = max(self.longest, len(key))
            if len(key) > 1:
                self._starts.add(key[0])
                self._starts.add(key[0].replace(".", ""))

    def only_in(self, spellings: dict[str, str]) -> None:
        """Let each of `spellings` (spelling -> language) name its place only in text of that language
        (`lookup`'s `lang`); text of unknown language still reads them all."""
        self._cache.clear()
        for spelling, lang in spellings.items():
            key = alias_words(spelling)
            if key:
                self._one_language[key] = lang

    def starts_phrase(self, word: str) -> bool:
        """Whether some phrase of more than one word begins with `word`."""
        return word in self._starts

    def lookup(self, words: Sequence[str], capitals: bool, lang: str = "") -> str | None:
        """The canonical token of a folded phrase, trying German/English endings on its last word.

        `capitals` says whether the source wrote the (single) word all in capitals; `lang` is the
        text's language, when known (see `only_in`)."""
        key = tuple(words)
        if len(key) > 1:
            return self._lookup(key, capitals, lang) if key[0] in self._starts else None
        cache_key = (key[0], capitals, lang)
        if cache_key in self._cache:
            return self._cache[cache_key]
        found = self._lookup(key, capitals, lang)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[cache_key] = found
        return found

    def _lookup(self, key: tuple[str, ...], capitals: bool, lang: str) -> str | None:
        if len(key) == 1 and key[0] in self._capitals_only and not capitals:
            return None
        found = self._phrase(key, lang)
        if found is not None:
            return found
        last = key[-1]
        for ending in self._inflections:
            if last.endswith(ending) and len(last) - len(ending) >= 4:
                found = self._phrase((*key[:-1], last[: -len(ending)]), lang)
                if found is not None:
                    return found
        return None

    def _phrase(self, key: tuple[str, ...], lang: str) -> str | None:
        only = self._one_language.get(key) if lang else None
        if only is not None and only != lang:
            return None
        return self._phrases.get(key)


# --- figures -----------------------------------------------------------------------------------------


def multiplier(word: str, lang: str) -> float:
    """The factor a scale word after a figure stands for (`Mrd.` -> 1e9, `Bio.` -> 1e12); 1.0 when none."""
    return lang_data.scale(word, lang) or 1.0


def figure_token(value: float) -> str:
    """One token for one value: `#10000`, `#3.5`, `#2e+09`."""
    if value == int(value) and abs(value) < 1e7:
        return f"#{int(value)}"
    return f"#{value:.4g}"
