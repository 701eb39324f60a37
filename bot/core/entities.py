"""Named places and figures in a form that compares across outlets and languages.

Two things story grouping needs beyond plain tokens:

* one canonical token for a place or organisation however it is written: `Nordkorea`, `North Korea`,
  `nordkoreanischen` and `DPRK` all become `@nordkorea`; `Genf` and `Geneva` become `@genf`. A small
  built-in table covers German/English exonyms of countries, major cities and organisations (general
  knowledge); callers add their own groups (a topic's aliases) with `AliasTable.add`.
* one canonical token for a figure however the locale writes it: `10.000`, `10,000` and `10 000` (thin
  space) are `#10000`; `3,5 Prozent` and `3.5 percent` are `#3.5`; `2 Mrd.` and `2 billion` are `#2e+09`.

Pure functions and plain data; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.core import lang as lang_data
from bot.core.folding import fold

# Canonical name first, then every other spelling (German and English, with demonyms). Matching is on
# folded text, so case and umlauts do not matter; German adjective endings are stripped before lookup.
_EXONYMS: tuple[tuple[str, ...], ...] = (
    (
        "usa",
        "us",
        "u.s.",
        "u.s.a.",
        "united states",
        "united states of america",
        "vereinigte staaten",
        "amerika",
        "america",
        "american",
        "amerikanisch",
        "amerikaner",
    ),
    ("russland", "russia", "russian", "russisch", "russe", "russen", "russians", "russian federation"),
    ("ukraine", "ukrainian", "ukrainisch", "ukrainer", "ukrainians"),
    ("nordkorea", "north korea", "north korean", "north koreans", "nordkoreanisch", "nordkoreaner", "dprk"),
    ("suedkorea", "south korea", "south korean", "south koreans", "suedkoreanisch", "suedkoreaner"),
    ("china", "chinese", "chinesisch", "chinesen", "volksrepublik china"),
    ("japan", "japanese", "japanisch", "japaner"),
    ("indien", "india", "indian", "indisch", "inder"),
    ("iran", "iranian", "iranians", "iranisch", "iraner"),
    ("irak", "iraq", "iraqi", "irakisch"),
    ("israel", "israeli", "israelis", "israelisch"),
    ("palaestina", "palestine", "palestinian", "palestinians", "palaestinensisch", "palaestinenser"),
    ("gaza", "gazastreifen", "gaza strip"),
    ("westjordanland", "west bank"),
    ("deutschland", "germany", "german", "germans", "bundesrepublik"),
    ("frankreich", "france", "french", "franzoesisch", "franzosen"),
    (
        "grossbritannien",
        "britain",
        "great britain",
        "united kingdom",
        "uk",
        "british",
        "britisch",
        "briten",
        "vereinigtes koenigreich",
    ),
    ("italien", "italy", "italian", "italienisch", "italiener"),
    ("spanien", "spain", "spanish", "spanisch", "spanier"),
    ("polen", "poland", "polnisch"),
    ("tuerkei", "turkey", "tuerkiye", "turkish", "tuerkisch"),
    ("syrien", "syria", "syrian", "syrisch"),
    ("libanon", "lebanon", "lebanese", "libanesisch"),
    ("jemen", "yemen", "yemeni", "jemenitisch"),
    ("jordanien", "jordan", "jordanian", "jordanisch"),
    ("aegypten", "egypt", "egyptian", "aegyptisch"),
    ("saudi-arabien", "saudi arabia", "saudi", "saudisch"),
    ("katar", "qatar", "qatari"),
    ("libyen", "libya", "libyan", "libysch"),
    ("tunesien", "tunisia", "tunisian", "tunesisch"),
    ("marokko", "morocco", "moroccan", "marokkanisch"),
    ("algerien", "algeria", "algerian", "algerisch"),
    ("aethiopien", "ethiopia", "ethiopian", "aethiopisch"),
    ("kenia", "kenya", "kenyan", "kenianisch"),
    ("nigeria", "nigerian", "nigerianisch"),
    ("suedafrika", "south africa", "south african", "suedafrikanisch"),
    ("afghanistan", "afghan", "afghanisch"),
    ("pakistan", "pakistani", "pakistanisch"),
    ("bangladesch", "bangladesh", "bangladeshi"),
    ("griechenland", "greece", "greek", "griechisch"),
    ("oesterreich", "austria", "austrian", "oesterreichisch"),
    ("schweiz", "switzerland", "swiss", "schweizerisch"),
    ("niederlande", "netherlands", "dutch", "niederlaendisch", "holland"),
    ("belgien", "belgium", "belgian", "belgisch"),
    ("schweden", "sweden", "swedish", "schwedisch"),
    ("norwegen", "norway", "norwegian", "norwegisch"),
    ("daenemark", "denmark", "danish", "daenisch"),
    ("finnland", "finland", "finnish", "finnisch"),
    ("ungarn", "hungary", "hungarian", "ungarisch"),
    ("tschechien", "czechia", "czech republic", "czech", "tschechisch"),
    ("rumaenien", "romania", "romanian", "rumaenisch"),
    ("bulgarien", "bulgaria", "bulgarian", "bulgarisch"),
    ("kroatien", "croatia", "croatian", "kroatisch"),
    ("serbien", "serbia", "serbian", "serbisch"),
    ("belarus", "weissrussland", "belarusian", "belarussisch"),
    ("georgien", "georgia", "georgian", "georgisch"),
    ("mexiko", "mexico", "mexican", "mexikanisch"),
    ("kanada", "canada", "canadian", "kanadisch"),
    ("brasilien", "brazil", "brazilian", "brasilianisch"),
    ("argentinien", "argentina", "argentinian", "argentine", "argentinisch"),
    ("kolumbien", "colombia", "colombian", "kolumbianisch"),
    ("venezuela", "venezuelan", "venezolanisch"),
    ("kuba", "cuba", "cuban", "kubanisch"),
    ("taiwan", "taiwanese", "taiwanisch"),
    ("philippinen", "philippines", "philippine", "filipino", "philippinisch"),
    ("indonesien", "indonesia", "indonesian", "indonesisch"),
    ("australien", "australia", "australian", "australisch"),
    ("neuseeland", "new zealand"),
    ("europa", "europe", "european", "europaeisch"),
    ("eu", "europaeische union", "european union"),
    ("un", "uno", "vereinte nationen", "united nations"),
    ("nato", "otan"),
    ("genf", "geneva", "geneve"),
    ("wien", "vienna"),
    ("rom", "rome"),
    ("mailand", "milan"),
    ("muenchen", "munich"),
    ("koeln", "cologne"),
    ("nuernberg", "nuremberg"),
    ("moskau", "moscow"),
    ("kiew", "kyiv", "kiev", "kyjiw"),
    ("charkiw", "kharkiv", "charkow", "kharkov"),
    ("odessa", "odesa"),
    ("krim", "crimea", "crimean"),
    ("donbass", "donbas"),
    ("warschau", "warsaw"),
    ("prag", "prague"),
    ("bruessel", "brussels", "bruxelles"),
    ("lissabon", "lisbon"),
    ("athen", "athens"),
    ("kopenhagen", "copenhagen"),
    ("peking", "beijing"),
    ("neu-delhi", "new delhi"),
    ("teheran", "tehran"),
    ("kairo", "cairo"),
    ("damaskus", "damascus"),
    ("bagdad", "baghdad"),
    ("pjoengjang", "pyongyang"),
    ("tokio", "tokyo"),
    ("den haag", "the hague"),
    ("new york", "new york city"),
    ("washington", "washington dc", "washington d.c."),
    ("weisses haus", "white house"),
    ("kreml", "kremlin"),
)

# Short spellings that are ordinary words in lower case ("us", "who"): they name the entity only when the
# source writes them in capitals.
_CAPITALS_ONLY = frozenset({"us", "uk", "un", "eu", "who", "uno"})

# German (and English) inflection endings tried, longest first, when a word is not in the table as it is.
_INFLECTIONS = ("en", "er", "es", "em", "e", "n", "s")


def alias_words(phrase: str) -> tuple[str, ...]:
    """A phrase as the folded words alias lookup compares: `North Korea` -> ('north', 'korea')."""
    return tuple(word for word in re.split(r"[^\w.]+", fold(phrase).replace("'", "")) if word)


class AliasTable:
    """Phrases (one or more words) mapped to one canonical token per group."""

    def __init__(self, groups: Iterable[Sequence[str]] = _EXONYMS) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        self._starts: set[str] = set()  # first words of phrases longer than one word
        self._cache: dict[tuple[str, bool], str | None] = {}  # single words already looked up
        self.longest = 1
        for group in groups:
            self.add(group)
        # the built-in places and organisations: common in news, so one alone says little
        self.common: frozenset[str] = frozenset(self._phrases.values())

    def add(self, group: Sequence[str]) -> None:
        """Make every spelling in `group` one token.

        A spelling that already belongs to a group joins the new spellings to that group, so that a
        topic's aliases extend the built-in table instead of splitting it."""
        keys = [alias_words(name) for name in group]
        keys = [key for key in keys if key]
        if not keys:
            return
        canonical = next((self._phrases[key] for key in keys if key in self._phrases), None)
        if canonical is None:
            canonical = "@" + "_".join(keys[0]).replace(".", "")
        self._cache.clear()
        for key in keys:
            self._phrases.setdefault(key, canonical)
            self._phrases.setdefault(tuple(word.replace(".", "") for word in key), canonical)
            self.longest = max(self.longest, len(key))
            if len(key) > 1:
                self._starts.add(key[0])
                self._starts.add(key[0].replace(".", ""))

    def starts_phrase(self, word: str) -> bool:
        """Whether some phrase of more than one word begins with `word`."""
        return word in self._starts

    def lookup(self, words: Sequence[str], capitals: bool) -> str | None:
        """The canonical token of a folded phrase, trying German/English endings on its last word.

        `capitals` says whether the source wrote the (single) word all in capitals."""
        key = tuple(words)
        if len(key) > 1:
            return self._lookup(key, capitals) if key[0] in self._starts else None
        cache_key = (key[0], capitals)
        if cache_key in self._cache:
            return self._cache[cache_key]
        found = self._lookup(key, capitals)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[cache_key] = found
        return found

    def _lookup(self, key: tuple[str, ...], capitals: bool) -> str | None:
        if len(key) == 1 and key[0] in _CAPITALS_ONLY and not capitals:
            return None
        found = self._phrases.get(key)
        if found is not None:
            return found
        last = key[-1]
        for ending in _INFLECTIONS:
            if last.endswith(ending) and len(last) - len(ending) >= 4:
                found = self._phrases.get((*key[:-1], last[: -len(ending)]))
                if found is not None:
                    return found
        return None


# --- figures -----------------------------------------------------------------------------------------


def multiplier(word: str, lang: str) -> float:
    """The factor a scale word after a figure stands for (`Mrd.` -> 1e9, `Bio.` -> 1e12); 1.0 when none."""
    return lang_data.scale(word, lang) or 1.0


def figure_token(value: float) -> str:
    """One token for one value: `#10000`, `#3.5`, `#2e+09`."""
    if value == int(value) and abs(value) < 1e7:
        return f"#{int(value)}"
    return f"#{value:.4g}"
