"""The lexicon of a set of topics: every form an article's word can meet a topic's word in.

Exact (after folding), inflected, derived (`nordkoreanisch` for `Nordkorea`), as head or tail of a
German compound, each with its quality; the long words also as stems for the fuzzy search. Matching
(`matching.py`) looks every distinct word of a batch up here once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import lang as lang_data
from bot.core.folding import fold, strip_invisible
from bot.core.match_reading import HYPHENS
from bot.core.text import _strip_german, stem, tokens_and_gaps
from bot.core.topic_query import FUNCTION_WORD_LANGUAGE
from bot.model import TopicQuery

Q_EXACT = 100.0
Q_INFLECTED = 96.0
Q_DERIVED = 92.0
Q_COMPOUND = 85.0
FUZZY_MIN_LEN = 9

# German compounds: the other part of a compound must be at least this long (and hold a vowel).
COMPOUND_MIN_REST = 4
COMPOUND_MIN_REST_SHORT_TOPIC = 5  # when the topic word itself has only four letters (`Nato`, `Bank`)
COMPOUND_MIN_PREFIX = 4  # `Rasputin` is no compound of `Putin`
COMPOUND_MIN_PREFIX_LONG_TOPIC = 3  # … but `Ostukraine` is one of `Ukraine` (topic words of 7+ letters)
LINKING_ELEMENTS = lang_data.endings("compound_links")
DERIVATION_ENDINGS = lang_data.endings("derivations")
_DERIVATIONS_BY_LAST_LETTER: dict[str, tuple[str, ...]] = defaultdict(tuple)
for _ending in DERIVATION_ENDINGS:
    _DERIVATIONS_BY_LAST_LETTER[_ending[-1]] += (_ending,)
DEMONYM_ENDINGS = lang_data.endings("demonyms_of_whole_names")
# German adjectives in -lich from nouns: friedlich, staatlich (on a base of five letters: not herrlich)
LICH_MIN_BASE = 5
SHORT_GERMAN_ENDINGS = frozenset(lang_data.endings("short_noun_inflections"))
PLACE_NAME_ENDINGS = lang_data.endings("place_name_endings")
_PLACE_WORDS = frozenset(lang_data.endings("place_name_tails"))
_PLACE_RESTS = frozenset(
    link + ending + inflection
    for link in LINKING_ELEMENTS
    for ending in PLACE_NAME_ENDINGS
    for inflection in lang_data.endings("place_name_inflections")
)
ISM_ENDINGS = lang_data.endings("doctrines")
_VOWELS = frozenset("aeiouy")
_NO_UMLAUT = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})

ALIAS, REQUIRED, EXCLUDED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Term:
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


class Lexicon:
    """Every distinct word of a set of topics, under the keys an article word can meet it by."""

    def __init__(self, topics: Sequence[TopicQuery]) -> None:
        self.terms: list[Term] = []
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
        # lang -> article word -> the topic words it meets (fuzzy hits included), filled by matching
        # as it meets words; and the words among them that meet one
        self.words_met: dict[str, dict[str, tuple[tuple[int, float], ...]]] = {"de": {}, "en": {}}
        self.words_hit: dict[str, set[str]] = {"de": set(), "en": set()}
        for number, topic in enumerate(topics):
            for alias in topic.aliases:
                self._add_term(number, ALIAS, alias, alias)
                if any(h in alias for h in HYPHENS) and " " not in alias.strip():
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
        self.terms.append(Term(topic, role, display, ids))
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
        self._index_inflections(word, original, folded, acronym)
        if acronym or len(folded) < 4:
            return word
        if len(folded) == 4:
            self._index_four_letters(word, folded)
        else:
            self._index_derivations(word, folded)
        return word

    def _index_inflections(self, word: int, original: str, folded: str, acronym: bool) -> None:
        """The word itself, its plural in -s (-es) and, for a German umlaut plural, its singular."""
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

    def _index_four_letters(self, word: int, folded: str) -> None:
        """Only derivations of the whole word: Iran -> iranian, iranische; German endings; tails."""
        if not folded.isalpha():
            return
        self.bases[folded].append(word)
        self.short[folded].append(word)
        # the tail of a compound: Notenbank, Kommunalwahl (not Auswahl: the prefix is short);
        # a tail that begins with a vowel only after a linking s or n, as in Kriegsende or
        # Wochenende (not Trendwende, Legende); no tails for the place-name words Land and
        # Burg (Deutschland, Hamburg)
        if folded not in _PLACE_WORDS:
            self.tails[folded].append((word, COMPOUND_MIN_PREFIX, folded[0] in _VOWELS))

    def _index_derivations(self, word: int, folded: str) -> None:
        """A word of five letters or more: its stems, derivation bases, tails and fuzzy stems."""
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
            self._umlaut_plurals(token, lower, add)
        if len(folded) >= 5:
            self._long_word(folded, lang, lower, add)
        return tuple(best.items())

    def _long_word(self, folded: str, lang: str, lower: bool, add: Callable[[int, float], None]) -> None:
        """A word of five letters or more: inflected, derived, or a compound of a topic word."""
        if lang == "de" and len(folded) <= 6 and folded[4:] in SHORT_GERMAN_ENDINGS:
            for word in self.short.get(folded[:4], ()):
                add(word, Q_INFLECTED)
        stemmed = stem(folded, lang)
        if stemmed[:4] in self.stem_prefixes:
            for word in self.stems.get((lang, stemmed), ()):
                add(word, Q_INFLECTED)
            self._derived(stemmed, add)
        if lang == "de" and len(folded) >= 8:
            # a German noun is capitalised: `wachsende` or `hierzulande` has no tail to look for
            self._compounds(folded, add, tails=not lower)

    def _umlaut_plurals(self, token: str, lower: bool, add: Callable[[int, float], None]) -> None:
        """Zölle, Strafzöllen for Zoll; Häuser, Länder for Haus, Land.

        -er only here: a topic `Bürger` is no plural of `Burg`, but an article's `Häuser` is one of
        the topic `Haus`.
        """
        singular = _umlaut_plural_base(token, ("ern", "er", "en", "e"))
        if not singular:
            return
        for word, quality in self.exact.get(singular, ()):
            if quality == Q_EXACT:
                add(word, Q_INFLECTED)
        if len(singular) >= 8 and not lower:  # Strafzölle: the umlaut is the tail's: tails only
            self._compounds(singular, add, heads=False)

    def _derived(self, stemmed: str, add: Callable[[int, float], None]) -> None:
        """The topic words an article word's stem derives from: adjectives, demonyms, doctrines."""
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

    def _compounds(
        self, folded: str, add: Callable[[int, float], None], heads: bool = True, tails: bool = True
    ) -> None:
        """The topic words `folded` is a compound of, as head or tail (`tails` only for a noun)."""
        if heads and folded[:4] in self.head_starts:
            self._compound_heads(folded, add)
        if tails:
            self._compound_tails(folded, add)

    def _compound_heads(self, folded: str, add: Callable[[int, float], None]) -> None:
        """Topic words that begin `folded`, followed by a linking element and a real rest."""
        size = len(folded)
        for length in self.head_lengths:
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

    def _compound_tails(self, folded: str, add: Callable[[int, float], None]) -> None:
        """Topic words that end `folded` after a real prefix.

        The tail inflected once (`Altersrenten`); twice would make `Schuldenbremse` end in `brem`.
        """
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
