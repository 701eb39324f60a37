"""Figures in news text: numbers read by the article's locale, with what they count.

`10.000 Soldaten` (de) and `10,000 troops` (en) are ten thousand; `3,5` (de) and `3.5` (en) are three
and a half; `2 Mrd. Euro`, `1,2 Millionen`, `rund 8 Prozent`, `£1,700 in running costs`, `zwei Drittel`,
`Hunderte Menschen`. Years, dates, times, ages, phone numbers, ids and ordinals are not figures.

Every scan is a forward pass over number tokens with bounded look-around, so time is linear in the
length of the text and no pattern can backtrack catastrophically.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.core.text import fold
from bot.model import Figure


def _set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(words.split())


# A number token: digits with inner separators, always ending in a digit. Parsed in Python, not by regex.
_NUMBER = re.compile(r"\d(?:[\d.,\u00a0\u202f]*\d)?")
_WORD_AT = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")
_LETTERS = re.compile(r"[^\W\d_]+")
_SPACE_AT = re.compile(r"[ \u00a0\u202f]*")

_MONTHS = _set(
    "januar jaenner februar maerz april mai juni juli august september oktober november dezember jan "
    "feb maer mrz apr jun jul aug sep sept okt nov dez january february march may june july october "
    "december mar oct dec"
)
_DETERMINERS = _set("der die das dem den des am im zum zur vom beim the")
_YEAR_CONTEXT = _set(
    "in im seit bis von vom ab jahr jahre jahres jahren since until till by from of year years mid "
    "early late spring summer autumn fall winter fruehjahr fruehling sommer herbst anfang ende mitte "
    "before after vor nach zwischen between und and or oder to circa ca um around"
)
_AGE_AFTER = re.compile(r"(?:-|\s)(?:year-old|years?\s+old|jaehrig|jaehrige|jahre\s+alt|jahren)", re.I)
_SCALES: dict[str, float] = {
    "tausend": 1e3,
    "tsd": 1e3,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millionen": 1e6,
    "mio": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "mln": 1e6,
    "milliarde": 1e9,
    "milliarden": 1e9,
    "mrd": 1e9,
    "billion": 1e9,  # English; German "Billion" is handled by locale below
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "billionen": 1e12,
    "trillion": 1e12,
    "tn": 1e12,
}
_CURRENCY_SYMBOLS: dict[str, str] = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB"}
# right before the number, on its line: `$` would also match before a final "\n", `\s` across a line break
_CURRENCY_PREFIXES = re.compile(r"(?:US\$|A\$|C\$|HK\$|USD|EUR|GBP|CHF|JPY|[€$£¥₹₽])[ \u00a0\u202f]?\Z")
_CURRENCY_WORDS: dict[str, str] = {
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "cent": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "us-dollar": "USD",
    "usd": "USD",
    "pfund": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "gbp": "GBP",
    "pence": "GBP",
    "franken": "CHF",
    "chf": "CHF",
    "yen": "JPY",
    "yuan": "CNY",
    "rubel": "RUB",
    "roubles": "RUB",
    "rubles": "RUB",
    "rupees": "INR",
}
_PERCENT_WORDS = _set("prozent percent prozentpunkte prozentpunkt")
_MEASURES = _set(
    "km kilometer kilometern kilometres kilometers meter metern metres meters m cm mm miles mile "
    "meilen kg kilogramm kilo gramm tonnen tonne tonnes tons t liter litres liters l barrel barrels "
    "hektar ha acres quadratkilometer grad degrees °c mw gw kw kwh mwh gwh twh terabit gigabit "
    "megabit tb gb mb mbit gbit tbit mph km/h knoten knots feet ft fuss zoll inches"
)
_DURATIONS = _set(
    "jahre jahren jahr monate monaten monat wochen woche tage tagen tag stunden stunde minuten minute "
    "sekunden sekunde years year months month weeks week days day hours hour minutes minute seconds "
    "second jahrzehnte decades"
)
_APPROX_WORDS = (
    "mehr als",
    "weniger als",
    "bis zu",
    "more than",
    "less than",
    "fewer than",
    "at least",
    "up to",
    "as many as",
    "as much as",
    "as little as",
    "an estimated",
    "etwa",
    "rund",
    "ungefaehr",
    "circa",
    "ca.",
    "knapp",
    "fast",
    "beinahe",
    "ueber",
    "unter",
    "mindestens",
    "hoechstens",
    "nahezu",
    "annaehernd",
    "gut",
    "about",
    "around",
    "roughly",
    "approximately",
    "nearly",
    "almost",
    "over",
    "under",
    "some",
    "close to",
)
_RANGE_WORDS = _set("bis und to and - – —")
_VAGUE: dict[str, float] = {
    "dutzende": 12,
    "hunderte": 100,
    "tausende": 1e3,
    "zehntausende": 1e4,
    "hunderttausende": 1e5,
    "millionen": 1e6,
    "milliarden": 1e9,
    "dozens": 12,
    "hundreds of thousands": 1e5,
    "tens of thousands": 1e4,
    "hundreds": 100,
    "thousands": 1e3,
    "millions": 1e6,
    "billions": 1e9,
}
_CARDINALS: dict[str, float] = {
    "ein": 1,
    "eine": 1,
    "einer": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fuenf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwoelf": 12,
    "zwanzig": 20,
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
}
_FRACTIONS: dict[str, float] = {
    "drittel": 1 / 3,
    "viertel": 1 / 4,
    "fuenftel": 1 / 5,
    "zehntel": 1 / 10,
    "third": 1 / 3,
    "thirds": 1 / 3,
    "quarter": 1 / 4,
    "quarters": 1 / 4,
    "fifth": 1 / 5,
    "fifths": 1 / 5,
}
_CARDINAL_WORDS = (
    r"(?:[Ee]ine?r?|[Zz]wei|[Dd]rei|[Vv]ier|[Ff]ünf|[Ss]echs|[Ss]ieben|[Aa]cht|[Nn]eun|[Zz]ehn|[Zz]wölf"
    r"|[Zz]wanzig|[Aa]|[Oo]ne|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive|[Ss]ix|[Ss]even|[Ee]ight|[Nn]ine|[Tt]en"
    r"|[Tt]welve|[Tt]wenty)"
)
_COUNT_WORDS = (  # cardinals from two: "one"/"ein" are articles far more often than figures
    r"(?:[Zz]wei|[Dd]rei|[Vv]ier|[Ff]ünf|[Ss]echs|[Ss]ieben|[Aa]cht|[Nn]eun|[Zz]ehn|[Ee]lf|[Zz]wölf"
    r"|[Zz]wanzig|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive|[Ss]ix|[Ss]even|[Ee]ight|[Nn]ine|[Tt]en|[Ee]leven"
    r"|[Tt]welve|[Tt]wenty)"
)
_WORD_FIGURE = re.compile(
    rf"\b(?:(?P<card>{_CARDINAL_WORDS})[ \u00a0]+"
    r"(?P<frac>Drittel|Viertel|Fünftel|Zehntel|thirds?|quarters?|fifths?)"
    rf"|(?P<card2>{_CARDINAL_WORDS})[ \u00a0]+"
    r"(?P<scale>Millionen|Milliarden|million|billion|Million|Milliarde)"
    r"|(?P<vague>hundreds of thousands|tens of thousands"
    r"|Dutzende|Hunderte|Tausende|Zehntausende|Hunderttausende|Millionen|Milliarden"
    r"|dozens|hundreds|thousands|millions|billions)"
    rf"|(?P<card3>{_COUNT_WORDS}))\b"
)
_EN_STOP = _set(
    "the a an this that these those of in on at to for from by with and or but as is are was were be "
    "been have has had will would could should may might can do does did it its their his her they he "
    "she we i you our who which than then per over under into after before since during last next "
    "this each year years ago more less about around while when where if so not no also only just up "
    "down out said says told"
)
_DE_STOP_CAPS = _set("der die das ein eine uhr euro")
_PEOPLE = _set(
    "menschen personen tote toten todesopfer verletzte verletzten opfer soldaten soldatinnen "
    "fluechtlinge einwohner mitarbeiter mitarbeitende beschaeftigte arbeitsplaetze stellen kinder "
    "frauen maenner zivilisten gefangene geiseln patienten infizierte faelle besucher zuschauer fans "
    "mitglieder people persons dead killed injured wounded soldiers troops refugees residents workers "
    "employees jobs children women men civilians prisoners hostages patients cases visitors fans "
    "members deaths casualties victims migrants voters users customers"
)


@dataclass(slots=True)
class _Parsed:
    value: float
    start: int
    end: int


def parse_number(token: str, lang: str) -> float | None:
    """A number token read by locale: `10.000`/`10,000` -> 10000, `3,5`/`3.5` -> 3.5; None when malformed.

    Digits are decimal digits (`²` is a digit but no number); a value too large for a float is None.
    """
    value = _parse_number(token, lang)
    return value if value is not None and math.isfinite(value) else None


def _parse_number(token: str, lang: str) -> float | None:
    token = token.replace("\u00a0", "").replace("\u202f", "")
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
        grouping = (sep == "." and lang == "de") or (sep == "," and lang != "de")
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
    return [fold(w) for w in _LETTERS.findall(window)[-count:]]


def _approx_before(text: str, pos: int) -> tuple[str | None, int]:
    window = text[max(0, pos - 40) : pos]
    folded = fold(window)
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
        phrase = fold(" ".join(t.group(0) for t in chunk))
        if phrase in _APPROX_WORDS and window[chunk[-1].end() :].strip() == "":
            start = pos - len(window) + chunk[0].start()
            return window[chunk[0].start() : chunk[-1].end()], start
    return None, pos


_DEATH_WORDS = (["dies"], ["died"], ["dead"])


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
    if _AGE_AFTER.match(fold(text[end : end + 14])):
        return True
    prev = _words_before(text, start, 3)
    if prev and prev[-1] in ("aged", "alter", "tel", "telefon", "fax", "phone", "nr", "no", "id", "artikel"):
        return True
    if prev[-2:] in (["age", "of"], ["alter", "von"]) or (prev[-2:-1] in _DEATH_WORDS and prev[-1] == "at"):
        return True  # "at the age of 84", "im Alter von 91", "dies at 84": an age, not a figure
    if raw.isdigit() and len(raw) >= 6 and not _CURRENCY_PREFIXES.search(text[max(0, start - 5) : start]):
        return True  # ids and phone numbers; large counts are written with separators
    suffix = _LETTERS.match(text, end)
    if suffix:
        s = fold(suffix.group(0))
        if s not in _SCALES and s not in _MEASURES and s not in _PERCENT_WORDS:
            return True  # 3rd, 1990er, 4G, 3pm
    word, _, _word_end = _word_after(text, end + 1 if after == "." else end)
    fw = fold(word.rstrip("."))
    if fw in ("uhr", "h") or (lang == "en" and fw in ("am", "pm", "a.m", "p.m")):
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
    | frozenset(w for phrase in _APPROX_WORDS for w in phrase.split())
    | _set(
        "insgesamt damals davon darunter allein bereits nur noch schon weitere weiteren nun jetzt heute "
        "gestern morgen laut mit fuer auf an bei zu aber auch jeweils je pro per erneut wieder offenbar "
        "wohl zuletzt zudem demnach another all only just also but at on for with by the and some "
        "monday tuesday wednesday thursday friday saturday sunday today yesterday montag dienstag mittwoch "
        "donnerstag freitag samstag sonntag"
    )
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
    if not word[:1].isupper() or word.isupper() or len(word) < 2 or fold(word) in _LABEL_EXEMPT:
        return False
    if figure.unit is None:
        return True
    if lang == "de" or fold(figure.unit) in _CURRENCY_WORDS or figure.unit in _CURRENCY_SYMBOLS.values():
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
        if symbol in ("US$", "A$", "C$", "HK$"):
            unit = {"US$": "USD", "A$": "AUD", "C$": "CAD", "HK$": "HKD"}[symbol]
        kind = "money"
        text_start = start - len(prefix.group(0))
    pos = end
    # an attached suffix: 30.6bn, 5km, 3%
    suffix = _LETTERS.match(text, pos)
    scale = 1.0
    if suffix:
        s = fold(suffix.group(0))
        if s in _SCALES:
            scale = _SCALES[s]
        elif s in _MEASURES:
            unit, kind = suffix.group(0), kind or "measure"
        pos = suffix.end()
    elif pos < len(text) and text[pos] == "%":
        unit, kind, pos = "%", "percent", pos + 1
    else:
        word, _, word_end = _word_after(text, pos)
        fw = fold(word.rstrip("."))
        if fw in _SCALES and (len(fw) > 1 or lang == "en"):
            scale = _SCALES[fw]
            if fw == "billion" and lang == "de":
                scale = 1e12
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
        people = fold(unit or "") in _PEOPLE and _lower_word_after(text, end)
        if lang == "en" and kind == "count" and not people:
            return None  # English writes counts over 999 with a comma: "2026 Winter Games" is a year
    approx, approx_start = _approx_before(text, text_start)
    if approx:
        text_start = approx_start
    elif range_end is not None:
        prev_word = _words_before(text, text_start, 1)
        if prev_word and prev_word[-1] in ("zwischen", "between", "from"):
            cut = fold(text[max(0, text_start - 12) : text_start]).rfind(prev_word[-1])
            if cut >= 0:
                text_start = max(0, text_start - 12) + cut
    figure_text = text[text_start:pos].strip().rstrip(",;:")
    if kind == "" and not noun:
        unit = None
    return Figure(
        text=figure_text,
        value=low * scale,
        unit=unit,
        approx=fold(approx) if approx else None,
        start=text_start,
    )


def _lower_word_after(text: str, pos: int) -> bool:
    word, _, _ = _word_after(text, pos)
    return word[:1].islower()


def _range_second(text: str, pos: int, lang: str, first_start: int) -> tuple[int, float] | None:
    window = text[pos : pos + 24]
    m = re.match(r"\s*(bis|und|to|and|-|–|—)\s*", window)
    if not m:
        return None
    connector = m.group(1)
    if connector in ("und", "and"):
        prev = _words_before(text, first_start, 1)
        if not prev or prev[-1] not in ("zwischen", "between"):
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
    fw = fold(word.rstrip("."))
    if fw in _SCALES and len(fw) > 1:
        scale, after = _SCALES[fw], word_end
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
        if hyphen and fold(hyphen.group(0)) in _DURATIONS | _MEASURES:
            return (
                hyphen.group(0),
                "duration" if fold(hyphen.group(0)) in _DURATIONS else "measure",
                hyphen.end(),
            )
    word, _, word_end = _word_after(text, pos)
    if not word:
        return None
    fw = fold(word).rstrip(".")
    if fw in _PERCENT_WORDS:
        return word.rstrip("."), "percent", word_end - (1 if word.endswith(".") else 0)
    if fw in ("per", "pro") and fold(text[word_end : word_end + 5]).strip().startswith("cent"):
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
        fw = fold(word)
        if kind == "money" and fw in ("in", "an", "fuer", "for", "worth"):
            at = word_end
        elif kind == "percent" and fw in ("der", "des", "of", "aller", "all"):
            at = word_end
            w2, _, e2 = _word_after(text, at)
            if fold(w2) in ("the", "all", "seiner", "ihrer"):
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
                and fold(bare) not in _MONTHS
                and ((lang == "de" and bare[:1].isupper()) or (lang != "de" and fold(bare) not in _EN_STOP))
            ):
                head, end = bare, word_end - 1
            break
        fw = fold(word)
        if fw in _MONTHS or fw in _SCALES:
            break
        if lang == "de":
            if word[:1].isupper():
                if fw in _DE_STOP_CAPS:
                    break
                head, end = word, word_end
                if fw not in ("schuss", "stueck", "tonnen", "liter", "barrel"):
                    break
            elif re.fullmatch(r"[a-zäöüß]+(?:e|en|er|es|em)", word) and fw not in _DE_LOWER_STOP:
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


_DE_LOWER_STOP = _set(
    "die eine keine seine ihre unsere diese jene welche alle beide meine deine euer eure ihre andere "
    "werden wurde wurden haben hatte hatten sind seien waere waeren koennte koennen muessen sollen "
    "sollte wollen wollte ohne gegen gegenueber neben sowie aber oder wie wenn weil dass damit "
    "bereits ueber unter hinter zwischen per pro"
)


def _word_figures(text: str, lang: str, numeric: list[Figure]) -> list[Figure]:
    """`zwei Drittel`, `zwei Millionen`, `Hunderte`, `Millionen Schuss Munition`."""
    taken = [(f.start, f.start + len(f.text)) for f in numeric]
    found: list[Figure] = []
    for match in _WORD_FIGURE.finditer(text):
        start = match.start()
        if any(a <= start < b for a, b in taken):
            continue
        if match.group("frac"):
            card = _CARDINALS.get(fold(match.group("card")))
            if card is None:
                continue
            value = card * _FRACTIONS[fold(match.group("frac"))]
            kind = "fraction"
        elif match.group("scale"):
            card = _CARDINALS.get(fold(match.group("card2")))
            if card is None:
                continue
            scale = _SCALES.get(fold(match.group("scale")), 1e6)
            value, kind = card * scale, "scaled"
        elif match.group("card3"):
            value, kind = _CARDINALS[fold(match.group("card3"))], "cardinal"
        else:
            prev = text[max(0, start - 2) : start].strip()
            if prev[-1:].isdigit():
                continue
            value, kind = _VAGUE[fold(match.group("vague"))], "vague"
        end = match.end()
        approx: str | None = None
        if kind == "cardinal":  # "sieben Menschen", "Four heart transplants": only with what they count
            unit_info = _unit_after(text, end, lang)
            noun_end, noun = (unit_info[2], unit_info[0]) if unit_info else _noun_after(text, end, lang, "")
            if noun is None or (lang == "de" and text[end : end + 1] == "-"):
                continue
            if lang != "de" and not unit_info and not fold(noun).endswith("s"):
                continue  # a plural counts: "ten largest" is no figure
            approx, approx_start = _approx_before(text, start)
            found.append(
                Figure(
                    text=text[approx_start if approx else start : noun_end].strip(),
                    value=float(value),
                    unit=noun,
                    approx=fold(approx) if approx else None,
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
    unit = fold(figure.unit or "")
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
    if unit in _PEOPLE or any(unit.endswith(p) for p in ("soldaten", "verletzte", "tote", "opfer")):
        return "people"
    first = fold(figure.text.split()[0]) if figure.text.split() else ""
    if first in _VAGUE:
        return "vague"
    return "count"
