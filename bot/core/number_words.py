"""Figures written in words: `zwei Drittel`, `eine Viertel Million`, `three million`, `Hunderte`,
`a two-thirds majority`.

One pattern of the language tables' number words, tried only where a word starts with a letter a
number word can begin with.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from bot.core import lang as lang_data
from bot.core.figure_context import VAGUE, approx_before, noun_after, scale_of, unit_after
from bot.core.folding import fold_cached
from bot.core.lang import numbers as number_data
from bot.model import Figure

_CARDINALS = {fold_cached(k): float(v) for k, v in number_data.CARDINAL_VALUES.items()}

_FRACTIONS = {fold_cached(k): v for k, v in number_data.FRACTION_VALUES.items()}


def _alternatives(written: list[str]) -> str:
    """A regex alternation of words as written, longest first, the first letter in either case (a
    case-sensitive pattern scans far faster than one with re.IGNORECASE)."""
    return (
        "(?:"
        + "|".join(
            f"[{w[0].upper()}{w[0].lower()}]{re.escape(w[1:])}"
            for w in sorted(written, key=len, reverse=True)
        )
        + ")"
    )


_CARDINAL_WORDS = _alternatives(list(number_data.CARDINAL_VALUES))

# cardinals from two: "one"/"ein" are articles far more often than figures
_COUNT_WORDS = _alternatives([w for w, v in number_data.CARDINAL_VALUES.items() if v >= 2])

_SCALE_WORDS = _alternatives([w for w in number_data.SCALES.factors if len(w) > 3])

# Only a word start whose first letter can begin a number word is tried (`_FIRST_LETTERS`): the
# alternation is then attempted at a few hundred places of a long text instead of at every one.
_FIRST_LETTERS = "".join(
    sorted(
        {
            c
            for w in (*number_data.CARDINAL_VALUES, *number_data.VAGUE_VALUES)
            for c in (w[0].lower(), w[0].upper())
        }
    )
)

_WORD_FIGURE = re.compile(
    rf"(?=[{_FIRST_LETTERS}])(?<![^\W\d_])(?:(?P<card>{_CARDINAL_WORDS})(?:[ \u00a0]+|-)"
    rf"(?P<frac>{_alternatives(list(number_data.FRACTION_VALUES))})"
    rf"(?:[ \u00a0]+(?P<fscale>{_SCALE_WORDS}))?"
    rf"|(?P<card2>{_CARDINAL_WORDS})[ \u00a0]+(?P<scale>{_SCALE_WORDS})"
    rf"|(?P<vague>{_alternatives(list(number_data.VAGUE_VALUES))})"
    rf"|(?P<card3>{_COUNT_WORDS}))\b"
)


# A fraction's or vague count's link to what it counts: `zwei Drittel der Stimmen`, `Hunderte der …`.
_FRACTION_LINK = re.compile(
    rf"\s+({'|'.join(sorted(lang_data.table('fraction_links')))})\s+"
    rf"(?:(?:{'|'.join(sorted(lang_data.table('fraction_link_articles')))})\s+)?"
)


def word_figures(text: str, lang: str, numeric: list[Figure]) -> list[Figure]:
    """`zwei Drittel`, `zwei Millionen`, `Hunderte`, `Millionen Schuss Munition`."""
    starts = [f.start for f in numeric]  # in text order, not overlapping
    ends = [f.start + len(f.text) for f in numeric]
    found: list[Figure] = []
    for match in _WORD_FIGURE.finditer(text):
        start = match.start()
        at = bisect_right(starts, start) - 1
        if at >= 0 and start < ends[at]:
            continue  # inside a figure written in digits
        read = _value_of(match, text, lang)
        if read is None:
            continue
        value, kind = read
        figure = (
            _counted(text, match, value, lang)
            if kind == "cardinal"
            else _measured(text, match, value, kind, lang)
        )
        if figure is not None:
            found.append(figure)
    return found


def _value_of(match: re.Match[str], text: str, lang: str) -> tuple[float, str] | None:
    """The value of a number-word match and its kind: fraction, scaled, cardinal or vague."""
    if match.group("frac"):
        card = _CARDINALS.get(fold_cached(match.group("card")))
        if card is None:
            return None
        value = card * _FRACTIONS[fold_cached(match.group("frac"))]
        if match.group("fscale"):
            value *= scale_of(match.group("fscale"), lang) or 1.0
        return value, "fraction"
    if match.group("scale"):
        card = _CARDINALS.get(fold_cached(match.group("card2")))
        if card is None:
            return None
        return card * (scale_of(match.group("scale"), lang) or 1e6), "scaled"
    if match.group("card3"):
        return _CARDINALS[fold_cached(match.group("card3"))], "cardinal"
    start = match.start()
    if text[max(0, start - 2) : start].strip()[-1:].isdigit():
        return None  # `2 Hunderte` is no vague count
    return VAGUE[fold_cached(match.group("vague"))], "vague"


def _counted(text: str, match: re.Match[str], value: float, lang: str) -> Figure | None:
    """A cardinal in words only with what it counts: `sieben Menschen`, `Four heart transplants`."""
    start, end = match.start(), match.end()
    unit_info = unit_after(text, end, lang)
    noun_end, noun = (unit_info[2], unit_info[0]) if unit_info else noun_after(text, end, lang, "")
    if noun is None or (lang == "de" and text[end : end + 1] == "-"):
        return None
    if lang != "de" and not unit_info and not _plural(fold_cached(noun)):
        return None  # a plural counts: "ten largest" is no figure
    approx, approx_start = approx_before(text, start)
    begin = approx_start if approx else start
    return Figure(
        text=text[begin:noun_end].strip(),
        value=float(value),
        unit=noun,
        approx=fold_cached(approx) if approx else None,
        start=begin,
    )


_PLURALS_WITHOUT_S = lang_data.table("plurals_without_s")


def _plural(noun: str) -> bool:
    """An English plural: `voters`, `people`, `gunmen`."""
    return noun.endswith(("s", "men")) or noun in _PLURALS_WITHOUT_S


def _measured(text: str, match: re.Match[str], value: float, kind: str, lang: str) -> Figure:
    """A fraction, scaled or vague figure with what it counts or the money it is, when either follows."""
    start, end = match.start(), match.end()
    unit: str | None = None
    noun_end, noun = noun_after(text, end, lang, "")
    if kind == "fraction" or noun is None:
        link = _FRACTION_LINK.match(text[end : end + 20])
        if link:
            noun_end, noun = noun_after(text, end + link.end(), lang, "")
    money = unit_after(text, end, lang)
    if money and money[1] == "money":
        unit, noun_end = money[0], money[2]
    elif noun:
        unit = noun
    else:
        noun_end = end
    return Figure(text=text[start:noun_end].strip(), value=float(value), unit=unit, start=start)
