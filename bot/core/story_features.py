"""What story grouping reads of an entry: its title, lead and the start of its text as weighted tokens
(`StoryFeatures`, stored with the entry and read back at start-up), and the place table that makes
one token of a place in either language. How the tokens are compared: `bot.core.stories`."""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import lang as lang_data
from bot.core.entities import AliasTable, alias_words, figure_token, multiplier
from bot.core.figures import parse_number
from bot.core.folding import fold
from bot.core.lang.events import event_of
from bot.core.lang.places import country_groups, language_groups, one_language_spellings, place_groups
from bot.core.text import LETTERS, NUMBER, detect_language, is_title_case
from bot.model import StoryItem

EVENT_PREFIX = "^"  # event tokens ("^earthquake"); figures are "#…", places and aliases "@…"
_FIELD_WEIGHT = {"title": 2.0, "summary": 1.0, "text": 0.5}
_KIND_BOOST = {"alias": 2.0, "name": 1.5, "num": 1.5, "year": 1.0, "event": 1.5, "word": 1.0}
_SUMMARY_CHARS = 1200
_TEXT_CHARS = 1500

_STOP = lang_data.stop_words() | lang_data.table("story_neutral_words")

# Capitalised in English but not names: roles, institutions in general, compass points. A capital on
# them says nothing about which story an entry belongs to.
_ROLE_WORDS = """
    president vice prime minister ministers chancellor secretary general foreign defence defense interior
    state states government party court supreme police army military king queen prince princess crown
    governor mayor spokesman spokeswoman spokesperson chief leader leaders senator congress parliament
    ministry department national international republic democratic republican union league federal council
    committee commission agency office university north south east west northern southern eastern western
    central city street minister-elect pm-elect president-elect mr mrs ms dr sir lord
"""
_ROLES = frozenset(_ROLE_WORDS.split())
_CALENDAR_WORDS = """
    monday tuesday wednesday thursday friday saturday sunday january february march april june july august
    september october november december montag dienstag mittwoch donnerstag freitag samstag sonntag
    januar februar maerz juni juli oktober dezember
"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())

_TOKENS = re.compile(
    rf"(?P<num>{NUMBER})(?P<suffix>bn|mn|m|k)?(?!{LETTERS})"
    r"|(?P<acro>(?:[A-Za-z]\.){2,})"
    rf"|(?P<word>{LETTERS})",
    re.UNICODE,
)
_OPENERS = frozenset(".!?:;\"'“”„»«‘’‚(–—-|…")

# What a lead opens with before the news: an agency or outlet credit ("[Capital FM]"), a byline ("By Jane
# Doe and John Roe"), a dateline ("WASHINGTON/GENEVA, Feb 17 (Reuters) -", "ISLAMABAD:", "Nairobi --" after a
# credit). An outlet puts the same ones on many unrelated entries, so they say nothing about the story.
_CREDIT = re.compile(r"\[[^\]\n]{1,60}\]\s*")
_BYLINE = re.compile(r"By\s+(?:[A-Z][\w'’.-]+(?:,|\s+and)?\s+){1,12}(?=[A-ZÄÖÜ]{2,}\b)")
_CAPS_DATELINE = re.compile(
    r"[A-ZÄÖÜ][A-ZÄÖÜ.'’-]{2,}(?:[ /,]+[A-ZÄÖÜ][A-ZÄÖÜ.'’-]+)*(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?"
    r"\s*(?:\([^)\n]{1,40}\))?\s*(?:[:—–]|--?)\s+"
)
_PLACE_DATELINE = re.compile(r"[A-ZÄÖÜ][\w'’.-]*(?: [A-ZÄÖÜ][\w'’.-]*){0,2}\s+(?:--|—|–)\s+")


def _without_credits(lead: str) -> str:
    """The lead without its opening credit, byline and dateline."""
    text = lead.lstrip()
    credit = _CREDIT.match(text)
    if credit:
        text = text[credit.end() :]
        place = _PLACE_DATELINE.match(text)
        if place:
            text = text[place.end() :]
    byline = _BYLINE.match(text)
    if byline:
        text = text[byline.end() :]
    dateline = _CAPS_DATELINE.match(text)
    if dateline:
        text = text[dateline.end() :]
    return text


_SUFFIXES = lang_data.endings("story_token_endings")


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """A light German/English stem: one common ending off, at least four letters left."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


@dataclass(slots=True)
class _Raw:
    surface: str
    folded: str
    kind: str  # "num", "word"
    initial: bool  # first word of a sentence (its capital says nothing)
    value: float = 0.0


def _raw_tokens(text: str, lang: str) -> list[_Raw]:
    tokens: list[_Raw] = []
    for match in _TOKENS.finditer(text):
        at = match.start() - 1
        while at >= 0 and text[at].isspace():
            at -= 1
        initial = at < 0 or text[at] in _OPENERS
        if match.group("num"):
            value = parse_number(match.group("num"))
            if value is None:
                continue
            suffix = match.group("suffix")
            if suffix:
                value *= multiplier(suffix, lang)
            tokens.append(_Raw(match.group(0), "", "num", initial, value))
            continue
        surface = match.group("acro")
        surface = surface.replace(".", "").upper() if surface else match.group("word")
        folded = fold(surface)
        if tokens and tokens[-1].kind == "num" and tokens[-1].surface[-1:].isdigit():
            factor = multiplier(surface, lang)
            if factor != 1.0:
                tokens[-1].value *= factor
                tokens[-1].surface += " " + surface
                continue
        tokens.append(_Raw(surface, folded, "word", initial))
    return tokens


def _alias_at(raw: Sequence[_Raw], i: int, aliases: AliasTable, lang: str) -> tuple[int, str | None]:
    """The longest alias phrase starting at raw[i]: (its length in words, its canonical token)."""
    if aliases.starts_phrase(raw[i].folded):
        for size in range(min(aliases.longest, len(raw) - i), 1, -1):
            span = raw[i : i + size]
            if all(t.kind == "word" for t in span):
                canonical = aliases.lookup([t.folded for t in span], capitals=False, lang=lang)
                if canonical is not None:
                    return size, canonical
    return 1, aliases.lookup([raw[i].folded], capitals=raw[i].surface.isupper(), lang=lang)


def _title_case(tokens: Sequence[_Raw]) -> bool:
    """A headline in Title Case: its capitals say nothing about names."""
    return is_title_case(t.surface for t in tokens if t.kind == "word")


@dataclass(slots=True)
class StoryFeatures:
    """What story grouping reads of an entry: computed once at ingest, stored (`encode`), read back at
    start-up (`decode`) instead of tokenizing the entry again."""

    weights: dict[str, float]  # token -> weight before IDF
    kinds: dict[str, str]
    title: frozenset[str]
    body: frozenset[str]
    runs: dict[str, int]  # entity token -> entity number; "Donald" and "Trump" side by side share one
    lang: str = ""  # the entry's language: a report in another one than the story's is weighed apart

    def encode(self) -> str:
        """A compact JSON form: [lang, [[token, weight, kind, where, entity], ...]]."""
        rows = [
            [
                token,
                round(weight, 3),
                _KIND_CODE[self.kinds.get(token, "word")],
                (1 if token in self.title else 0) | (2 if token in self.body else 0),
                self.runs.get(token, -1),
            ]
            for token, weight in self.weights.items()
        ]
        return json.dumps([_FORMAT, self.lang, rows], ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> StoryFeatures:
        """The features `encode` wrote; ValueError when `text` is not such a form."""
        try:
            version, lang, rows = json.loads(text)
            if version != _FORMAT:
                raise ValueError(f"story features of format {version!r}, not {_FORMAT}")
            weights: dict[str, float] = {}
            kinds: dict[str, str] = {}
            title: set[str] = set()
            body: set[str] = set()
            runs: dict[str, int] = {}
            for raw, weight, kind, where, run in rows:
                # one string per distinct token, shared by every entry of the window that holds it:
                # the JSON decoder makes a new one each time, and the window keeps 100,000 entries
                token = sys.intern(raw)
                weights[token] = float(weight)
                if kind != "w":
                    kinds[token] = _KIND_NAME[kind]
                if where & 1:
                    title.add(token)
                if where & 2:
                    body.add(token)
                if run >= 0:
                    runs[token] = int(run)
        except (TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"not stored story features: {exc}") from exc
        return cls(weights, kinds, frozenset(title), frozenset(body), runs, str(lang))


_FORMAT = 1  # the version of StoryFeatures.encode; entries stored in another are analysed again
_KIND_CODE = {"word": "w", "event": "e", "year": "y", "name": "n", "num": "f", "alias": "a"}
_KIND_NAME = {code: kind for kind, code in _KIND_CODE.items()}


_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?([^/\s:?#]+\.[a-z]{2,})(?:[:/?#]|$)", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _outlet_words(source: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The words an outlet is named by: the labels of its host ("bbc" of www.bbc.com, matched as a prefix so
    that "cbs" matches cbsnews.com), or the words of its feed title ("BBC News - World")."""
    host = _HOST.match(source.strip())
    if host:
        labels = host.group(1).lower().split(".")[:-1]
        return frozenset(), tuple(label for label in labels if len(label) >= 3 and label != "www")
    return frozenset(word for word in fold(source).split() if len(word) >= 3), ()


def _names_outlet(word: str, outlet: tuple[frozenset[str], tuple[str, ...]]) -> bool:
    """`word` names the outlet itself ("told the BBC" in a BBC entry): it says nothing about the story."""
    words, labels = outlet
    return word in words or (len(word) >= 3 and any(label.startswith(word) for label in labels))


# a token seen as several kinds is of the highest
_KIND_RANK = {"word": 0, "event": 1, "year": 2, "name": 3, "num": 4, "alias": 5}


def features_of(item: StoryItem, aliases: AliasTable) -> StoryFeatures:
    lang = item.lang if item.lang in ("de", "en") else detect_language(f"{item.title}\n{item.summary}")
    outlet = _outlet_words(item.source)
    fields = (  # the lead first: its capitals tell names, so its runs of names are the ones kept
        ("summary", _without_credits(item.summary[:_SUMMARY_CHARS])),
        ("text", _without_credits(item.text[:_TEXT_CHARS])),
        ("title", item.title[:400]),
    )
    totals: dict[str, float] = {}
    kinds: dict[str, str] = {}
    title_tokens: set[str] = set()
    body_tokens: set[str] = set()
    runs = _Runs()
    for name, text in fields:
        if not text:
            continue
        raw = _raw_tokens(text, lang)
        found = _field_tokens(raw, name != "title" or not _title_case(raw), aliases, lang, outlet, runs)
        weight = _FIELD_WEIGHT[name]
        for tok, kind in found:
            if kind != "word":
                runs.entity(tok)
            totals[tok] = totals.get(tok, 0.0) + weight
            if _KIND_RANK[kind] > _KIND_RANK[kinds.get(tok, "word")]:
                kinds[tok] = kind
            (title_tokens if name == "title" else body_tokens).add(tok)
    weights = {tok: min(total, 4.0) * _KIND_BOOST[kinds.get(tok, "word")] for tok, total in totals.items()}
    return StoryFeatures(weights, kinds, frozenset(title_tokens), frozenset(body_tokens), runs.of, lang)


class _Runs:
    """Which entity each entity token is: names written side by side (`Donald Trump`) share one."""

    def __init__(self) -> None:
        self.of: dict[str, int] = {}
        self._numbers = itertools.count()

    def entity(self, token: str, joins: str | None = None) -> None:
        """Number `token` unless it has one: the entity of `joins` (the name just before it) if that
        has one, else a new one."""
        if token not in self.of:
            self.of[token] = self.of[joins] if joins is not None and joins in self.of else next(self._numbers)


def _field_tokens(
    raw: list[_Raw],
    caps_mean_names: bool,
    aliases: AliasTable,
    lang: str,
    outlet: tuple[frozenset[str], tuple[str, ...]],
    runs: _Runs,
) -> list[tuple[str, str]]:
    """A field's story tokens with their kinds: figures and years, place aliases, event words, names
    (whose runs are numbered in `runs`) and the other words, stemmed."""
    found: list[tuple[str, str]] = []
    last_name, last_stem = -2, ""  # the last name: adjacent names ("Donald Trump") are one entity
    i = 0
    while i < len(raw):
        token = raw[i]
        if token.kind == "num":
            value = token.value
            if value >= 10 or value != int(value):
                is_year = value == int(value) and 1900 <= value <= 2100 and "," not in token.surface
                found.append((figure_token(value), "year" if is_year else "num"))
            i += 1
            continue
        size, canonical = _alias_at(raw, i, aliases, lang)
        if canonical is not None:
            found.append((canonical, "alias"))
            i += size
            continue
        i += 1
        read = _word_token(token, caps_mean_names, outlet)
        if read is None:
            continue
        found.append(read)
        stem, kind = read
        if kind == "name":
            runs.entity(stem, last_stem if last_name == i - 2 else None)
            last_name, last_stem = i - 1, stem
    return found


def _word_token(
    token: _Raw, caps_mean_names: bool, outlet: tuple[frozenset[str], tuple[str, ...]]
) -> tuple[str, str] | None:
    """A word's story token: None for stop words, calendar words, short words and the outlet's name;
    an event word in either language; a name (capitalised where capitals mean names, or an acronym);
    else the word's stem."""
    word = token.folded
    surface = token.surface
    if len(word) < 2 or word in _STOP or word in _CALENDAR or (len(word) == 2 and not surface.isupper()):
        return None
    if _names_outlet(word, outlet):
        return None
    event = event_of(word)
    if event is not None:  # Erdbeben and earthquake: one token in either language
        return EVENT_PREFIX + event, "event"
    acronym = len(surface) >= 2 and surface.isupper()
    capital = surface[0].isupper() and caps_mean_names and not token.initial and word not in _ROLES
    return _stem(word), "name" if acronym or capital else "word"


def place_aliases() -> AliasTable:
    """A grouper's own copy of the place table (topics add their aliases to it)."""
    return copy.deepcopy(_place_table())


@functools.cache
def _place_table() -> AliasTable:
    """The built-in aliases with every country, city and language of `bot.core.lang.places`: each
    place one token in German and English; countries and languages common (one shared country is not
    a story), cities not (a city says more)."""
    table = AliasTable()
    common = set(table.common)
    for group in place_groups():
        table.add(group)
    for group in country_groups() + language_groups():
        canonical = table.lookup(alias_words(group[0]), capitals=True)
        if canonical is not None:
            common.add(canonical)
    table.common = frozenset(common)
    table.only_in(one_language_spellings())
    return table
