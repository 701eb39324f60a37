"""Language, normalisation, sentences and tokens for German and English news text.

Pure functions; everything above (matching, quotes, figures, stories) builds on these.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator

from bot.model import Article


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GERMAN_MARKERS = _word_set(
    "der die das und ist nicht mit von den dem des ein eine einer eines sich auf für wird wurde "
    "sind hat haben auch als nach bei aus zum zur über dass sagte werden noch wie"
)
_ENGLISH_MARKERS = _word_set(
    "the and is are was were not with from that this have has had for of to in on said would "
    "will its their which been by an"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width, word joiner, BOM, soft hyphen
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Bidirectional controls (marks, embeddings, overrides, isolates): a U+202E in a headline shows the
# rest of it reversed. Feed text never needs them, so cleaning drops them with the invisible ones;
# a topic someone types keeps them and is refused for them (matching names the character).
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CLEANED_AWAY = _INVISIBLE_CHARS + _BIDI_CONTROLS  # what clean_text removes from feed text
_CLEANED_AWAY = dict.fromkeys(map(ord, CLEANED_AWAY), None)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")


def clean_text(raw: str) -> str:
    """Plain text from feed text: tags dropped, entities decoded, invisible and bidi controls removed.

    Line breaks between paragraphs are kept; runs of other whitespace become one space.
    """
    text = _TAG.sub(" ", raw) if "<" in raw else raw
    text = html.unescape(text).translate(_CLEANED_AWAY)
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def words(text: str) -> list[str]:
    """The words of a text, in order, without punctuation or digits."""
    return _WORD.findall(text)


def detect_language(text: str, default: str = "en") -> str:
    """'de' or 'en', from the share of common function words; `default` when undecided."""
    lowered = words(text[:20_000].lower())
    german = sum(map(_GERMAN_MARKERS.__contains__, lowered))
    english = sum(map(_ENGLISH_MARKERS.__contains__, lowered))
    if german == english:
        return default
    return "de" if german > english else "en"


def article_language(article: Article) -> str:
    """The article's declared language when it is one we read, else a detected one."""
    if article.lang in ("de", "en"):
        return article.lang
    return detect_language(f"{article.title}\n{article.summary}\n{article.text}")


_UMLAUT_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "'", "‘": "'"})
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
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text)).translate(_UMLAUT_FOLD)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        # compatibility forms can decompose to capitals (`㎒` -> `MHz`): fold case once more
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _DASHES.sub("-", text)


def strip_invisible(text: str) -> str:
    """The text without zero-width characters, word joiners, BOMs and soft hyphens."""
    return _INVISIBLE_RE.sub("", text) if _INVISIBLE_RE.search(text) else text


# Tokens for matching: letters and digits (`G7`, `5G` are words here), split at everything else.
_TOKEN_SPLIT = re.compile(r"([^\W_]+)")


def tokens_and_gaps(text: str) -> tuple[list[str], list[str]]:
    """The tokens of a text and, for each token, the characters between it and the next one.

    `Nordkorea-Politik, sagte` -> (["Nordkorea", "Politik", "sagte"], ["-", ", ", ""]).
    One regular-expression split: linear in the length of the text.
    """
    parts = _TOKEN_SPLIT.split(text)
    return parts[1::2], parts[2::2]


STOP_WORDS = _word_set(
    "der die das den dem des ein eine einer eines einem einen und oder aber ist sind war waren "
    "nicht mit von zu zum zur im in am an auf aus bei fuer ueber unter nach vor als auch wie so "
    "es er sie wir ihr ich du man sich wird wurde werden hat haben sein noch nur schon dass ob "
    "wenn doch mehr sehr bis durch gegen ohne um diese dieser dieses jetzt hier dort da wo was "
    "the a an and or but is are was were be been being not with from to of in on at by for as "
    "it its this that these those he she we they you i his her their our your have has had do "
    "does did will would can could should may might must than then there here what which who "
    "whom whose when where why how all any some no nor so too very just also into over under"
)


def is_stop_word(word: str) -> bool:
    """True for a German or English function word (`der`, `und`, `the`, `über`), in any case."""
    return fold(word) in STOP_WORDS


# Light inflection stemmers over folded words (umlauts already expanded). They only strip
# endings, never rewrite a stem, and leave at least four letters, so that `Raketen`/`Rakete`,
# `Nordkoreas`/`Nordkorea`, `Weihnachtsmarktes`/`Weihnachtsmarkt` meet while `Eisen` stays away
# from `Eis`. Both sides of a comparison go through the same stemmer.
_DE_ENDINGS = ("ern", "em", "en", "er", "es", "e", "s")
_MIN_STEM = 4


def _strip_german(word: str) -> str:
    for ending in _DE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            if ending == "s" and word[-2] in "suixz":
                continue
            return word[: -len(ending)]
    return word


def stem(word: str, lang: str) -> str:
    """The inflection stem of a folded word: `raketen` -> `raket` (de), `printers` -> `printer` (en).

    German strips up to two endings (`muellers` -> `mueller` -> `muell`, as `mueller` does);
    English strips a possessive and a plural (`yahoo's` -> `yahoo`, `countries` -> `country`).
    """
    if lang == "de":
        return _strip_german(_strip_german(word))
    if word.endswith(("'s", "s'")):
        word = word[:-2] if word.endswith("'s") else word[:-1]
    if len(word) <= _MIN_STEM:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and word[-2] not in "suix":
        return word[:-1]
    return word


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before whitespace and
# an upper-case letter, digit or opening quote. Abbreviations and ordinals do not end sentences.
_ABBREVIATIONS = _word_set(
    "dr prof nr st bzw ca vgl z b u a etc usw mio mrd tsd mr mrs ms jr sr inc ltd co corp no vs "
    "jan feb mar apr jun jul aug sep sept oct okt nov dec dez gen lt col sgt rep sen gov u.s"
)
_SENTENCE_END = re.compile(r"([.!?…]+[\"“”„»«’'\)]*)(\s+)(?=[\"“”„»«‚‘'(\[]?[A-ZÄÖÜ0-9])")


def split_sentences(text: str) -> Iterator[tuple[int, str]]:
    """Sentences with their start offsets; paragraphs (lines) never share a sentence."""
    offset = 0
    for line in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(line):
            end = match.end(1)
            last_word = line[max(start, end - 12) : match.start(1)].split()
            tail = last_word[-1].lower().rstrip(".") if last_word else ""
            if match.group(1) == "." and (tail in _ABBREVIATIONS or tail.isdigit() or len(tail) == 1):
                continue
            sentence = line[start:end].strip()
            if sentence:
                yield offset + start + (len(line[start:end]) - len(line[start:end].lstrip())), sentence
            start = match.end()
        rest = line[start:]
        if rest.strip():
            yield offset + start + (len(rest) - len(rest.lstrip())), rest.strip()
        offset += len(line) + 1


def read_article(document: str, lang: str | None = None) -> Article:
    """An article in the seed format: the first non-empty line is the headline, the rest is the text."""
    lines = document.lstrip("\ufeff").splitlines()  # \n, \r\n, \r and Unicode line separators
    while lines and not lines[0].strip():
        lines.pop(0)
    title = " ".join(clean_text(lines[0]).split("\n")) if lines else ""  # `&#10;` is no line break here
    body = clean_text("\n".join(lines[1:]))
    return Article(title=title, summary="", text=body, lang=lang)
