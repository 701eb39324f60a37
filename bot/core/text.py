"""Language, normalisation, sentences and tokens for German and English news text.

Pure functions; everything above (matching, quotes, figures, stories) builds on these.
"""

from __future__ import annotations

import html
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import NamedTuple

from bot.core import lang as lang_data
from bot.core.folding import INVISIBLE_CHARS, UMLAUT_FOLD, fold
from bot.model import Article

# The one tokenizer of the core: every module that splits text into words or numbers builds on these
# patterns (tests/unit/test_one_reader.py finds no other word or number pattern in bot/core).
LETTERS = r"[^\W\d_]+"  # a run of letters, in any script
WORD = rf"{LETTERS}(?:[-'’]{LETTERS})*"  # a word with inner hyphens and apostrophes: `O'Neill`
ALNUM = r"[^\W_]+"  # letters and digits: a token of matching (`G7`, `5G`)
# A number as written: digits with inner separators, always ending in a digit; a space, no-break or thin
# space groups thousands only before exactly three digits (`45 000`, `15 368,39`); figures.parse_number
# reads its value.
NUMBER = r"\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?(?![\d.,]?\d)|\d(?:[\d.,]*\d)?"
# A token word begins with a letter and may hold digits (`G7`, `A61`, `Covid-19`); a mark is one character.
_TOKEN = re.compile(rf"(?P<num>{NUMBER})|(?P<word>{LETTERS}(?:{ALNUM})?(?:[-'’]{ALNUM})*)|(?P<mark>\S)")
_WORD = re.compile(rf"{LETTERS}(?:['’]{LETTERS})?")
# Bidirectional controls (marks, embeddings, overrides, isolates): a U+202E in a headline shows the
# rest of it reversed. Feed text never needs them, so cleaning drops them with the invisible ones;
# a topic someone types keeps them and is refused for them (matching names the character).
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CLEANED_AWAY = INVISIBLE_CHARS + _BIDI_CONTROLS  # what clean_text removes from feed text
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


class Token(NamedTuple):
    """A token and where it stands: `kind` is "word", "num" or "mark" (any other visible character)."""

    text: str
    start: int
    kind: str


_GROUP = operator.methodcaller("group")
_START = operator.methodcaller("start")
_KIND = operator.attrgetter("lastgroup")


def tokenize(text: str) -> list[Token]:
    """Words, numbers and marks of a text with their offsets, in order; whitespace is skipped."""
    matches = list(_TOKEN.finditer(text))
    # built in C (map over bound methods, tuple.__new__): a third faster than Token(...) per match
    fields = zip(map(_GROUP, matches), map(_START, matches), map(_KIND, matches), strict=True)
    return list(map(tuple.__new__, repeat(Token), fields))


def is_title_case(words: Iterable[str]) -> bool:
    """A headline in Title Case (`Major Global Outage Impacts Amazon`): its capitals say nothing about
    names. Three words of four letters or more, seven in ten of them capitalised."""
    longer = [w for w in words if len(w) > 3]
    return len(longer) >= 3 and sum(w[0].isupper() for w in longer) >= 0.7 * len(longer)


def words(text: str) -> list[str]:
    """The words of a text, in order, without punctuation or digits."""
    return _WORD.findall(text)


def detect_language(text: str, default: str = "en") -> str:
    """'de' or 'en', from the share of common function words; `default` when undecided."""
    lowered = words(text[:20_000].lower())
    if not text.isascii():  # `für` as the table folds it, `fuer`: word by word, cheaper than the text
        lowered = [w if w.isascii() else w.translate(UMLAUT_FOLD) for w in lowered]
    german = sum(map(lang_data.table("german_markers").__contains__, lowered))
    english = sum(map(lang_data.table("english_markers").__contains__, lowered))
    if german == english:
        return default
    return "de" if german > english else "en"


_GERMAN_LETTERS = re.compile("[äöüÄÖÜß]").search


def article_language(article: Article) -> str:
    """The article's declared language when it is one we read, else the one detector's answer.

    Headline digests (`Meta-Entlassungen wegen KI + Intel-Aktiensprung`) hold few function words;
    when those do not decide, German letters do."""
    if article.lang in ("de", "en"):
        return article.lang
    text = f"{article.title}\n{article.summary}\n{article.text[:5000]}"
    return detect_language(text, default="") or ("de" if _GERMAN_LETTERS(text) else "en")


# Tokens for matching: letters and digits (`G7`, `5G` are words here), split at everything else; in
# ASCII text letters and digits are exactly [A-Za-z0-9], which splits faster.
_TOKEN_SPLIT = re.compile(f"({ALNUM})").split
_ASCII_TOKEN_SPLIT = re.compile(r"([A-Za-z0-9]+)").split


def tokens_and_gaps(text: str) -> tuple[list[str], list[str]]:
    """The tokens of a text and, for each token, the characters between it and the next one.

    `Nordkorea-Politik, sagte` -> (["Nordkorea", "Politik", "sagte"], ["-", ", ", ""]).
    One regular-expression split: linear in the length of the text.
    """
    parts = _ASCII_TOKEN_SPLIT(text) if text.isascii() else _TOKEN_SPLIT(text)
    return parts[1::2], parts[2::2]


def is_stop_word(word: str) -> bool:
    """True for a German or English function word (`der`, `und`, `the`, `über`), in any case."""
    return fold(word) in lang_data.stop_words()


# Light inflection stemmers over folded words (umlauts already expanded). They only strip
# endings, never rewrite a stem, and leave at least four letters, so that `Raketen`/`Rakete`,
# `Nordkoreas`/`Nordkorea`, `Weihnachtsmarktes`/`Weihnachtsmarkt` meet while `Eisen` stays away
# from `Eis`. Both sides of a comparison go through the same stemmer.
_DE_ENDINGS = lang_data.endings("german_inflections")
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
            abbreviation = tail in lang_data.table("abbreviations") or tail.isdigit() or len(tail) == 1
            if match.group(1) == "." and abbreviation:
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
