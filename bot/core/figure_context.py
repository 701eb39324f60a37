"""What stands around a number in news text: the words before and after it, its unit, the noun it
counts, and whether it is a year, a date, a time, an age or a label rather than a figure.

Every look-around is bounded, so each number costs the same whatever the text's length.
"""

from __future__ import annotations

import re

from bot.core import lang as lang_data
from bot.core.folding import fold_cached
from bot.core.lang import numbers as number_data
from bot.core.text import LETTERS, WORD
from bot.model import Figure

_t = lang_data.table

_WORD_AT = re.compile(rf"{WORD}\.?")

LETTER_RUN = re.compile(LETTERS)

_SPACE_AT = re.compile(r"[ \u00a0\u202f]*")

# An editor's insertion into a quote stands for the word it replaces: `“457 [members] of our armed
# services”`.
_INSERTED_WORD_AT = re.compile(rf"[ \u00a0\u202f]*\[({WORD})\]")

_MONTHS = _t("months")

_DETERMINERS = _t("date_determiners")

_DAY_RANGE = re.compile(  # a month, a day, then a range word: what follows is a day too
    r"\b(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.? \d{1,2}\.? "
    r"(?:" + "|".join(re.escape(w) for w in sorted(_t("range_words"))) + r"|-|–) ?\Z"
)

YEAR_CONTEXT = _t("year_context")

_AGE_APPOSITION = re.compile(r"\b[A-ZÄÖÜ][^\W\d_]+, \Z")  # a capitalised word and a comma

_AGE_AFTER = re.compile(r"(?:-|\s)(?:year-old|years?\s+old|jaehrig|jaehrige|jahre\s+alt|jahren)", re.I)

CURRENCY_SYMBOLS = number_data.CURRENCY_SYMBOLS

# right before the number, on its line: `$` would also match before a final "\n", `\s` across a line break
CURRENCY_PREFIXES = re.compile(
    "(?:"
    + "|".join(
        re.escape(s)
        for s in sorted(
            [*number_data.CURRENCY_PREFIXES, *set(number_data.CURRENCY_WORDS.values()), *CURRENCY_SYMBOLS],
            key=len,
            reverse=True,
        )
    )
    + r")[ \u00a0\u202f]?\Z"
)

_CURRENCY_WORDS = {fold_cached(k): v for k, v in number_data.CURRENCY_WORDS.items()}

PERCENT_WORDS = _t("percent_words")

MEASURES = _t("measure_units")

_DURATIONS = _t("duration_units")

_APPROX_WORDS = tuple(sorted(_t("approx_phrases"), key=len, reverse=True))

VAGUE = {fold_cached(k): float(v) for k, v in number_data.VAGUE_VALUES.items()}

_EN_STOP = _t("en_count_stop")

_DE_STOP_CAPS = _t("de_count_stop_caps")

PEOPLE_NOUNS = _t("people_nouns")

_CLOCK = _t("clock_words")

_CLOCK_EN = _t("clock_words_en")


def scale_of(word: str, lang: str) -> float | None:
    """The factor of a scale word after a number, from the language tables."""
    return lang_data.scale(word, lang)


def word_after(text: str, pos: int) -> tuple[str, int, int]:
    """The word starting after spaces at `pos`: (word, start, end); ('', pos, pos) when none."""
    space = _SPACE_AT.match(text, pos)
    start = space.end() if space else pos
    match = _WORD_AT.match(text, start)
    if not match:
        return "", pos, pos
    return match.group(0), start, match.end()


def words_before(text: str, pos: int, count: int) -> list[str]:
    window = text[max(0, pos - 60) : pos]
    return [fold_cached(w) for w in LETTER_RUN.findall(window)[-count:]]


def approx_before(text: str, pos: int) -> tuple[str | None, int]:
    """`rund`, `mehr als`, `about` right before the number, on its line (a figure never spans lines)."""
    window = text[max(0, pos - 40) : pos]
    window = window[window.rfind("\n") + 1 :]
    folded = fold_cached(window)
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
        phrase = fold_cached(" ".join(t.group(0) for t in chunk))
        if phrase in _APPROX_WORDS and window[chunk[-1].end() :].strip() == "":
            start = pos - len(window) + chunk[0].start()
            return window[chunk[0].start() : chunk[-1].end()], start
    return None, pos


def is_skipped_context(text: str, start: int, end: int, lang: str, value: float, raw: str) -> bool:
    """True for tokens that are not figures: ids, times, dates, ordinals, ages, phone numbers."""
    if _inside_a_code(text, start, end, raw, value) and glued_currency(text, start, end, lang) is None:
        return True
    prev = words_before(text, start, 3)
    return _an_age(text, start, end, raw, value, prev) or _a_date_or_ordinal(
        text, start, end, lang, value, raw, prev
    )


_LETTERS_BEFORE = re.compile(rf"(?<![^\W\d_])({LETTERS})\Z")
_ISO_CODES = frozenset(number_data.CURRENCY_WORDS.values())
_MONEY_CODES = _ISO_CODES.union(
    CURRENCY_SYMBOLS.values(),
    number_data.CURRENCY_PREFIXES.values(),
    number_data.SCALED_CURRENCY_LETTERS.values(),
)


def glued_currency(text: str, start: int, end: int, lang: str) -> tuple[str, int] | None:
    """The currency code and its length when letters glued to the number name one: an ISO code
    (`SEK112m`, `USD5bn`) or a currency letter before a sum with a scale (`N16m`, `R2 billion`)."""
    before = _LETTERS_BEFORE.search(text, max(0, start - 4), start)
    if before is None:
        return None
    letters = before.group(1)
    if letters in _ISO_CODES:
        return letters, len(letters)
    code = number_data.SCALED_CURRENCY_LETTERS.get(letters)
    if code is None:
        return None
    suffix = LETTER_RUN.match(text, end)
    scale_word = suffix.group(0) if suffix else word_after(text, end)[0].rstrip(".")
    return (code, len(letters)) if scale_of(fold_cached(scale_word), lang) is not None else None


def _inside_a_code(text: str, start: int, end: int, raw: str, value: float) -> bool:
    """A number glued to letters or marks that make it part of a name, code, time or date: F-16,
    COVID-19, #3, +49, 21:25, 12/2024, 1.2.2024; an id or phone number of six digits or more."""
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
    # ids and phone numbers; large counts are written with separators
    return raw.isdigit() and len(raw) >= 6 and not CURRENCY_PREFIXES.search(text[max(0, start - 5) : start])


def _an_age(text: str, start: int, end: int, raw: str, value: float, prev: list[str]) -> bool:
    """A person's age: `Peter Müller (45)`, `Rahman, 60, son of …`, `45-jährig`, `at the age of 84`."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before == "(" and after == ")" and raw.isdigit() and value < 120:
        return True  # an age in a byline: "Peter Müller (45)"
    if (
        after == ","
        and raw.isdigit()
        and value < 120
        and _AGE_APPOSITION.search(text, max(0, start - 40), start)
    ):
        return True  # an age in apposition: "Rahman, 60, son of …"
    if _AGE_AFTER.match(fold_cached(text[end : end + 14])):
        return True
    if prev and prev[-1] in _t("age_before"):
        return True
    # "at the age of 84", "im Alter von 91", "dies at 84": an age, not a figure
    return " ".join(prev[-2:]) in _t("age_phrases") or bool(
        prev[-2:-1] and prev[-2] in _t("death_verbs") and prev[-1] == "at"
    )


def _a_date_or_ordinal(
    text: str, start: int, end: int, lang: str, value: float, raw: str, prev: list[str]
) -> bool:
    """A clock time, a date, an ordinal or a number with a suffix that is no unit: `3pm`, `1990er`,
    `20. Dezember`, `December 20`, `der 2. Weltkrieg`, `3rd`, the second day of `Jan. 8 and 9`."""
    after = text[end] if end < len(text) else ""
    suffix = LETTER_RUN.match(text, end)
    if suffix:
        s = fold_cached(suffix.group(0))
        if scale_of(s, lang) is None and s not in MEASURES and s not in PERCENT_WORDS:
            return True  # 3rd, 1990er, 4G, 3pm
    word, _, _word_end = word_after(text, end + 1 if after == "." else end)
    fw = fold_cached(word.rstrip("."))
    if fw in _CLOCK or (lang == "en" and fw in _CLOCK_EN):
        return True
    if fw in _MONTHS or (prev and prev[-1] in _MONTHS):
        return True  # 20. Dezember, 20 December, December 20, Dezember 2024
    if raw.isdigit() and value <= 31 and _DAY_RANGE.search(fold_cached(text[max(0, start - 24) : start])):
        return True  # the second day of `Jan. 8 and 9`, `March 3 to 5`
    if after == "." and lang == "de" and prev and prev[-1] in _DETERMINERS and word[:1].isalpha():
        return True  # "der 2. Weltkrieg", "am 3. Oktober"
    return bool(lang == "en" and _ENGLISH_ORDINAL.match(text, end, end + 3))


_ENGLISH_ORDINAL = re.compile(rf"(?:{'|'.join(lang_data.endings('english_ordinals'))})\b")


LABEL_EXEMPT = (
    YEAR_CONTEXT
    | _DETERMINERS
    | _MONTHS
    | _t("weekdays")
    | frozenset(w for phrase in _APPROX_WORDS for w in phrase.split())
    | _t("label_exempt")
)


def names_a_race(text: str, figure: Figure) -> bool:
    """`über 3000 Meter Hindernis`, `the 400m hurdles`: a distance that names a race, not a figure."""
    disciplines = _t("race_disciplines")
    parts = figure.text.split()
    if len(parts) >= 2 and _GLUED_DISTANCE.fullmatch(parts[-2]) and fold_cached(parts[-1]) in disciplines:
        return True  # `400m hurdles`, where `m` was read as million and `hurdles` as what is counted
    if figure_kind(figure) != "measure" or fold_cached(figure.unit or "") not in _t("race_distances"):
        return False
    after, _, _ = word_after(text, figure.start + len(figure.text))
    return fold_cached(after.rstrip(".,")) in disciplines


_GLUED_DISTANCE = re.compile(r"\d[\d.,]*(?:m|km)")


def is_label(text: str, start: int, figure: Figure, lang: str) -> bool:
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
    if not word[:1].isupper() or word.isupper() or len(word) < 2 or fold_cached(word) in LABEL_EXEMPT:
        return False
    if figure.unit is None:
        return True
    if (
        lang == "de"
        or fold_cached(figure.unit) in _CURRENCY_WORDS
        or figure.unit in CURRENCY_SYMBOLS.values()
    ):
        return False
    kind = figure_kind(figure)
    return kind in ("count", "bare")


def looks_like_year(text: str, start: int, end: int, raw: str, value: float) -> bool:
    return raw.isdigit() and len(raw) == 4 and 1800 <= value <= 2100


def lower_word_after(text: str, pos: int) -> bool:
    word, _, _ = word_after(text, pos)
    return word[:1].islower()


def unit_after(text: str, pos: int, lang: str) -> tuple[str, str, int] | None:
    space = _SPACE_AT.match(text, pos)
    at = space.end() if space else pos
    if at < len(text):
        ch = text[at]
        if ch == "%":
            return "%", "percent", at + 1
        if ch in CURRENCY_SYMBOLS:
            return CURRENCY_SYMBOLS[ch], "money", at + 1
    if text[pos : pos + 1] == "-":  # "18-month period", "5-km-Lauf"
        hyphen = LETTER_RUN.match(text, pos + 1)
        if hyphen and fold_cached(hyphen.group(0)) in _DURATIONS | MEASURES:
            return (
                hyphen.group(0),
                "duration" if fold_cached(hyphen.group(0)) in _DURATIONS else "measure",
                hyphen.end(),
            )
    word, _, word_end = word_after(text, pos)
    if not word:
        return None
    fw = fold_cached(word).rstrip(".")
    if fw in PERCENT_WORDS:
        return word.rstrip("."), "percent", word_end - (1 if word.endswith(".") else 0)
    second, _, second_end = word_after(text, word_end)
    second = second.rstrip(".")
    if second and f"{fw} {fold_cached(second)}" in _t("percent_phrases"):
        end = word_end + text[word_end:second_end].find(second) + len(second)
        return text[word_end - len(word) : end], "percent", end
    if fw in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[fw], "money", word_end - (1 if word.endswith(".") else 0)
    if fw in MEASURES or (fw.startswith("km/") or fw.startswith("m/")):
        return word.rstrip("."), "measure", word_end - (1 if word.endswith(".") else 0)
    if fw in _DURATIONS:
        return word.rstrip("."), "duration", word_end - (1 if word.endswith(".") else 0)
    return None


def noun_after(text: str, pos: int, lang: str, kind: str) -> tuple[int, str | None]:
    """What a number counts: `russische Soldaten`, `Russian soldiers`, `in running costs`."""
    at = _after_link(text, pos, kind)
    if at is None:
        return pos, None
    head: str | None = None
    end = pos
    for _ in range(4):
        inserted = _INSERTED_WORD_AT.match(text, at)
        if inserted:
            word, word_end = inserted.group(1), inserted.end()
        elif at < len(text) and text[at] not in " \u00a0\u202f-" and not text[at].isalpha():
            break
        else:
            word, _, word_end = word_after(text, at)
        if not word or word.endswith("."):
            bare = word[:-1]
            if bare and _ends_a_count(bare, lang):
                head, end = bare, word_end - 1
            break
        step = _count_word(word, lang)
        if step == _STOP and not _participle_before_noun(text, word, word_end, lang):
            break
        if step in (_HEAD, _LAST_HEAD):
            head, end = word, word_end
            if step == _LAST_HEAD:
                break
        at = word_end
    if head is None:
        return pos, None
    return end, head


def _after_link(text: str, pos: int, kind: str) -> int | None:
    """Where the counted noun may begin after a unit: after `in` of `£1,700 in running costs`, `der`
    of `30 Prozent der Stimmen`, `of the` of `8% of the vote`; None where a unit has no such link."""
    if kind not in ("money", "percent", "measure", "duration"):
        return pos
    word, _, word_end = word_after(text, pos)
    fw = fold_cached(word)
    if kind == "money" and fw in _t("money_links"):
        return word_end
    if kind == "percent" and fw in _t("percent_links"):
        w2, _, e2 = word_after(text, word_end)
        return e2 if fold_cached(w2) in _t("percent_link_articles") else word_end
    return None


def _ends_a_count(bare: str, lang: str) -> bool:
    """A word before a full stop that can be what the number counts (not a month, not a stop word)."""
    folded = fold_cached(bare)
    if folded in _MONTHS:
        return False
    return bare[:1].isupper() if lang == "de" else folded not in _EN_STOP


# What a word after a number does to the noun phrase it counts
_STOP, _SKIP, _HEAD, _LAST_HEAD = range(4)


def _participle_before_noun(text: str, word: str, end: int, lang: str) -> bool:
    """An English `-ed` word that describes the plural noun after it (`one million displaced people`,
    `20 wounded soldiers`), not a verb (`tens of thousands fled the city`)."""
    if lang != "en" or not fold_cached(word).endswith("ed"):
        return False
    after, _, _ = word_after(text, end)
    return bool(after) and not after.endswith(".") and _count_word(after, lang) == _LAST_HEAD


def _count_word(word: str, lang: str) -> int:
    """`_HEAD` for a noun that may go on (`Millionen Schuss Munition`), `_LAST_HEAD` for one that ends
    the phrase, `_SKIP` for a German adjective before it, `_STOP` for anything else."""
    fw = fold_cached(word)
    if fw in _MONTHS or scale_of(fw, lang) is not None:
        return _STOP
    if lang == "de":
        if word[:1].isupper():
            if fw in _DE_STOP_CAPS:
                return _STOP
            return _HEAD if fw in _t("multi_word_counts") else _LAST_HEAD
        if _GERMAN_ADJECTIVE.fullmatch(word) and fw not in _t("de_count_stop_lower"):
            return _SKIP
        return _STOP
    if fw in _EN_STOP or (not word.isalpha() and "-" not in word):
        return _STOP
    if fw.endswith("ed") and fw not in PEOPLE_NOUNS:
        return _STOP  # a verb: "tens of thousands fled"
    if fw in PEOPLE_NOUNS or (fw.endswith("s") and not fw.endswith("ss")):
        return _LAST_HEAD  # a plural noun ends the phrase: "running costs", "voters"
    return _HEAD


# a lower-case German word with an adjective's ending: `russische`, `weiteren`
_GERMAN_ADJECTIVE = re.compile(rf"[a-zäöüß]+(?:{'|'.join(lang_data.endings('german_adjective_endings'))})")


def figure_kind(figure: Figure) -> str:
    """'money', 'percent', 'measure', 'duration', 'people', 'count', 'vague' or 'bare'."""
    unit = fold_cached(figure.unit or "")
    if not unit:
        return "bare"
    if unit.upper() in _MONEY_CODES:
        return "money"
    if unit == "%" or unit in PERCENT_WORDS or unit in _t("percent_phrases"):
        return "percent"
    if unit in _DURATIONS or unit.split("-")[-1] in _DURATIONS:
        return "duration"
    if unit in MEASURES:
        return "measure"
    if unit in PEOPLE_NOUNS or any(unit.endswith(p) for p in _t("people_endings")):
        return "people"
    first = fold_cached(figure.text.split()[0]) if figure.text.split() else ""
    if first in VAGUE:
        return "vague"
    return "count"
