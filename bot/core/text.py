"""Language, normalisation, sentences and tokens for German and English news text.

Pure functions; everything above (matching, quotes, figures, stories) builds on these.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator

from bot.model import Article

_GERMAN_MARKERS = frozenset(
    "der die das und ist nicht mit von den dem des ein eine einer eines sich auf für wird wurde "
    "sind hat haben auch als nach bei aus zum zur über dass sagte werden noch wie".split()
)
_ENGLISH_MARKERS = frozenset(
    "the and is are was were not with from that this have has had for of to in on said would "
    "will its their which been by an".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")


def clean_text(raw: str) -> str:
    """Plain text from feed text: tags dropped, entities decoded, invisible characters removed.

    Line breaks between paragraphs are kept; runs of other whitespace become one space.
    """
    text = _TAG.sub(" ", raw) if "<" in raw else raw
    text = html.unescape(text).translate(_INVISIBLE)
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def words(text: str) -> list[str]:
    """The words of a text, in order, without punctuation or digits."""
    return _WORD.findall(text)


def detect_language(text: str, default: str = "en") -> str:
    """'de' or 'en', from the share of common function words; `default` when undecided."""
    german = english = 0
    for word in words(text[:20_000].lower()):
        if word in _GERMAN_MARKERS:
            german += 1
        elif word in _ENGLISH_MARKERS:
            english += 1
    if german == english:
        return default
    return "de" if german > english else "en"


def article_language(article: Article) -> str:
    """The article's declared language when it is one we read, else a detected one."""
    if article.lang in ("de", "en"):
        return article.lang
    return detect_language(f"{article.title}\n{article.summary}\n{article.text}")


_UMLAUT_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form: `Müller`, `Mueller` and `MÜLLER` all fold to `mueller`.

    German umlauts and ß expand the way German writes them without umlauts; other accents
    are dropped (`Señor` -> `senor`); typographic dashes become a plain hyphen.
    """
    text = text.casefold().translate(_UMLAUT_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\u2010-\u2015\u2212]", "-", stripped)


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before whitespace and
# an upper-case letter, digit or opening quote. Abbreviations and ordinals do not end sentences.
_ABBREVIATIONS = frozenset(
    "dr prof nr st bzw ca vgl z b u a etc usw mio mrd tsd mr mrs ms jr sr inc ltd co corp no vs "
    "jan feb mar apr jun jul aug sep sept oct okt nov dec dez gen lt col sgt rep sen gov u.s".split()
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
    lines = document.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    title = clean_text(lines[0]) if lines else ""
    body = clean_text("\n".join(lines[1:]))
    return Article(title=title, summary="", text=body, lang=lang)
