"""Figures in news text: numbers read by the article's locale, with what they count.

`10.000 Soldaten` (de) and `10,000 troops` (en) are ten thousand; `3,5` (de) and `3.5` (en) are three
and a half; `45 000 Zuschauer` (a space between thousands) forty-five thousand; `2 Mrd. Euro`,
`3 Bio. Euro`, `1,2 Millionen`, `rund 8 Prozent`, `£1,700 in running costs`, `zwei Drittel`,
`eine Viertel Million`, `Hunderte Menschen`. Years, dates, times, ages, phone numbers, ids and ordinals
are not figures. Every word list is a table of `bot.core.lang`.

Every scan is a forward pass over number tokens with bounded look-around, so time is linear in the
length of the text and no pattern can backtrack catastrophically. What stands around a number is read
in `figure_context.py`, figures written in words in `number_words.py`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.core import lang as lang_data
from bot.core.figure_context import (
    CURRENCY_PREFIXES,
    CURRENCY_SYMBOLS,
    LETTER_RUN,
    MEASURES,
    PEOPLE_NOUNS,
    PERCENT_WORDS,
    YEAR_CONTEXT,
    approx_before,
    figure_kind,
    glued_currency,
    is_label,
    is_skipped_context,
    looks_like_year,
    lower_word_after,
    names_a_race,
    noun_after,
    scale_of,
    unit_after,
    word_after,
    words_before,
)
from bot.core.folding import fold_cached
from bot.core.lang import numbers as number_data
from bot.core.number_words import word_figures
from bot.core.text import NUMBER
from bot.model import Figure

__all__ = ["figure_kind", "find_figures", "parse_number"]

_t = lang_data.table

_NUMBER = re.compile(NUMBER)  # a number token of the one tokenizer (bot.core.text), parsed in Python

_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")

_SPACES = re.compile("[ \u00a0\u202f\u2009]")


@dataclass(slots=True)
class _Parsed:
    value: float
    start: int
    end: int


def parse_number(token: str, lang: str | None = None) -> float | None:
    """A number token read by locale: `10.000` (de) and `10,000` (en) -> 10000, `3,5`/`3.5` -> 3.5,
    `45 000` -> 45000, `0,750` -> 0.75; None when malformed. Without a language (`lang=None`) a
    separator before exactly three digits groups thousands in either language.

    Digits are decimal digits (`²` is a digit but no number); a value too large for a float is None.
    """
    value = _parse_number(token, lang)
    return value if value is not None and math.isfinite(value) else None


def _parse_number(token: str, lang: str | None) -> float | None:
    if token != token.translate(_GROUP_SPACES):
        groups = _SPACES.split(token)
        head, middle, last = groups[0], groups[1:-1], groups[-1]
        if not (
            1 <= len(head) <= 3
            and head.isdecimal()
            and all(len(g) == 3 and g.isdecimal() for g in middle)
            and last[:3].isdecimal()
            and (len(last) == 3 or (last[3:4] in (".", ",") and len(last) > 4))
        ):
            return None
        token = "".join(groups)
    if not token:
        return None
    has_dot, has_comma = "." in token, "," in token
    if has_dot and has_comma:
        decimal = "." if token.rfind(".") > token.rfind(",") else ","
        group = "," if decimal == "." else "."
        head, _, frac = token.rpartition(decimal)
        if decimal in head or not _grouped(head, group) or not frac.isdecimal():
            return None
        return float(head.replace(group, "") + "." + frac)
    sep = "." if has_dot else "," if has_comma else ""
    if not sep:
        return float(token) if token.isdecimal() else None
    parts = token.split(sep)
    if not all(p.isdecimal() for p in parts):
        return None
    if len(parts) > 2:  # several separators of one kind: only grouping makes sense
        return float("".join(parts)) if _grouped(token, sep) else None
    head, tail = parts
    if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
        grouping = lang is None or (sep == "." and lang == "de") or (sep == "," and lang != "de")
        if grouping:
            return float(head + tail)
    return float(head + "." + tail)


def _grouped(token: str, sep: str) -> bool:
    parts = token.split(sep)
    return (
        1 <= len(parts[0]) <= 3
        and parts[0].isdecimal()
        and all(len(p) == 3 and p.isdecimal() for p in parts[1:])
    )


def find_figures(text: str, lang: str) -> list[Figure]:
    """Every figure in `text`, in order, with offsets into `text`."""
    figures: list[Figure] = []
    consumed_until = 0
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        if start < consumed_until:
            continue
        raw = match.group(0)
        value = parse_number(raw, lang)
        if value is None:
            continue
        if is_skipped_context(text, start, end, lang, value, raw):
            continue
        figure = _ratio(text, start, end, value, lang) or _build(text, start, end, raw, value, lang)
        if figure is None or is_label(text, start, figure, lang) or names_a_race(text, figure):
            continue
        figures.append(figure)
        consumed_until = figure.start + len(figure.text)
    figures.extend(word_figures(text, lang, figures))
    figures.sort(key=lambda f: f.start)
    return figures


# `4 in 10`: the link word and the whole number it is out of (up to 1,000, never a year)
_RATIO = re.compile(
    r"[ \u00a0]+(?:"
    + "|".join(re.escape(w) for w in sorted(_t("ratio_links")))
    + r")[ \u00a0]+(\d{1,4})\b(?![.,]\d)"
)


def _ratio(text: str, start: int, end: int, value: float, lang: str) -> Figure | None:
    """A ratio, `4 in 10 preventable cancer cases`, as the percentage it is (40 %)."""
    match = _RATIO.match(text, end)
    if match is None or value != int(value):
        return None
    whole = int(match.group(1))
    if not (value < whole <= 1000):
        return None
    noun_end, noun = noun_after(text, match.end(), lang, "")
    figure_end = noun_end if noun else match.end()
    approx, approx_start = approx_before(text, start)
    begin = approx_start if approx else start
    return Figure(
        text=text[begin:figure_end].strip(),
        value=100.0 * value / whole,
        unit="%",
        approx=fold_cached(approx) if approx else None,
        start=begin,
    )


@dataclass(slots=True)
class _Reading:
    """A number being read into a figure: what it is (`kind`: money, percent, measure, duration, count
    or nothing yet), its unit, its scale word's factor, and the span of text it takes so far."""

    start: int  # where the figure's text begins: the number, or a currency sign or `etwa` before it
    pos: int  # where the figure's text ends so far
    unit: str | None = None
    kind: str = ""
    scale: float = 1.0


def _build(text: str, start: int, end: int, raw: str, value: float, lang: str) -> Figure | None:
    """The figure a number at `start`..`end` is the head of, or None when it is none (a year)."""
    reading = _Reading(start, end)
    _read_currency_before(text, reading, lang)
    _read_suffix(text, reading, lang)
    # a range: "60 bis 80", "zwischen 33 und 43 Millionen Euro", "25-35", "10 to 20"
    range_end = _range_second(text, reading.pos, lang, start, value * reading.scale)
    if range_end is not None:
        second_end, second_scale, second = range_end
        if reading.scale == 1.0 and second_scale != 1.0 and value < second:  # not `500.000 bis 1 Million`
            reading.scale = second_scale
        reading.pos = second_end
    noun = _read_unit_after(text, reading, lang)
    if _is_year(text, start, end, raw, value, reading, lang):
        return None
    approx, approx_start = approx_before(text, reading.start)
    if approx:
        reading.start = approx_start
    elif range_end is not None:
        reading.start = _range_opener_start(text, reading.start)
    return Figure(
        text=text[reading.start : reading.pos].strip().rstrip(",;:"),
        value=value * reading.scale,
        unit=None if reading.kind == "" and not noun else reading.unit,
        approx=fold_cached(approx) if approx else None,
        start=reading.start,
    )


def _read_currency_before(text: str, reading: _Reading, lang: str) -> None:
    """A currency sign or code before the number: `$155`, `US$2`, `€ 3`."""
    prefix = CURRENCY_PREFIXES.search(text[max(0, reading.start - 5) : reading.start])
    if not prefix:
        glued = glued_currency(text, reading.start, reading.pos, lang)
        if glued is not None:
            reading.unit, reading.kind = glued[0], "money"
            reading.start -= glued[1]
        return
    symbol = prefix.group(0).strip()
    unit = CURRENCY_SYMBOLS.get(symbol[-1:], symbol) if len(symbol) <= 2 else symbol
    reading.unit = number_data.CURRENCY_PREFIXES.get(symbol, unit)
    reading.kind = "money"
    reading.start -= len(prefix.group(0))


def _read_suffix(text: str, reading: _Reading, lang: str) -> None:
    """What stands right after the number: an attached suffix (`30.6bn`, `5km`, `3%`) or a scale
    word (`2,4 Mio.`, `3 Milliarden`)."""
    pos = reading.pos
    suffix = LETTER_RUN.match(text, pos)
    if suffix:
        folded = fold_cached(suffix.group(0))
        factor = scale_of(folded, lang)
        if factor is not None:
            reading.scale = factor
        elif folded in PERCENT_WORDS:
            reading.unit, reading.kind = suffix.group(0), reading.kind or "percent"
        elif folded in MEASURES:
            reading.unit, reading.kind = suffix.group(0), reading.kind or "measure"
        reading.pos = suffix.end()
    elif pos < len(text) and text[pos] == "%":
        reading.unit, reading.kind, reading.pos = "%", "percent", pos + 1
    elif pos < len(text) and text[pos] == "-" and _hyphenated_scale(text, reading, lang):
        return
    else:
        word, _, word_end = word_after(text, pos)
        fw = fold_cached(word.rstrip("."))
        factor = scale_of(fw, lang) if len(fw) > 1 or lang == "en" else None
        if factor is not None:
            reading.scale, reading.pos = factor, word_end


def _hyphenated_scale(text: str, reading: _Reading, lang: str) -> bool:
    """A scale word joined by a hyphen, `70-million-year story`, `$5-billion deal`,
    `10-Millionen-Euro-Projekt`: the scale read, and a hyphen after it skipped so that the unit that
    follows is read too."""
    word = LETTER_RUN.match(text, reading.pos + 1)
    factor = scale_of(fold_cached(word.group(0)), lang) if word else None
    if word is None or factor is None:
        return False
    reading.scale, reading.pos = factor, word.end()
    if text[reading.pos : reading.pos + 1] == "-" and LETTER_RUN.match(text, reading.pos + 1):
        reading.pos += 1
    return True


def _read_unit_after(text: str, reading: _Reading, lang: str) -> str | None:
    """The unit after the number (a currency word, a percent, a measure) and the noun it counts;
    returns the noun."""
    if not reading.kind or reading.kind == "money":
        unit_info = unit_after(text, reading.pos, lang)
        if unit_info:
            unit, kind, reading.pos = unit_info
            if reading.kind != "money" or kind == "money":
                reading.unit, reading.kind = unit, kind
    noun_end, noun = noun_after(text, reading.pos, lang, reading.kind)
    if noun:
        reading.pos = noun_end
        if not reading.unit:
            reading.unit, reading.kind = noun, "count"
    return noun


def _is_year(text: str, start: int, end: int, raw: str, value: float, reading: _Reading, lang: str) -> bool:
    """A year is never a count: `2026`, `im Jahr 2024 Soldaten` (English writes counts over 999 with
    a comma, so `2026 Winter Games` is a year), unless it counts people: `2026 Menschen starben`."""
    if reading.scale != 1.0 or not looks_like_year(text, start, end, raw, value):
        return False
    kind = reading.kind
    prev = words_before(text, reading.start, 1)
    if kind in ("", "count", "duration") and (kind == "" or (prev and prev[-1] in YEAR_CONTEXT)):
        return True
    people = fold_cached(reading.unit or "") in PEOPLE_NOUNS and lower_word_after(text, end)
    return lang == "en" and kind == "count" and not people


def _range_opener_start(text: str, start: int) -> int:
    """Where a range's figure begins when a word opens it: `zwischen 33 und 43`, `between 10 and 20`."""
    prev_word = words_before(text, start, 1)
    if prev_word and prev_word[-1] in _t("range_openers"):
        cut = fold_cached(text[max(0, start - 12) : start]).rfind(prev_word[-1])
        if cut >= 0:
            return max(0, start - 12) + cut
    return start


_RANGE = re.compile(
    r"\s*(" + "|".join(re.escape(w) for w in sorted(_t("range_words"))) + r"|-|–|—)\s*(?=\d)", re.IGNORECASE
)


def _range_second(
    text: str, pos: int, lang: str, first_start: int, first: float
) -> tuple[int, float, float] | None:
    """The end, scale and number of a range's second number, when one follows: a range rises, so `2025 to
    31.4%` (a year, then the rate) is none."""
    window = text[pos : pos + 24]
    m = _RANGE.match(window)
    if not m:
        return None
    connector = m.group(1)
    if fold_cached(connector) in _t("paired_range_words"):
        prev = words_before(text, first_start, 1)
        if not prev or prev[-1] not in _t("range_openers"):
            return None
    num = _NUMBER.match(text, pos + m.end())
    if not num:
        return None
    second = parse_number(num.group(0), lang)
    if second is None:
        return None
    after = num.end()
    scale = 1.0
    word, _, word_end = word_after(text, after)
    fw = fold_cached(word.rstrip("."))
    factor = scale_of(fw, lang) if len(fw) > 1 else None
    if factor is not None:
        scale, after = factor, word_end
    if second <= first and second * scale <= first:
        return None
    return after, scale, second
