"""Topic queries and topic matching for German and English news.

A topic query names a topic with aliases, required and excluded terms and an optional threshold:

    Nordkorea | North Korea | DPRK | "Kim Jong Un" +Raketen -Südkorea ~80

Matching decides, for every article and topic, how strongly the article names the topic and why.
A word of a topic meets a word of an article in one of these ways (the quality in brackets):

- exactly, after folding case, umlauts, ß and accents: `Müller` = `Mueller` = `MÜLLER` (100)
- inflected: `Raketen` for `Rakete`, `Nordkoreas` for `Nordkorea`, `printers` for `printer` (96)
- derived: `nordkoreanischen`, `Nordkoreaner` for `Nordkorea`, `Japanese` for `Japan` (92)
- in a German compound, the topic as head or tail: `Rentenreform`, `Altersrente` for `Rente`, with
  a minimum length of the other part so that `Natoli` does not contain `NATO` and a match only at
  a word's start or end so that `Parenteral` does not contain `Rente` (85)
- fuzzily, for long words only: one typo in nine letters (a rapidfuzz Levenshtein score, minus 10)

Words of several-word aliases (`Atletico Madrid`) must meet adjacent words of the article, so
`Real Madrid` does not match an article about Atletico. Short words (four letters or fewer) match
exactly (and with a genitive/plural `s`); acronyms written in capitals (`NATO`, `US`) match only
words that are not written all in lower case, so `US` does not match `us`, and an acronym of two
letters only words written in capitals, so `IT` does not match `It` and `UN` not `Un`.

A hit scores its quality times the weight of its field (title 1.0, summary 0.94, text 0.88), and
the topic's score is its best hit plus a little for every further hit. Scores run from 0 to 100;
a topic matches when its score reaches its threshold.

Speed: the words of all topics form an index (exact forms, stems, derivation bases, compound heads
and tails). Every distinct word of a batch of articles is looked up once; an article reaches the
scoring of a topic only when it shares an indexed word with it. Only the long words that the index
did not decide go to rapidfuzz, as one vectorised search per topic word over the batch's words.
"""

from __future__ import annotations

import functools
import gc
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import compress, count

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.core import lang as lang_data
from bot.core.figures import parse_number
from bot.core.folding import fold, strip_invisible
from bot.core.text import (
    ALNUM,
    _strip_german,
    article_language,
    stem,
    tokens_and_gaps,
)
from bot.model import Article, Evidence, MatchResult, TopicQuery

DEFAULT_THRESHOLD = 70.0
MAX_QUERY_CHARS = 200
MAX_TERMS = 20
MAX_EVIDENCE = 5

GRAMMAR = (
    "A topic reads: NAME [| ALIAS …] [+REQUIRED …] [-EXCLUDED …] [~THRESHOLD], for example "
    '`Nordkorea | North Korea | DPRK +Raketen -Südkorea ~80`. Put a phrase in "double quotes" '
    '(`+"Mark Rutte"`); a threshold is a number from 0 to 100; letters, digits, spaces and '
    f"- ' . & / + (inside a name: Müller+Partner) only; at most {MAX_QUERY_CHARS} characters."
)

FIELD_WEIGHTS = (("title", 1.0), ("summary", 0.94), ("text", 0.88))

Q_EXACT = 100.0
Q_INFLECTED = 96.0
Q_DERIVED = 92.0
Q_COMPOUND = 85.0
FUZZY_PENALTY = 10.0
FUZZY_MIN_LEN = 9
FUZZY_CUTOFF = 0.88
REPEAT_BONUS = 2.0
REPEAT_BONUS_CAP = 8.0

# German compounds: the other part of a compound must be at least this long (and hold a vowel).
COMPOUND_MIN_REST = 4
COMPOUND_MIN_REST_SHORT_TOPIC = 5  # when the topic word itself has only four letters (`Nato`, `Bank`)
COMPOUND_MIN_PREFIX = 4  # `Rasputin` is no compound of `Putin`
COMPOUND_MIN_PREFIX_LONG_TOPIC = 3  # … but `Ostukraine` is one of `Ukraine` (topic words of 7+ letters)
LINKING_ELEMENTS = ("", "s", "n", "en", "es", "er", "e", "ns")
# Endings that derive adjectives and inhabitants from names, on an inflection stem:
# nordkoreanisch(en), Nordkorean(er), japanese, chinesisch, europaeisch, georgian, Londoner.
DERIVATION_ENDINGS: tuple[str, ...] = (
    *("ianisch", "anisch", "esisch", "eisch", "isch", "ian", "an", "ese", "ish", "er", "n"),
    "lich",
)
_DERIVATIONS_BY_LAST_LETTER: dict[str, tuple[str, ...]] = defaultdict(tuple)
for _ending in DERIVATION_ENDINGS:
    _DERIVATIONS_BY_LAST_LETTER[_ending[-1]] += (_ending,)
# English demonyms in -i, of the whole name: Israeli, Pakistani, Iraqis (the English stem keeps
# the s after an i), but not Francis for France
DEMONYM_ENDINGS = ("i", "is")
# German adjectives in -lich from nouns: friedlich, staatlich (on a base of five letters: not herrlich)
LICH_MIN_BASE = 5
# German endings of a four-letter noun: `Wahlen`, `Banken`, `Boote`, `Zolles` (not `-er`: `Banker`).
SHORT_GERMAN_ENDINGS = frozenset({"e", "en", "es", "n"})
# Place names are no compounds of the word they begin with: Brandenburg, Frankreich, Frankfurt,
# Islamabad, Recklinghausen, Tübingen (the rest, after a linking element, is a place-name ending).
PLACE_NAME_ENDINGS = ("burg", "furt", "hausen", "ingen", "abad", "reich", "dorf")
_PLACE_WORDS = frozenset({*PLACE_NAME_ENDINGS, "land"})
_PLACE_RESTS = frozenset(
    link + ending + inflection
    for link in LINKING_ELEMENTS
    for ending in PLACE_NAME_ENDINGS
    for inflection in ("", "s", "er", "ern", "ers")  # Frankreichs, Brandenburger
)
# A doctrine and its follower: populism = populist(s), Populismus = Populisten, terrorism = terrorist.
ISM_ENDINGS = ("ismus", "istisch", "istic", "ism", "ist")
_VOWELS = frozenset("aeiouy")
_NO_UMLAUT = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
_QUOTES = frozenset('"„“”»«')
_ALLOWED_PUNCTUATION = frozenset("-'’.&/+")
# A hyphen (or a dash written without spaces, as in `Ukraine–Krieg`) links the parts of a compound.
_HYPHENS = frozenset({"-", "‐", "‑", "‒", "–", "—"})
# Between the words of a phrase: spaces, a compound's hyphen, or `&`, `/`, `.`, `'`, `+` without
# spaces (`AT&T`, `E.ON`, `O'Brien`, `Müller+Partner`). A comma, a spaced dash or a line break ends a phrase.
_HYPHEN_SEARCH = re.compile("|".join(map(re.escape, sorted(_HYPHENS)))).search
_HYPHEN_CLASS = "|".join(map(re.escape, sorted(_HYPHENS)))
_CHAIN = re.compile(rf"{ALNUM}(?:(?:{_HYPHEN_CLASS}){ALNUM})+")
_HYPHEN_SPLIT = re.compile(_HYPHEN_CLASS).split
# Abbreviations written with dots are their acronym: `U.S.`, `E.U.`, `U.N.` read as `US`, `EU`, `UN`.
_DOTTED = re.compile(r"(?<![\w.])[A-Z](?:\.[A-Z])+\b\.?")
_CAPITAL_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PHRASE_GLUE = _HYPHENS | {"&", " & ", "/", ".", "'", "’", "+"}
# Function words of one language that are nouns or names in the other: a topic may be one of them
# alone (`war`, `Hat`, `May`), and it then does not meet the function word in an article of the
# language where it is one (`war` in `Er war da`), unless the topic and the article's word are
# both capitalised (`May` in `Theresa May`, not `may`).
FUNCTION_WORD_LANGUAGE = {
    "war": "de",
    "hat": "de",
    "man": "de",
    "die": "de",
    "all": "en",
    "may": "en",
    "will": "en",
}


class QueryError(ValueError):
    """A topic query that cannot be used; the message is for the user and shows the grammar."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}. {GRAMMAR}")
        self.problem = problem


# ---------------------------------------------------------------------------------------------
# Parsing


def _lex(text: str) -> list[tuple[str, str]]:
    """('|', '') separators, ('word', w) and ('phrase', p) tokens; raises on an unbalanced quote."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "|":
            out.append(("|", ""))
            i += 1
        elif ch in _QUOTES:
            j = i + 1
            while j < n and text[j] not in _QUOTES:
                j += 1
            if j >= n:
                raise QueryError(f"the quote that opens at `{text[i : i + 20]}` is never closed")
            out.append(("phrase", text[i + 1 : j]))
            i = j + 1
        elif ch in "+-" and (i + 1 >= n or text[i + 1].isspace() or text[i + 1] in _QUOTES):
            out.append(("op", ch))  # `+ "Mark Rutte"`, `- Südkorea`
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != "|" and text[j] not in _QUOTES:
                j += 1
            out.append(("word", text[i:j]))
            i = j
    return out


def _check_term(term: str, kind: str) -> str:
    term = " ".join(term.split())
    if not term:
        raise QueryError(f"an empty {kind}")
    for ch in term:
        if not (ch.isalnum() or ch == " " or ch in _ALLOWED_PUNCTUATION):
            name = unicodedata.name(ch, "")
            shown = f"`{ch}` (U+{ord(ch):04X}{' ' + name if name else ''})"
            raise QueryError(f"the {kind} `{term}` holds the character {shown}, which a topic cannot use")
    folded = [fold(w) for w in tokens_and_gaps(term)[0]]
    if not folded:
        raise QueryError(f"the {kind} `{term}` has no letters or digits")
    originals = tokens_and_gaps(term)[0]
    lone_word = len(folded) == 1 and folded[0] in FUNCTION_WORD_LANGUAGE
    acronyms = all(len(w) <= 5 and w.isupper() for w in originals)  # `IT`, `AN`
    if all(w in lang_data.stop_words() for w in folded) and not (lone_word or acronyms):
        raise QueryError(f"the {kind} `{term}` has only stop words such as `der` or `the`")
    return term


def _parse_threshold(value: str) -> float:
    number = parse_number(value)  # the one number reader: `~72,5` and `~72.5` alike
    if number is None:
        raise QueryError(f"`~{value}` is not a threshold")
    if not 0.0 <= number <= 100.0:
        raise QueryError(f"the threshold {value} is outside 0 to 100")
    return number


def parse_topic(text: str, threshold: float | None = None) -> TopicQuery:
    """A TopicQuery from the text of a command: `Nordkorea | North Korea +Raketen -Südkorea ~80`.

    `|` separates aliases (the first is the topic's name), `+term` must also appear, `-term` must
    not, `~N` sets the threshold (the `threshold` argument, when given, wins). Raises QueryError
    with the grammar for anything it cannot use. No user regex: terms are words and phrases.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the topic is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed")
    cleaned = unicodedata.normalize("NFC", strip_invisible(text)).strip()
    if not cleaned:
        raise QueryError("the topic is empty")
    aliases: list[str] = []
    required: list[str] = []
    excluded: list[str] = []
    in_text_threshold: float | None = None
    current: list[str] = []
    pending: str | None = None  # a lone + or - waiting for its term

    def close_alias(at_separator: bool) -> None:
        if current:
            aliases.append(_check_term(" ".join(current), "alias"))
            current.clear()
        elif at_separator:
            raise QueryError("a `|` without an alias on both sides")

    for kind, value in _lex(cleaned):
        if kind == "|":
            if pending:
                raise QueryError(f"`{pending}` without a term after it")
            close_alias(at_separator=True)
            if not aliases:
                raise QueryError("a `|` without an alias on both sides")
        elif kind == "op":
            if pending:
                raise QueryError(f"`{pending}` without a term after it")
            pending = value
        elif pending is not None or (kind == "word" and value[0] in "+-" and len(value) > 1):
            sign = pending if pending is not None else value[0]
            term = value if pending is not None else value[1:]
            pending = None
            target = required if sign == "+" else excluded
            target.append(_check_term(term, "required term" if sign == "+" else "excluded term"))
        elif kind == "word" and value.startswith("~"):
            in_text_threshold = _parse_threshold(value[1:])
        else:
            current.append(value)
    if pending:
        raise QueryError(f"`{pending}` without a term after it")
    if current or not aliases:
        close_alias(at_separator=bool(aliases) and not current)
    if not aliases:
        raise QueryError("the topic has no name, only +/- terms")
    if len(aliases) + len(required) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the topic has more than {MAX_TERMS} aliases and terms")
    unique: dict[str, str] = {}
    for alias in aliases:
        unique.setdefault(fold(alias), alias)
    if threshold is not None:
        if not 0.0 <= threshold <= 100.0:
            raise QueryError(f"the threshold {threshold} is outside 0 to 100")
        in_text_threshold = float(threshold)
    return TopicQuery(
        name=aliases[0],
        aliases=tuple(unique.values()),
        required=tuple(dict.fromkeys(required)),
        excluded=tuple(dict.fromkeys(excluded)),
        threshold=in_text_threshold,
    )


# ---------------------------------------------------------------------------------------------
# The index of topic words

ALIAS, REQUIRED, EXCLUDED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Term:
    topic: int
    role: int  # ALIAS, REQUIRED or EXCLUDED
    display: str  # as the user wrote it; the `alias` of evidence
    words: tuple[int, ...]  # word ids, in order


def _has_vowel(part: str) -> bool:
    return not _VOWELS.isdisjoint(part)


def _umlaut_plural_base(word: str, endings: tuple[str, ...] = ("en", "e")) -> str | None:
    """The folded singular of a German plural formed with an umlaut and -e or -en, else None.

    `Zölle`, `Zöllen` -> `zoll`; `Städte` -> `stadt`; `Bäume` -> `baum`. Plurals in -er (`Länder`)
    are left alone: the -er of `Bürger` or `Müller` is no ending.
    """
    lower = word.lower()
    plain = lower.translate(_NO_UMLAUT)
    if plain == lower:
        return None
    plain = fold(plain)
    for ending in endings:
        base = plain[: -len(ending)]
        if plain.endswith(ending) and len(base) >= 4 and base[-1] not in _VOWELS:
            return base
    return None


def _ism_base(stemmed: str) -> str | None:
    """`popul` for populism, populist, Populismus, populistisch; None for other words."""
    if stemmed.endswith(ISM_ENDINGS):
        for ending in ISM_ENDINGS:
            if stemmed.endswith(ending) and len(stemmed) - len(ending) >= 4:
                return stemmed[: -len(ending)]
    return None


class _Lexicon:
    """Every distinct word of a set of topics, under the keys an article word can meet it by."""

    def __init__(self, topics: Sequence[TopicQuery]) -> None:
        self.terms: list[_Term] = []
        self.folded: list[str] = []
        self.acronym: list[bool] = []
        # word -> (the language it is a function word in, written capitalised) for lone words
        self.function_word: list[tuple[str, bool] | None] = []
        self.terms_of_word: list[list[tuple[int, int]]] = []  # word -> (term, index in term)
        self._ids: dict[tuple[str, bool], int] = {}
        self.exact: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.stems: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.bases: dict[str, list[int]] = defaultdict(list)
        self.land_bases: dict[str, list[int]] = defaultdict(list)
        self.isms: dict[str, list[int]] = defaultdict(list)  # populism, populist -> popul
        self.heads: dict[str, list[int]] = defaultdict(list)
        self.short: dict[str, list[int]] = defaultdict(list)  # four-letter words, for German endings
        # tail -> (word, min prefix, whether a linking `s` or `n` must end the prefix)
        self.tails: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
        self.fuzzy: dict[str, list[tuple[str, int]]] = {"de": [], "en": []}  # lang -> (stem, word)
        for number, topic in enumerate(topics):
            for alias in topic.aliases:
                self._add_term(number, ALIAS, alias, alias)
                if any(h in alias for h in _HYPHENS) and " " not in alias.strip():
                    # `Ukraine-Krieg` also as the closed compound `Ukrainekrieg`
                    joined = "".join(tokens_and_gaps(alias)[0])
                    self._add_term(number, ALIAS, alias, joined)
            for term in topic.required:
                self._add_term(number, REQUIRED, "+" + term, term)
            for term in topic.excluded:
                self._add_term(number, EXCLUDED, "-" + term, term)
        self.head_lengths = sorted({len(k) for k in self.heads})
        # Every stem and derivation base an article word is looked up by is a prefix of (or equal
        # to) its stem, so a stem whose first four letters begin none of them meets none of them.
        self.stem_prefixes = {k[1][:4] for k in self.stems}
        self.stem_prefixes.update(k[:4] for k in self.bases)
        self.stem_prefixes.update(k[:4] for k in self.land_bases)
        self.stem_prefixes.update(k[:4] for k in self.isms)
        self.tail_lengths = sorted({len(k) for k in self.tails})
        # every tail and head has four letters or more: a word whose last (first) four letters end
        # (begin) none of them has no tail (head) to look for
        self.tail_ends = {k[-4:] for k in self.tails}
        self.head_starts = {k[:4] for k in self.heads}

    def _add_term(self, topic: int, role: int, display: str, text: str) -> None:
        originals = tokens_and_gaps(strip_invisible(text))[0]
        if not originals:
            return
        ids = tuple(self._word(w) for w in originals)
        if len(ids) == 1 and (language := FUNCTION_WORD_LANGUAGE.get(self.folded[ids[0]])):
            self.function_word[ids[0]] = (language, originals[0][:1].isupper())
        term_id = len(self.terms)
        self.terms.append(_Term(topic, role, display, ids))
        for index, word in enumerate(ids):
            self.terms_of_word[word].append((term_id, index))

    def _word(self, original: str) -> int:
        folded = fold(original)
        acronym = len(original) <= 5 and original.isupper()
        key = (folded, acronym)
        if key in self._ids:
            return self._ids[key]
        word = len(self.folded)
        self._ids[key] = word
        self.folded.append(folded)
        self.acronym.append(acronym)
        self.function_word.append(None)
        self.terms_of_word.append([])
        self.exact[folded].append((word, Q_EXACT))
        if (len(folded) >= 3 or (acronym and len(folded) == 2)) and not folded[-1].isdigit():
            self.exact[folded + "s"].append((word, Q_INFLECTED))  # Natos, Irans, HPs, EVs
        if len(folded) == 3 and folded[-1] in "sxz":
            self.exact[folded + "es"].append((word, Q_INFLECTED))  # taxes, gases, buses
        if len(folded) >= 4:
            self.heads[folded].append(word)
        singular = _umlaut_plural_base(original)
        if singular:  # Zölle -> Zoll, Zolls, Paketzoll; Städte -> Stadt, Stadtes
            self.exact[singular].append((word, Q_INFLECTED))
            self.exact[singular + "s"].append((word, Q_INFLECTED))
            self.tails[singular].append((word, COMPOUND_MIN_PREFIX, singular[0] in _VOWELS))
            if len(singular) >= 5:
                self.stems[("de", stem(singular, "de"))].append(word)
        if acronym or len(folded) < 4:
            return word
        if len(folded) == 4:  # only derivations of the whole word: Iran -> iranian, iranische
            if folded.isalpha():
                self.bases[folded].append(word)
                self.short[folded].append(word)
                # the tail of a compound: Notenbank, Kommunalwahl (not Auswahl: the prefix is short);
                # a tail that begins with a vowel only after a linking s or n, as in Kriegsende or
                # Wochenende (not Trendwende, Legende); no tails for the place-name words Land and
                # Burg (Deutschland, Hamburg)
                if folded not in _PLACE_WORDS:
                    self.tails[folded].append((word, COMPOUND_MIN_PREFIX, folded[0] in _VOWELS))
            return word
        stems = {stem(folded, "de"), stem(folded, "en")}
        for lang in ("de", "en"):
            self.stems[(lang, stem(folded, lang))].append(word)
        bases = set(stems)
        bases.update(s[:-1] for s in stems if s[-1] in _VOWELS and len(s) > 4)  # china -> chin(esisch)
        for base in bases:
            self.bases[base].append(word)
        for word_stem in stems:
            doctrine = _ism_base(word_stem)
            if doctrine and word not in self.isms[doctrine]:
                self.isms[doctrine].append(word)
        if folded.endswith("any"):  # Germany -> German, Germans; Tuscany -> Tuscan
            self.exact[folded[:-1]].append((word, Q_DERIVED))
            self.exact[folded[:-1] + "s"].append((word, Q_DERIVED))
        if folded.endswith("land") and len(folded) >= 8:
            self.land_bases[folded[:-4]].append(word)  # Russland -> russisch, Finnland -> finnisch
        min_prefix = COMPOUND_MIN_PREFIX_LONG_TOPIC if len(folded) >= 7 else COMPOUND_MIN_PREFIX
        for tail in {folded, stem(folded, "de")}:
            if len(tail) >= 4:
                self.tails[tail].append((word, min_prefix, False))
        if len(folded) >= FUZZY_MIN_LEN:
            for lang in ("de", "en"):
                self.fuzzy[lang].append((stem(folded, lang), word))
        return word

    def analyse(self, token: str, lang: str) -> tuple[tuple[int, float], ...]:
        """Every topic word this article word meets, with the best quality of meeting it."""
        folded = fold(token)
        lower = token.islower()
        capitalised = token[:1].isupper()
        capitals = token[:2].isupper()  # a two-letter acronym only so: `IT`, `EVs`, not `It`, `Un`
        best: dict[int, float] = {}

        def add(word: int, quality: float) -> None:
            if self.acronym[word] and (lower or (len(self.folded[word]) == 2 and not capitals)):
                return
            function_word = self.function_word[word]
            if function_word and function_word[0] == lang and not (function_word[1] and capitalised):
                return
            if quality > best.get(word, 0.0):
                best[word] = quality

        for word, quality in self.exact.get(folded, ()):
            add(word, quality)
        if lang == "de" and not token.isascii():
            # Zölle, Strafzöllen for Zoll; Häuser, Länder for Haus, Land (-er only here: a topic
            # `Bürger` is no plural of `Burg`, but an article's `Häuser` is one of the topic `Haus`)
            singular = _umlaut_plural_base(token, ("ern", "er", "en", "e"))
            if singular:
                for word, quality in self.exact.get(singular, ()):
                    if quality == Q_EXACT:
                        add(word, Q_INFLECTED)
                if len(singular) >= 8 and not lower:  # Strafzölle: the umlaut is the tail's: tails only
                    self._compounds(singular, add, heads=False)
        if len(folded) >= 5:
            if lang == "de" and len(folded) <= 6 and folded[4:] in SHORT_GERMAN_ENDINGS:
                for word in self.short.get(folded[:4], ()):
                    add(word, Q_INFLECTED)
            stemmed = stem(folded, lang)
            if stemmed[:4] in self.stem_prefixes:
                for word in self.stems.get((lang, stemmed), ()):
                    add(word, Q_INFLECTED)
                for ending in _DERIVATIONS_BY_LAST_LETTER.get(stemmed[-1], ()):
                    if stemmed.endswith(ending) and len(stemmed) - len(ending) >= (
                        LICH_MIN_BASE if ending == "lich" else 4
                    ):
                        base = stemmed[: -len(ending)]
                        for word in self.bases.get(base, ()):
                            add(word, Q_DERIVED)
                        if ending == "isch":
                            for word in self.land_bases.get(base, ()):
                                add(word, Q_DERIVED)
                for ending in DEMONYM_ENDINGS:
                    if stemmed.endswith(ending) and len(stemmed) - len(ending) >= 4:
                        for word, quality in self.exact.get(stemmed[: -len(ending)], ()):
                            if quality == Q_EXACT:
                                add(word, Q_DERIVED)
                doctrine = _ism_base(stemmed)
                if doctrine:
                    for word in self.isms.get(doctrine, ()):
                        add(word, Q_DERIVED)
            if lang == "de" and len(folded) >= 8:
                # a German noun is capitalised: `wachsende` or `hierzulande` has no tail to look for
                self._compounds(folded, add, tails=not lower)
        return tuple(best.items())

    def _compounds(
        self, folded: str, add: Callable[[int, float], None], heads: bool = True, tails: bool = True
    ) -> None:
        """The topic words `folded` is a compound of, as head or tail (`tails` only for a noun)."""
        size = len(folded)
        for length in self.head_lengths if heads and folded[:4] in self.head_starts else ():
            if length > size - COMPOUND_MIN_REST:
                break
            words = self.heads.get(folded[:length])
            if not words:
                continue
            rest = folded[length:]
            if rest in _PLACE_RESTS or rest.startswith("lich"):  # herrlich is no compound of Herr
                continue
            need = COMPOUND_MIN_REST_SHORT_TOPIC if length <= 4 else COMPOUND_MIN_REST
            for link in LINKING_ELEMENTS:
                tail = rest[len(link) :]
                if rest.startswith(link) and len(tail) >= need and _has_vowel(tail):
                    for word in words:
                        add(word, Q_COMPOUND)
                    break
        # the tail inflected once (`Altersrenten`); twice would make `Schuldenbremse` end in `brem`
        if not tails:
            return
        stripped = _strip_german(folded) if folded[-1] in "emnrs" else folded  # the endings' last letters
        for source in (folded, stripped) if stripped != folded else (folded,):
            if source[-4:] not in self.tail_ends:
                continue
            for length in self.tail_lengths:
                if length > len(source) - COMPOUND_MIN_PREFIX_LONG_TOPIC:
                    break
                prefix = source[:-length]
                for word, min_prefix, linked in self.tails.get(source[-length:], ()):
                    if (
                        len(prefix) >= min_prefix
                        and _has_vowel(prefix)
                        and (not linked or prefix[-1] in "sn")
                    ):
                        add(word, Q_COMPOUND)


# ---------------------------------------------------------------------------------------------
# Matching


@dataclass(slots=True)
class _Field:
    name: str
    weight: float
    tokens: list[str]
    gaps: list[str]
    unique: set[str]
    # hyphenated chains, whole and pairwise: (chain's offset in `text`, word index in the chain,
    # joined token, as written): `Nordkorea-Politik` also reads as `NordkoreaPolitik`
    joined: list[tuple[int, int, str, str]]
    text: str


@dataclass(slots=True)
class MatchReading:
    """An article as matching reads it (its language, each field's tokens): topic-independent, so the
    entry's analysis (`core/analysis.py`) computes it once for every topic and channel."""

    lang: str
    fields: list[_Field]


def read_for_matching(article: Article, lang: str | None = None) -> MatchReading:
    """The tokens of each field of `article` and its language (`lang`: the one the caller detected
    already), as every topic is matched against them."""
    fields = []
    for name, weight in FIELD_WEIGHTS:
        value: str = getattr(article, name)
        if not value:
            continue
        value = strip_invisible(value)
        if not value.isascii():  # decomposed `u` + U+0308 is one letter `ü`, as topics are read
            value = unicodedata.normalize("NFC", value)
        toks, gaps = tokens_and_gaps(value)
        joined: list[tuple[int, int, str, str]] = []
        if _HYPHEN_SEARCH(value):
            for chain in _CHAIN.finditer(value):
                parts = _HYPHEN_SPLIT(chain.group())
                joined.append((chain.start(), 0, "".join(parts), chain.group()))
                if len(parts) > 2:
                    for j in range(len(parts) - 1):
                        joined.append(
                            (chain.start(), j, parts[j] + parts[j + 1], f"{parts[j]}-{parts[j + 1]}")
                        )
        unique = set(toks)
        if not _CAPITAL_LETTERS.isdisjoint(unique):  # a letter alone: `U.S.` may be in the text
            for dotted in _DOTTED.finditer(value):
                joined.append((dotted.start(), 0, dotted.group().replace(".", ""), dotted.group()))
        unique.update(j[2] for j in joined)
        fields.append(_Field(name, weight, toks, gaps, unique, joined, value))
    return MatchReading(lang or article_language(article), fields)


def _fuzzy_search(lexicon: _Lexicon, vocab: dict[str, dict[str, tuple[tuple[int, float], ...]]]) -> None:
    """Fuzzy hits for long words the index left undecided, added to `vocab` in place.

    One rapidfuzz search per long topic word over the batch's long words of the same language,
    first letter and a close length (the Levenshtein score cannot reach the cutoff otherwise).
    """
    for lang, queries in lexicon.fuzzy.items():
        if not queries:
            continue
        by_stem: dict[str, list[str]] = defaultdict(list)
        for token, hits in vocab[lang].items():
            if len(token) >= FUZZY_MIN_LEN and not hits:
                by_stem[stem(fold(token), lang)].append(token)
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word_stem in by_stem:
            buckets[(word_stem[0], len(word_stem))].append(word_stem)
        for query, word in queries:
            choices = [
                s for size in range(len(query) - 2, len(query) + 3) for s in buckets.get((query[0], size), ())
            ]
            if not choices:
                continue
            found = process.extract(
                query,
                choices,
                scorer=Levenshtein.normalized_similarity,
                score_cutoff=FUZZY_CUTOFF,
                limit=None,
            )
            for choice, similarity, _ in found:
                quality = 100.0 * similarity - FUZZY_PENALTY
                for token in by_stem[choice]:
                    if lexicon.acronym[word]:
                        continue
                    old = vocab[lang][token]
                    vocab[lang][token] = (*old, (word, quality))


def _field_hits(
    field: _Field, hits_of: dict[str, tuple[tuple[int, float], ...]], hit_tokens: set[str]
) -> dict[int, dict[int, tuple[float, str]]]:
    """position -> word -> (quality, the article's word) for the field's words that hit."""
    at: dict[int, dict[int, tuple[float, str]]] = defaultdict(dict)
    tokens = field.tokens
    # the positions of the words that hit, found without a Python step per word of the field
    for position in compress(count(), map(hit_tokens.__contains__, tokens)):
        token = tokens[position]
        words = at[position]
        for word, quality in hits_of[token]:
            words[word] = (quality, token)
    starts: list[int] | None = None
    for offset, index, token, written in field.joined:
        if token in hit_tokens:
            if starts is None:  # each token's offset in the text, once per field
                starts = []
                cursor = field.text.find(field.tokens[0])  # the text before it holds no word
                for tok, gap in zip(field.tokens, field.gaps, strict=True):
                    starts.append(cursor)
                    cursor += len(tok) + len(gap)
            position = bisect_left(starts, offset) + index
            for word, quality in hits_of[token]:
                old = at[position].get(word)
                if old is None or old[0] < quality:
                    at[position][word] = (quality, written)
    return at


def _phrase_at(
    term: _Term, field: _Field, at: dict[int, dict[int, tuple[float, str]]], start: int
) -> tuple[float, str] | None:
    """(quality, words as written) when the several-word term occurs at `start`, else None."""
    quality, written = at[start][term.words[0]]
    parts = [written]
    skipped = 0  # a middle initial between the words of a name: `George W. Bush` for `George Bush`
    for k in range(1, len(term.words)):
        pos = start + k + skipped
        glue = field.gaps[pos - 1] if pos - 1 < len(field.gaps) else "\n"
        if glue.isspace() and "\n" not in glue:
            glue = " "
        elif glue not in _PHRASE_GLUE:
            return None
        hit = at[pos].get(term.words[k]) if pos in at else None
        name = written[:1].isupper()
        if hit is None and not skipped and glue == " " and name and pos + 1 < len(field.tokens):
            initial, after = field.tokens[pos], field.gaps[pos]
            if len(initial) == 1 and initial.isupper() and after.startswith(".") and after[1:] == " ":
                skipped = 1
                glue = f" {initial}. "
                hit = at[pos + 1].get(term.words[k]) if pos + 1 in at else None
        if hit is None:
            return None
        quality = min(quality, hit[0])
        parts.append(glue + hit[1])
    return quality, "".join(parts)


_Place = tuple[float, str, str, str]  # (score, alias, word as written, field)


class _Tally:
    """The places a term (or a topic's aliases together) occurs in one article, best hit per place."""

    __slots__ = ("best", "places")

    def __init__(self) -> None:
        self.places: dict[tuple[int, int], _Place] = {}  # (field, position) -> best hit there
        self.best = 0.0

    def add(self, where: tuple[int, int], place: _Place) -> None:
        old = self.places.get(where)
        if old is None or old[0] < place[0]:
            self.places[where] = place
            if place[0] > self.best:
                self.best = place[0]

    @property
    def score(self) -> float:
        bonus = min(REPEAT_BONUS_CAP, REPEAT_BONUS * (len(self.places) - 1))
        return min(100.0, self.best + bonus) if self.places else 0.0

    def evidence(self, made: dict[_Place, Evidence], limit: int = MAX_EVIDENCE) -> tuple[Evidence, ...]:
        """The best places, one per (alias, word, field); `made` shares equal Evidence objects."""
        places: Collection[_Place] = self.places.values()
        if len(places) > 1:
            chosen: dict[tuple[str, str, str], _Place] = {}
            for place in sorted(places, key=lambda p: -p[0]):
                chosen.setdefault((place[1], place[2].lower(), place[3]), place)
                if len(chosen) == limit:
                    break
            places = chosen.values()
        shown = []
        for place in places:
            evidence = made.get(place)
            if evidence is None:
                score, alias, word, field = place
                evidence = made[place] = Evidence(alias=alias, word=word, field=field, score=score)
            shown.append(evidence)
        return tuple(shown)


def _score_article(
    prepared: MatchReading,
    lexicon: _Lexicon,
    topics: Sequence[TopicQuery],
    hits_of: dict[str, tuple[tuple[int, float], ...]],
    hit_vocab: set[str],
    row: list[MatchResult] | dict[int, MatchResult],
    made: dict[_Place, Evidence],
) -> None:
    """Fill `row` for the topics that share a word with the article; the rest keep their blank."""
    alias_tallies: dict[int, _Tally] = {}  # topic -> all its aliases' places
    term_tallies: dict[tuple[int, int, str], _Tally] = {}  # required and excluded terms
    terms, terms_of_word = lexicon.terms, lexicon.terms_of_word
    for number, field in enumerate(prepared.fields):
        hit_tokens = field.unique & hit_vocab
        if not hit_tokens:
            continue
        at = _field_hits(field, hits_of, hit_tokens)
        for position, words in at.items():
            for word, (quality, written) in words.items():
                for term_id, index in terms_of_word[word]:
                    if index:
                        continue
                    term = terms[term_id]
                    if len(term.words) > 1:
                        phrase = _phrase_at(term, field, at, position)
                        if phrase is None:
                            continue
                        quality, written = phrase
                    place = (round(quality * field.weight, 1), term.display, written, field.name)
                    if term.role == ALIAS:
                        tally = alias_tallies.get(term.topic)
                        if tally is None:
                            tally = alias_tallies[term.topic] = _Tally()
                    else:
                        key = (term.topic, term.role, term.display)
                        tally = term_tallies.get(key)
                        if tally is None:
                            tally = term_tallies[key] = _Tally()
                    tally.add((number, position), place)
    for number, alias_tally in alias_tallies.items():
        topic = topics[number]
        threshold = DEFAULT_THRESHOLD if topic.threshold is None else topic.threshold
        score = alias_tally.score
        shown = alias_tally.evidence(made)
        for wanted in topic.required:
            found = term_tallies.get((number, REQUIRED, "+" + wanted))
            score = min(score, found.score if found else 0.0)
            if found:
                shown += found.evidence(made, 1)
        blocking = [
            excluded
            for unwanted in topic.excluded
            if (excluded := term_tallies.get((number, EXCLUDED, "-" + unwanted)))
            and excluded.score >= threshold
        ]
        if blocking:
            score = 0.0
            shown = tuple(e for excluded in blocking for e in excluded.evidence(made, 1))
        row[number] = MatchResult(
            topic=topic.name, score=round(score, 1), matched=score >= threshold, evidence=shown
        )


def _vocabulary(
    lexicon: _Lexicon, prepared: Sequence[MatchReading]
) -> tuple[dict[str, dict[str, tuple[tuple[int, float], ...]]], dict[str, set[str]]]:
    """Every distinct word of the batch analysed once: (language -> word -> hits, words that hit)."""
    vocab: dict[str, dict[str, tuple[tuple[int, float], ...]]] = {"de": {}, "en": {}}
    seen: dict[str, set[str]] = {"de": set(), "en": set()}
    for item in prepared:
        for field in item.fields:
            seen[item.lang].update(field.unique)
    for lang, known in vocab.items():
        analyse = lexicon.analyse
        for token in seen[lang]:
            known[token] = analyse(token, lang)
    _fuzzy_search(lexicon, vocab)
    hit_vocab = {lang: {t for t, hits in known.items() if hits} for lang, known in vocab.items()}
    return vocab, hit_vocab


def _score_rows(
    articles: Sequence[Article],
    topics: Sequence[TopicQuery],
    lexicon: _Lexicon,
    rows: Sequence[list[MatchResult] | dict[int, MatchResult]],
    readings: Sequence[MatchReading] | None = None,
) -> None:
    """Fill one row per article with the results of the topics it shares a word with (`readings`: the
    articles as `read_for_matching` read them, when the caller has them already)."""
    prepared = readings if readings is not None else [read_for_matching(article) for article in articles]
    vocab, hit_vocab = _vocabulary(lexicon, prepared)
    made: dict[_Place, Evidence] = {}
    for item, row in zip(prepared, rows, strict=True):
        _score_article(item, lexicon, topics, vocab[item.lang], hit_vocab[item.lang], row, made)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a batch: it builds many small objects and no cycles.

    A batch of 10,000 articles allocates millions of containers; the collector's generational
    passes over them (and over the rows already built) cost a third of the batch's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def match_sparse(articles: Sequence[Article], topics: Sequence[TopicQuery]) -> list[dict[int, MatchResult]]:
    """Per article, only its results that are not blank (topic number -> result): what a caller
    that splits a large batch over processes sends back, a few bytes for most articles."""
    with _gc_paused():
        rows: list[dict[int, MatchResult]] = [{} for _ in articles]
        _score_rows(articles, topics, _lexicon_for(tuple(topics)), rows)
        return rows


@functools.lru_cache(maxsize=4)
def _lexicon_for(topics: tuple[TopicQuery, ...]) -> _Lexicon:
    """The lexicon of a set of topics, built once while the set stays the same: the bot matches
    every polled feed's entries against the same subscriptions (read-only after construction)."""
    return _Lexicon(topics)


def match_batch(
    articles: Sequence[Article],
    topics: Sequence[TopicQuery],
    readings: Sequence[MatchReading] | None = None,
) -> list[list[MatchResult]]:
    """Every article scored against every topic: one row per article, one result per topic, in order
    (`readings`: the articles' analyses' `matching`, so that they are not read again).

    Work grows with the number of distinct words and the number of article-topic pairs that share
    a word, not with articles × topics × text. (The core starts no processes: a caller that wants a
    batch split over cores runs `match_sparse` on shares of it, as bench/match.py does.)
    """
    empty_row = [MatchResult(topic=topic.name, score=0.0, matched=False) for topic in topics]
    with _gc_paused():
        rows = [list(empty_row) for _ in articles]
        if not articles or not topics:
            return rows
        _score_rows(articles, topics, _lexicon_for(tuple(topics)), rows, readings)
        return rows


def match_article(article: Article, topics: Sequence[TopicQuery]) -> list[MatchResult]:
    """One result per topic, in the topics' order."""
    return match_batch([article], topics)[0]
