"""Folding: the one comparable form of a word, below the language tables (which fold their words with it).

It lives apart from `text.py` so that `bot.core.lang` can fold its tables and `text.py` can read them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width, word joiner, BOM, soft hyphen
_INVISIBLE_RE = re.compile(f"[{INVISIBLE_CHARS}]")
UMLAUT_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "'", "‘": "'"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: `Müller`, `Mueller` and `MÜLLER` all fold to `mueller`.

    German umlauts and ß expand the way German writes them without umlauts; other accents
    are dropped (`Señor` -> `senor`); typographic dashes become a plain hyphen, typographic
    apostrophes a plain one; invisible characters (zero-width space, soft hyphen) vanish.
    """
    text = text.casefold()
    if text.isascii():
        return text
    # NFC first, so that a decomposed `u` + combining diaeresis (NFD text) is the `ü` it shows
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text)).translate(UMLAUT_FOLD)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        # compatibility forms can decompose to capitals (`㎒` -> `MHz`): fold case once more
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _DASHES.sub("-", text)


# `fold` for the readers that fold the same words over and over (a text's words, a table's entries)
fold_cached = functools.lru_cache(maxsize=65_536)(fold)


def strip_invisible(text: str) -> str:
    """The text without zero-width characters, word joiners, BOMs and soft hyphens."""
    return _INVISIBLE_RE.sub("", text) if _INVISIBLE_RE.search(text) else text
