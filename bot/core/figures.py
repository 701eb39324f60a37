"""Figures in news text: numbers read by the article's locale, with what they count.

`10.000 Soldaten` (de) and `10,000 troops` (en) are ten thousand; `3,5` (de) and `3.5` (en) are three
and a half; `45 000 Zuschauer` (a space between thousands) forty-five thousand; `2 Mrd. Euro`,
`3 Bio. Euro`, `1,2 Millionen`, `rund 8 Prozent`, `£1,700 in running costs`, `zwei Drittel`,
`eine Viertel Million`, `Hunderte Menschen`. Years, dates, times, ages, phone numbers, ids and ordinals
are not figures. Every word list is a table of `bot.core.lang`.

Every scan is a forward pass over number tokens with bounded look-around, so time is linear in the
length of the text and no pattern can backtrack catastrophically.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_right
from dataclasses import dataclass

from bot.core import lang as lang_data
from bot.core.folding import fold
from bot.core.lang import numbers as number_data
from bot.core.text import LETTERS, NUMBER, WORD
from bot.model import Figure

_fold = functools.lru_cache(maxsize=65536)(fold)  # the same words recur across a text

_t = lang_data.table

_NUMBER = re.compile(NUMBER)  # a number token of the one tokenizer (bot.core.text), parsed in Python
_WORD_AT = re.compile(rf"{WORD}\.?")
_LETTERS = re.compile(LETTERS)
_SPACE_AT = re.compile(r"[ \u00a0\u202f]*")
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")
_SPACES = re.compile("[ \u00a0\u202f\u2009]")

_MONTHS = _t("months")
_DETERMINERS = _t("date_determiners")
_YEAR_CONTEXT = _t("year_context")
_AGE_AFTER = re.compile(r"(?:-|\s)(?:year-old|years?\s+old|jaehrig|jaehrige|jahre\s+alt|jahren)", re.I)
_CURRENCY_SYMBOLS = number_data.CURRENCY_SYMBOLS
# right before the number, on its line: `$` would also match before a final "\n", `\s` across a line break
_CURRENCY_PREFIXES = re.compile(
    "(?:"
    + "|".join(
        re.escape(s)
        for s in sorted(
            [*number_data.CURRENCY_PREFIXES, *set(number_data.CURRENCY_WORDS.values()), *_CURRENCY_SYMBOLS],
            key=len,
            reverse=True,
        )
    )
    + r")[ \u00a0\u202f]?\Z"
)
_CURRENCY_WORDS = {_fold(k): v for k, v in number_data.CURRENCY_WORDS.items()}
_PERCENT_WORDS = _t("percent_words")
_MEASURES = _t("measure_units")
_DURATIONS = _t("duration_units")
_APPROX_WORDS = tuple(sorted(_t("approx_phrases"), key=len, reverse=True))
_VAGUE = {_fold(k): float(v) for k, v in number_data.VAGUE_VALUES.items()}
_CARDINALS = {_fold(k): float(v) for k, v in number_data.CARDINAL_VALUES.items()}
_FRACTIONS = {_fold(k): v for k, v in number_data.FRACTION_VALUES.items()}


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
    rf"(?=[{_FIRST_LETTERS}])(?<![^\W\d_])(?:(?P<card>{_CARDINAL_WORDS})[ \u00a0]+"
    rf"(?P<frac>{_alternatives(list(number_data.FRACTION_VALUES))})"
    rf"(?:[ \u00a0]+(?P<fscale>{_SCALE_WORDS}))?"
    rf"|(?P<card2>{_CARDINAL_WORDS})[ \u00a0]+(?P<scale>{_SCALE_WORDS})"
    rf"|(?P<vague>{_alternatives(list(number_data.VAGUE_VALUES))})"
    rf"|(?P<card3>{_COUNT_WORDS}))\b"
)
_EN_STOP = _t("en_count_stop")
_DE_STOP_CAPS = _t("de_count_stop_caps")
_PEOPLE = _t("people_nouns")
_CLOCK = _t("clock_words")
_CLOCK_EN = _t("clock_words_en")


def _scale(word: str, lang: str) -> float | None:
    """The factor of a scale word after a number, from the language tables."""
    return lang_data.scale(word, lang)


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


def _word_after(text: str, pos: int) -> tuple[str, int, int]:
    """The word starting after spaces at `pos`: (word, start, end); ('', pos, pos) when none."""
    space = _SPACE_AT.match(text, pos)
    start = space.end() if space else pos
    match = _WORD_AT.match(text, start)
    if not match:
        return "", pos, pos
    return match.group(0), start, match.end()


def _words_before(text: str, pos: int, count: int) -> list[str]:
    window = text[max(0, pos - 60) : pos]
    return [_fold(w) for w in _LETTERS.findall(window)[-count:]]


def _approx_before(text: str, pos: int) -> tuple[str | None, int]:
    """`rund`, `mehr als`, `about` right before the number, on its line (a figure never spans lines)."""
    window = text[max(0, pos - 40) : pos]
    window = window[window.rfind("\n") + 1 :]
    folded = _fold(window)
    if len(folded) != len(window):  # folding changed lengths (umlauts): map by word count instead
        return _approx_by_words(window, pos)
    for phrase in _APPROX_WORDS:
        if folded.rstrip().endswith(phrase):
            cut = len(folded.rstrip()) - len(phrase)
            if cut == 0 or not folded[cut - 1].isalpha():
                start = pos - len(window) + cut
                return window[cut : len(window.rstrip())], start
    return None, pos


def _approx_by_words(window: str, pos: int) -> tuple[str | None, int]:
    tokens = list(re.finditer(r"\S+", window))
    for size in (2, 1):
        if len(tokens) < size:
            continue
        chunk = tokens[-size:]
        phrase = _fold(" ".join(t.group(0) for t in chunk))
        if phrase in _APPROX_WORDS and window[chunk[-1].end() :].strip() == "":
            start = pos - len(window) + chunk[0].start()
            return window[chunk[0].start() : chunk[-1].end()], start
    return None, pos


def _is_skipped_context(text: str, start: int, end: int, lang: str, value: float, raw: str) -> bool:
    """True for tokens that are not figures: ids, times, dates, ordinals, ages, phone numbers."""
    before = text[start - 1] if start else ""
    before2 = text[start - 2] if start > 1 else ""
    after = text[end] if end < len(text) else ""
    after2 = text[end + 1] if end + 1 < len(text) else ""
    if before and (before.isalpha() or before in "#_+/" or (before == "-" and before2.isalnum())):
        return True  # F-16, COVID-19, X1, #3, +49, 12/20
    if before == ":" and before2.isdigit():
        return True
    if after and after in ":/" and after2.isdigit():
        return True  # 21:25, 12/2024
    if after == "." and after2.isdigit():
        return True  # 1.2.2024 style leftovers
    if before == "(" and after == ")" and raw.isdigit() and value < 120:
        return True  # an age in a byline: "Peter Müller (45)"
    if _AGE_AFTER.match(_fold(text[end : end + 14])):
        return True
    prev = _words_before(text, start, 3)
    if prev and prev[-1] in _t("age_before"):
        return True
    if " ".join(prev[-2:]) in _t("age_phrases") or (
        prev[-2:-1] and prev[-2] in _t("death_verbs") and prev[-1] == "at"
    ):
        return True  # "at the age of 84", "im Alter von 91", "dies at 84": an age, not a figure
    if raw.isdigit() and len(raw) >= 6 and not _CURRENCY_PREFIXES.search(text[max(0, start - 5) : start]):
        return True  # ids and phone numbers; large counts are written with separators
    suffix = _LETTERS.match(text, end)
    if suffix:
        s = _fold(suffix.group(0))
        if _scale(s, lang) is None and s not in _MEASURES and s not in _PERCENT_WORDS:
            return True  # 3rd, 1990er, 4G, 3pm
    word, _, _word_end = _word_after(text, end + 1 if after == "." else end)
    fw = _fold(word.rstrip("."))
    if fw in _CLOCK or (lang == "en" and fw in _CLOCK_EN):
        return True
    if fw in _MONTHS or (prev and prev[-1] in _MONTHS):
        return True  # 20. Dezember, 20 December, December 20, Dezember 2024
    if after == "." and lang == "de" and prev and prev[-1] in _DETERMINERS and word[:1].isalpha():
        return True  # "der 2. Weltkrieg", "am 3. Oktober"
    return bool(lang == "en" and re.match(r"(?:st|nd|rd|th)\b", text[end : end + 3]))


_LABEL_EXEMPT = (
    _YEAR_CONTEXT
    | _DETERMINERS
    | _MONTHS
    | _t("weekdays")
    | frozenset(w for phrase in _APPROX_WORDS for w in phrase.split())
    | _t("label_exempt")
)


def _is_label(text: str, start: int, figure: Figure, lang: str) -> bool:
    """`Level 3`, `Top 10`, `Resolution 2334`, `Article 5 clause`: a number naming a thing, not a figure.

    The number follows a capitalised word directly, and nothing after it makes it a quantity: no unit,
    and (in English) no lower-case counted noun; a German noun is capitalised, so there only a bare number.
    """
    if figure.approx or figure.start != start:
        return False  # "Rund 300", "$5", "Etwa 30 Menschen"
    match = re.search(r"([^\W\d_][\w'’]*) \Z", text[max(0, start - 30) : start])
    if not match:
        return False
    word = match.group(1)
    if not word[:1].isupper() or word.isupper() or len(word) < 2 or _fold(word) in _LABEL_EXEMPT:
        return False
    if figure.unit is None:
        return True
    if lang == "de" or _fold(figure.unit) in _CURRENCY_WORDS or figure.unit in _CURRENCY_SYMBOLS.values():
        return False
    kind = figure_kind(figure)
    return kind in ("count", "bare")


def _looks_like_year(text: str, start: int, end: int, raw: str, value: float) -> bool:
    return raw.isdigit() and len(raw) == 4 and 1800 <= value <= 2100


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
        if _is_skipped_context(text, start, end, lang, value, raw):
            continue
        figure = _build(text, start, end, raw, value, lang)
        if figure is None or _is_label(text, start, figure, lang):
            continue
        figures.append(figure)
        consumed_until = figure.start + len(figure.text)
    figures.extend(_word_figures(text, lang, figures))
    figures.sort(key=lambda f: f.start)
    return figures


def _build(text: str, start: int, end: int, raw: str, value: float, lang: str) -> Figure | None:
    unit: str | None = None
    kind = ""
    text_start = start
    prefix = _CURRENCY_PREFIXES.search(text[max(0, start - 5) : start])
    if prefix:
        symbol = prefix.group(0).strip()
        unit = _CURRENCY_SYMBOLS.get(symbol[-1:], symbol) if len(symbol) <= 2 else symbol
        if symbol in number_data.CURRENCY_PREFIXES:
            unit = number_data.CURRENCY_PREFIXES[symbol]
        kind = "money"
        text_start = start - len(prefix.group(0))
    pos = end
    # an attached suffix: 30.6bn, 5km, 3%
    suffix = _LETTERS.match(text, pos)
    scale = 1.0
    if suffix:
        s = _fold(suffix.group(0))
        factor = _scale(s, lang)
        if factor is not None:
            scale = factor
        elif s in _PERCENT_WORDS:
            unit, kind = suffix.group(0), kind or "percent"
        elif s in _MEASURES:
            unit, kind = suffix.group(0), kind or "measure"
        pos = suffix.end()
    elif pos < len(text) and text[pos] == "%":
        unit, kind, pos = "%", "percent", pos + 1
    else:
        word, _, word_end = _word_after(text, pos)
        fw = _fold(word.rstrip("."))
        factor = _scale(fw, lang) if len(fw) > 1 or lang == "en" else None
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
        unit_info = _unit_after(text, pos, lang)
        if unit_info:
            u, k, pos = unit_info
            if kind != "money" or k == "money":
                unit, kind = u, k
    noun_end, noun = _noun_after(text, pos, lang, kind)
    if noun:
        pos = noun_end
        if not unit:
            unit, kind = noun, "count"
    year = _looks_like_year(text, start, end, raw, value)
    if year and scale == 1.0:
        prev = _words_before(text, text_start, 1)
        if kind in ("", "count", "duration") and (kind == "" or (prev and prev[-1] in _YEAR_CONTEXT)):
            return None
        people = _fold(unit or "") in _PEOPLE and _lower_word_after(text, end)
        if lang == "en" and kind == "count" and not people:
            return None  # English writes counts over 999 with a comma: "2026 Winter Games" is a year
    approx, approx_start = _approx_before(text, text_start)
    if approx:
        text_start = approx_start
    elif range_end is not None:
        prev_word = _words_before(text, text_start, 1)
        if prev_word and prev_word[-1] in _t("range_openers"):
            cut = _fold(text[max(0, text_start - 12) : text_start]).rfind(prev_word[-1])
            if cut >= 0:
                text_start = max(0, text_start - 12) + cut
    figure_text = text[text_start:pos].strip().rstrip(",;:")
    if kind == "" and not noun:
        unit = None
    return Figure(
        text=figure_text,
        value=low * scale,
        unit=unit,
        approx=_fold(approx) if approx else None,
        start=text_start,
    )


def _lower_word_after(text: str, pos: int) -> bool:
    word, _, _ = _word_after(text, pos)
    return word[:1].islower()


_RANGE = re.compile(
    r"\s*(" + "|".join(re.escape(w) for w in sorted(_t("range_words"))) + r"|-|–|—)\s*(?=\d)", re.IGNORECASE
)


def _range_second(text: str, pos: int, lang: str, first_start: int) -> tuple[int, float] | None:
    window = text[pos : pos + 24]
    m = _RANGE.match(window)
    if not m:
        return None
    connector = m.group(1)
    if _fold(connector) in _t("paired_range_words"):
        prev = _words_before(text, first_start, 1)
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
    word, _, word_end = _word_after(text, after)
    fw = _fold(word.rstrip("."))
    factor = _scale(fw, lang) if len(fw) > 1 else None
    if factor is not None:
        scale, after = factor, word_end
    return after, scale


def _unit_after(text: str, pos: int, lang: str) -> tuple[str, str, int] | None:
    space = _SPACE_AT.match(text, pos)
    at = space.end() if space else pos
    if at < len(text):
        ch = text[at]
        if ch == "%":
            return "%", "percent", at + 1
        if ch in _CURRENCY_SYMBOLS:
            return _CURRENCY_SYMBOLS[ch], "money", at + 1
    if text[pos : pos + 1] == "-":  # "18-month period", "5-km-Lauf"
        hyphen = _LETTERS.match(text, pos + 1)
        if hyphen and _fold(hyphen.group(0)) in _DURATIONS | _MEASURES:
            return (
                hyphen.group(0),
                "duration" if _fold(hyphen.group(0)) in _DURATIONS else "measure",
                hyphen.end(),
            )
    word, _, word_end = _word_after(text, pos)
    if not word:
        return None
    fw = _fold(word).rstrip(".")
    if fw in _PERCENT_WORDS:
        return word.rstrip("."), "percent", word_end - (1 if word.endswith(".") else 0)
    if fw in _t("per_words") and _fold(text[word_end : word_end + 5]).strip().startswith("cent"):
        return "per cent", "percent", word_end + 5
    if fw in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[fw], "money", word_end - (1 if word.endswith(".") else 0)
    if fw in _MEASURES or (fw.startswith("km/") or fw.startswith("m/")):
        return word.rstrip("."), "measure", word_end - (1 if word.endswith(".") else 0)
    if fw in _DURATIONS:
        return word.rstrip("."), "duration", word_end - (1 if word.endswith(".") else 0)
    return None


def _noun_after(text: str, pos: int, lang: str, kind: str) -> tuple[int, str | None]:
    """What a number counts: `russische Soldaten`, `Russian soldiers`, `in running costs`."""
    at = pos
    words_seen = 0
    if kind in ("money", "percent", "measure", "duration"):
        # "£1,700 in running costs", "30 Prozent der Stimmen", "8% of the vote"
        word, _, word_end = _word_after(text, at)
        fw = _fold(word)
        if kind == "money" and fw in _t("money_links"):
            at = word_end
        elif kind == "percent" and fw in _t("percent_links"):
            at = word_end
            w2, _, e2 = _word_after(text, at)
            if _fold(w2) in _t("percent_link_articles"):
                at = e2
        else:
            return pos, None
    head: str | None = None
    end = pos
    while words_seen < 4:
        if at < len(text) and text[at] not in " \u00a0\u202f-" and not text[at].isalpha():
            break
        word, _, word_end = _word_after(text, at)
        if not word or word.endswith("."):
            bare = word[:-1]
            if (
                bare
                and _fold(bare) not in _MONTHS
                and ((lang == "de" and bare[:1].isupper()) or (lang != "de" and _fold(bare) not in _EN_STOP))
            ):
                head, end = bare, word_end - 1
            break
        fw = _fold(word)
        if fw in _MONTHS or _scale(fw, lang) is not None:
            break
        if lang == "de":
            if word[:1].isupper():
                if fw in _DE_STOP_CAPS:
                    break
                head, end = word, word_end
                if fw not in _t("multi_word_counts"):
                    break
            elif re.fullmatch(r"[a-zäöüß]+(?:e|en|er|es|em)", word) and fw not in _t("de_count_stop_lower"):
                pass
            else:
                break
        else:
            if fw in _EN_STOP or (not word.isalpha() and "-" not in word):
                break
            if fw.endswith("ed") and fw not in _PEOPLE:
                break  # a verb: "tens of thousands fled"
            head, end = word, word_end
            if fw in _PEOPLE or (fw.endswith("s") and not fw.endswith("ss")):
                break  # a plural noun ends the phrase: "running costs", "voters"
        at = word_end
        words_seen += 1
    if head is None:
        return pos, None
    return end, head


def _word_figures(text: str, lang: str, numeric: list[Figure]) -> list[Figure]:
    """`zwei Drittel`, `zwei Millionen`, `Hunderte`, `Millionen Schuss Munition`."""
    starts = [f.start for f in numeric]  # in text order, not overlapping
    ends = [f.start + len(f.text) for f in numeric]
    found: list[Figure] = []
    for match in _WORD_FIGURE.finditer(text):
        start = match.start()
        at = bisect_right(starts, start) - 1
        if at >= 0 and start < ends[at]:
            continue
        if match.group("frac"):
            card = _CARDINALS.get(_fold(match.group("card")))
            if card is None:
                continue
            value = card * _FRACTIONS[_fold(match.group("frac"))]
            if match.group("fscale"):
                value *= _scale(match.group("fscale"), lang) or 1.0
            kind = "fraction"
        elif match.group("scale"):
            card = _CARDINALS.get(_fold(match.group("card2")))
            if card is None:
                continue
            scale = _scale(match.group("scale"), lang) or 1e6
            value, kind = card * scale, "scaled"
        elif match.group("card3"):
            value, kind = _CARDINALS[_fold(match.group("card3"))], "cardinal"
        else:
            prev = text[max(0, start - 2) : start].strip()
            if prev[-1:].isdigit():
                continue
            value, kind = _VAGUE[_fold(match.group("vague"))], "vague"
        end = match.end()
        approx: str | None = None
        if kind == "cardinal":  # "sieben Menschen", "Four heart transplants": only with what they count
            unit_info = _unit_after(text, end, lang)
            noun_end, noun = (unit_info[2], unit_info[0]) if unit_info else _noun_after(text, end, lang, "")
            if noun is None or (lang == "de" and text[end : end + 1] == "-"):
                continue
            if lang != "de" and not unit_info and not _fold(noun).endswith("s"):
                continue  # a plural counts: "ten largest" is no figure
            approx, approx_start = _approx_before(text, start)
            found.append(
                Figure(
                    text=text[approx_start if approx else start : noun_end].strip(),
                    value=float(value),
                    unit=noun,
                    approx=_fold(approx) if approx else None,
                    start=approx_start if approx else start,
                )
            )
            continue
        unit: str | None = None
        noun_end, noun = _noun_after(text, end, lang, "")
        if kind == "fraction" or noun is None:
            m2 = re.match(r"\s+(der|des|of|aller)\s+(?:the\s+)?", text[end : end + 20])
            if m2:
                noun_end, noun = _noun_after(text, end + m2.end(), lang, "")
        money = _unit_after(text, end, lang)
        if money and money[1] == "money":
            unit, noun_end = money[0], money[2]
        elif noun:
            unit = noun
        else:
            noun_end = end
        found.append(Figure(text=text[start:noun_end].strip(), value=float(value), unit=unit, start=start))
    return found


def figure_kind(figure: Figure) -> str:
    """'money', 'percent', 'measure', 'duration', 'people', 'count', 'vague' or 'bare'."""
    unit = _fold(figure.unit or "")
    if not unit:
        return "bare"
    if figure.unit in _CURRENCY_SYMBOLS.values() or unit.upper() in {"AUD", "CAD", "HKD", "CNY", "CHF"}:
        return "money"
    if unit in ("%", "per cent") or unit in _PERCENT_WORDS:
        return "percent"
    if unit in _DURATIONS or unit.split("-")[-1] in _DURATIONS:
        return "duration"
    if unit in _MEASURES:
        return "measure"
    if unit in _PEOPLE or any(unit.endswith(p) for p in _t("people_endings")):
        return "people"
    first = _fold(figure.text.split()[0]) if figure.text.split() else ""
    if first in _VAGUE:
        return "vague"
    return "count"
