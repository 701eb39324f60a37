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
    fold_cached,
    is_label,
    is_skipped_context,
    looks_like_year,
    lower_word_after,
    noun_after,
    scale_of,
    unit_after,
    word_after,
    words_before,
)
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
        figure = _build(text, start, end, raw, value, lang)
        if figure is None or is_label(text, start, figure, lang):
            continue
        figures.append(figure)
        consumed_until = figure.start + len(figure.text)
    figures.extend(word_figures(text, lang, figures))
    figures.sort(key=lambda f: f.start)
    return figures


def _build(text: str, start: int, end: int, raw: str, value: float, lang: str) -> Figure | None:
    unit: str | None = None
    kind = ""
    text_start = start
    prefix = CURRENCY_PREFIXES.search(text[max(0, start - 5) : start])
    if prefix:
        symbol = prefix.group(0).strip()
        unit = CURRENCY_SYMBOLS.get(symbol[-1:], symbol) if len(symbol) <= 2 else symbol
        if symbol in number_data.CURRENCY_PREFIXES:
            unit = number_data.CURRENCY_PREFIXES[symbol]
        kind = "money"
        text_start = start - len(prefix.group(0))
    pos = end
    # an attached suffix: 30.6bn, 5km, 3%
    suffix = LETTER_RUN.match(text, pos)
    scale = 1.0
    if suffix:
        s = fold_cached(suffix.group(0))
        factor = scale_of(s, lang)
        if factor is not None:
            scale = factor
        elif s in PERCENT_WORDS:
            unit, kind = suffix.group(0), kind or "percent"
        elif s in MEASURES:
            unit, kind = suffix.group(0), kind or "measure"
        pos = suffix.end()
    elif pos < len(text) and text[pos] == "%":
        unit, kind, pos = "%", "percent", pos + 1
    else:
        word, _, word_end = word_after(text, pos)
        fw = fold_cached(word.rstrip("."))
        factor = scale_of(fw, lang) if len(fw) > 1 or lang == "en" else None
        if factor is not None:
            scale = factor
            pos = word_end
    # a range: "60 bis 80", "zwischen 33 und 43 Millionen Euro", "25-35", "10 to 20"
    low = value
    range_end = _range_second(text, pos, lang, start)
    if range_end is not None:
        second_end, second_scale = range_end
        if scale == 1.0 and second_scale != 1.0:
            scale = second_scale
        pos = second_end
    # units after the number
    if not kind or kind == "money":
        unit_info = unit_after(text, pos, lang)
        if unit_info:
            u, k, pos = unit_info
            if kind != "money" or k == "money":
                unit, kind = u, k
    noun_end, noun = noun_after(text, pos, lang, kind)
    if noun:
        pos = noun_end
        if not unit:
            unit, kind = noun, "count"
    year = looks_like_year(text, start, end, raw, value)
    if year and scale == 1.0:
        prev = words_before(text, text_start, 1)
        if kind in ("", "count", "duration") and (kind == "" or (prev and prev[-1] in YEAR_CONTEXT)):
            return None
        people = fold_cached(unit or "") in PEOPLE_NOUNS and lower_word_after(text, end)
        if lang == "en" and kind == "count" and not people:
            return None  # English writes counts over 999 with a comma: "2026 Winter Games" is a year
    approx, approx_start = approx_before(text, text_start)
    if approx:
        text_start = approx_start
    elif range_end is not None:
        prev_word = words_before(text, text_start, 1)
        if prev_word and prev_word[-1] in _t("range_openers"):
            cut = fold_cached(text[max(0, text_start - 12) : text_start]).rfind(prev_word[-1])
            if cut >= 0:
                text_start = max(0, text_start - 12) + cut
    figure_text = text[text_start:pos].strip().rstrip(",;:")
    if kind == "" and not noun:
        unit = None
    return Figure(
        text=figure_text,
        value=low * scale,
        unit=unit,
        approx=fold_cached(approx) if approx else None,
        start=text_start,
    )


_RANGE = re.compile(
    r"\s*(" + "|".join(re.escape(w) for w in sorted(_t("range_words"))) + r"|-|–|—)\s*(?=\d)", re.IGNORECASE
)


def _range_second(text: str, pos: int, lang: str, first_start: int) -> tuple[int, float] | None:
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
    return after, scale
