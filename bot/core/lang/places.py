"""Place and language names across German and English, for telling which reports are one story.

A country is called Nordkorea in a German report and North Korea in an English one; story grouping
must read both as one place. The country and language names come from CLDR through `babel` (a kept
source, not a hand list); only what CLDR does not hold is a table here: capitals and big cities
whose German and English names differ (Rom / Rome), and the endings that make a country's adjective
or people (marokkanisch, Moroccan).

Every group is a tuple of folded spellings that name one place; `bot.core.stories` turns each group
into one token.
"""

from __future__ import annotations

import functools
import re

from babel import Locale

from bot.core.folding import fold

# Cities whose German and English names differ, by ISO country: the capitals and the big cities that
# make news. A name that is the same in both languages (Graz, Paris) needs no entry: it is one token
# anyway.
CITIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "AT": (("wien", "vienna"),),
    "BE": (("bruessel", "brussels", "bruxelles"),),
    "BG": (("sofia", "sofija"),),
    "CH": (("genf", "geneva", "geneve"), ("zuerich", "zurich")),
    "CN": (("peking", "beijing"),),
    "CZ": (("prag", "prague"),),
    "DE": (("muenchen", "munich"), ("koeln", "cologne"), ("nuernberg", "nuremberg")),
    "DK": (("kopenhagen", "copenhagen"),),
    "EG": (("kairo", "cairo"),),
    "ES": (("sevilla", "seville"),),
    "GR": (("athen", "athens"),),
    "IN": (("neu-delhi", "new delhi"),),
    "IQ": (("bagdad", "baghdad"),),
    "IR": (("teheran", "tehran"),),
    "IT": (("rom", "rome"), ("mailand", "milan"), ("neapel", "naples"), ("venedig", "venice")),
    "LB": (("beirut", "beyrouth"),),
    "MA": (("marrakesch", "marrakech", "marrakesh"),),
    "MX": (("mexiko-stadt", "mexico city"),),
    "PL": (("warschau", "warsaw"), ("krakau", "krakow", "cracow")),
    "PT": (("lissabon", "lisbon"),),
    "RO": (("bukarest", "bucharest"),),
    "RS": (("belgrad", "belgrade"),),
    "RU": (("moskau", "moscow"), ("sankt petersburg", "st petersburg", "saint petersburg")),
    "SY": (("damaskus", "damascus"),),
    "TR": (("istanbul",), ("ankara",)),
    "UA": (("kiew", "kyiv", "kiev"), ("charkiw", "kharkiv", "charkow"), ("odessa", "odesa")),
    "US": (("washington", "washington dc"),),
}

# Endings that turn a country's stem into its adjective or people, per language: iran-isch,
# marokk-anisch, afghan-isch; Moroc-can, Iran-ian, Japan-ese. Generated forms that are no word match
# nothing, so a generous list costs only memory.
ADJECTIVE_ENDINGS: dict[str, tuple[str, ...]] = {
    "de": ("isch", "anisch", "ianisch", "esisch", "ener", "aner", "ianer", "ese", "er"),
    "en": ("ian", "an", "ean", "can", "ese", "ish", "i"),
}

# What a country's name loses before an adjective ending: Marokk-o, Spani-en, Afghan-istan, Kenia.
STEM_ENDINGS = ("istan", "land", "ien", "ia", "ei", "ey", "en", "a", "o", "e", "y")
MIN_STEM = 4  # a shorter stem ("Per" of Peru) would make words of other meanings ("perish")

_REGION = re.compile(r"^[A-Z]{2}$")
_LOCALES = ("de", "en")
_NOT_COUNTRIES = frozenset({"ZZ", "XA", "XB", "EU", "EZ", "UN", "QO"})  # CLDR codes of no one country


def _stems(name: str) -> set[str]:
    stems = {name}
    for ending in STEM_ENDINGS:
        if name.endswith(ending) and len(name) - len(ending) >= MIN_STEM:
            stems.add(name[: -len(ending)])
    return stems


def _adjectives(names: set[str]) -> set[str]:
    forms: set[str] = set()
    for name in names:
        if " " in name or "-" in name:
            continue
        for stem in _stems(name):
            for endings in ADJECTIVE_ENDINGS.values():
                forms.update(stem + ending for ending in endings)
    return forms - names


def _clean(name: str) -> str:
    """A CLDR name as folded words: "Korea, Nord" and "(Sonderverwaltungszone)" forms lose their notes."""
    name = re.sub(r"\([^)]*\)", " ", name)
    return " ".join(fold(name).replace(",", " ").split())


@functools.cache
def country_groups() -> tuple[tuple[str, ...], ...]:
    """One group per ISO country: its German and English CLDR names and their adjective forms."""
    locales = [Locale(code) for code in _LOCALES]
    named: list[tuple[list[str], set[str]]] = []
    for code in sorted(locales[1].territories):
        if not _REGION.match(code) or code in _NOT_COUNTRIES:
            continue
        names = {_clean(locale.territories[code]) for locale in locales if code in locale.territories}
        names = {name for name in names if name}
        if names:
            # English first: the group's token is named after its first spelling
            english = _clean(locales[1].territories[code])
            named.append((sorted(names, key=lambda n: (n != english, n)), _adjectives(names)))
    # a form two countries make (Nigerian of Niger and of Nigeria) or that is another place's name
    # names neither
    seen: dict[str, int] = {}
    for spellings, forms in named:
        for form in forms | set(spellings):
            seen[form] = seen.get(form, 0) + 1
    taken = {name for spellings, _ in named for name in spellings}
    return tuple(
        (*spellings, *sorted(f for f in forms if seen[f] == 1 and f not in taken))
        for spellings, forms in named
    )


def _spellings_by_language() -> dict[str, set[str]]:
    """Every CLDR country and language name and every adjective form, with the languages that write it."""
    locales = [Locale(code) for code in _LOCALES]
    found: dict[str, set[str]] = {}
    for code in sorted(locales[1].territories):
        if not _REGION.match(code) or code in _NOT_COUNTRIES:
            continue
        for locale in (locale for locale in locales if code in locale.territories):
            name = _clean(locale.territories[code])
            found.setdefault(name, set()).add(str(locale.language))
            if " " in name or "-" in name:
                continue
            for stem in _stems(name):
                for lang, endings in ADJECTIVE_ENDINGS.items():
                    for ending in endings:
                        found.setdefault(stem + ending, set()).add(lang)
    for code in (code for code in sorted(locales[1].languages) if len(code) == 2):
        for locale in (locale for locale in locales if code in locale.languages):
            found.setdefault(_clean(locale.languages[code]), set()).add(str(locale.language))
    return found


@functools.cache
def one_language_spellings() -> dict[str, str]:
    """Spellings of a country or language that only one of the languages writes, by that language: the
    German CLDR name (Island, Iceland's) and the forms made with only German endings (lett-er of
    Lettland) are ordinary words in English text ("island", "letter"), so they name the place only in
    German entries; likewise English-only spellings only in English ones."""
    return {
        spelling: next(iter(langs))
        for spelling, langs in _spellings_by_language().items()
        if spelling and len(langs) == 1
    }


@functools.cache
def city_groups() -> tuple[tuple[str, ...], ...]:
    """One group per city of `CITIES`."""
    return tuple(group for code in sorted(CITIES) for group in CITIES[code])


@functools.cache
def language_groups() -> tuple[tuple[str, ...], ...]:
    """The German and English CLDR names of the languages with a two-letter code (Deutsch, German)."""
    locales = [Locale(code) for code in _LOCALES]
    groups: list[tuple[str, ...]] = []
    for code in sorted(locales[1].languages):
        if len(code) != 2:
            continue
        names = {_clean(locale.languages[code]) for locale in locales if code in locale.languages}
        names = {name for name in names if name and " " not in name}
        if len(names) == 2:  # the same name in both languages needs no group
            groups.append(tuple(sorted(names)))
    return tuple(groups)


def place_groups() -> tuple[tuple[str, ...], ...]:
    """Every group of this module: countries, cities and languages."""
    return country_groups() + city_groups() + language_groups()
