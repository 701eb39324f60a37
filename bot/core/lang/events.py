"""Kinds of events in German and English, so that an Erdbeben and an earthquake are one word.

Story grouping reads an event word as one token whatever the language; an event kind alone never
makes two reports one story (two earthquakes are two stories), but together with a shared place,
figure or name it says the reports are about the same thing.

Each entry: the event's token, then its German and its English words, folded (ä -> ae, ß -> ss).
A German word also matches as the head or the start of a compound (Erdbebendrama, Seebeben), so
German words are at least five letters or listed as whole words only (`WHOLE_WORDS`); English words
match whole, with a plural or verb ending (floods, crashed).
"""

from __future__ import annotations

import functools

EVENTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "earthquake",
        ("erdbeben", "seebeben", "nachbeben", "beben"),
        ("earthquake", "quake", "aftershock", "tremor"),
    ),
    ("tsunami", ("tsunami", "flutwelle"), ("tsunami",)),
    ("flood", ("hochwasser", "ueberschwemmung", "flut", "sturzflut"), ("flood", "flooding", "deluge")),
    (
        "storm",
        ("hurrikan", "wirbelsturm", "taifun", "tornado", "unwetter"),
        ("hurricane", "typhoon", "tornado", "cyclone", "storm"),
    ),
    ("fire", ("brand", "feuer", "waldbrand", "flammen"), ("fire", "blaze", "wildfire", "flames")),
    (
        "shooting",
        ("amoklauf", "schuesse", "schiesserei", "schuetze"),
        ("shooting", "gunman", "gunfire", "shooter"),
    ),
    (
        "knife",
        ("messerangriff", "messerattacke", "messer", "messerstecherei"),
        ("knife", "stabbing", "stabbed"),
    ),
    ("attack", ("anschlag", "angriff", "attacke", "attentat"), ("attack", "assault")),
    ("crash", ("absturz", "abgestuerzt", "unglueck", "bruchlandung"), ("crash", "crashed", "wreck")),
    ("helicopter", ("hubschrauber", "helikopter"), ("helicopter", "copter", "chopper")),
    ("plane", ("flugzeug", "maschine", "jet"), ("plane", "jet", "aircraft", "airliner")),
    ("election", ("wahl", "gewaehlt", "stichwahl", "wahlsieg"), ("election", "elected", "vote", "runoff")),
    ("verdict", ("urteil", "verurteilt", "schuldig"), ("verdict", "convicted", "sentenced", "guilty")),
    ("bridge", ("bruecke",), ("bridge",)),
    ("collapse", ("eingestuerzt", "einsturz", "eingebrochen"), ("collapse", "collapsed", "collapsing")),
    (
        "dead",
        ("tote", "toten", "todesopfer", "getoetet", "tod", "tot", "starb", "sterben", "gestorben"),
        ("dead", "death", "deaths", "killed", "kills", "died", "dies", "fatalities"),
    ),
    ("injured", ("verletzte", "verletzt", "verwundet"), ("injured", "wounded", "injuries")),
    ("missing", ("vermisst", "vermisste", "vermissten", "verschollen"), ("missing",)),
    (
        "rescue",
        ("rettung", "retter", "rettungskraefte", "bergung", "suche"),
        ("rescue", "rescuers", "search"),
    ),
    (
        "arrest",
        ("festgenommen", "festnahme", "verhaftet", "haft", "gefasst"),
        ("arrested", "arrest", "custody", "detained"),
    ),
    (
        "suspect",
        ("verdaechtig", "verdaechtiger", "taeter", "tatverdaechtig"),
        ("suspect", "perpetrator", "attacker"),
    ),
    (
        "heist",
        ("raub", "ueberfall", "einbruch", "diebstahl", "gestohlen", "raeuber", "diebe"),
        ("heist", "robbery", "theft", "stolen", "robbers", "thieves"),
    ),
    ("submersible", ("tauchboot", "u-boot"), ("submersible", "submarine")),
    ("implosion", ("implosion", "implodiert"), ("implosion", "imploded")),
    ("strike", ("streik", "ausstand"), ("strike", "walkout")),
    ("school", ("schule", "gymnasium"), ("school",)),
    ("festival", ("stadtfest", "festival", "volksfest"), ("festival",)),
    ("mourning", ("staatstrauer", "trauer"), ("mourning",)),
    ("coup", ("meuterei", "putsch", "aufstand", "umsturz"), ("mutiny", "coup", "uprising", "rebellion")),
    ("magnitude", ("staerke", "magnitude"), ("magnitude",)),
    ("warning", ("warnung", "warnungen", "alarm"), ("warning", "warnings", "alert")),
    ("final", ("finale", "endspiel"), ("final",)),
    ("win", ("gewinnt", "sieg", "siegt", "triumph"), ("wins", "win", "beat", "victory", "triumph")),
    ("president", ("praesident", "praesidenten"), ("president",)),
    ("jewels", ("juwelen", "schmuck", "kronjuwelen"), ("jewels", "jewellery", "jewelry", "gems")),
    ("death_toll", ("totenzahl", "opferzahl", "zahl der toten"), ("death toll", "toll")),
    ("evacuation", ("evakuierung", "evakuiert"), ("evacuation", "evacuated", "evacuate")),
)

# German words that match only as the head of a compound (Waldbrand, not Brandenburg; Stichwahl,
# not Wahlkampf is fine but Auswahl is not: heads are safer).
HEAD_ONLY = frozenset({"brand", "wahl", "flut", "beben", "feuer", "angriff", "streik", "sturm"})
# German words that match only whole: inside a compound they mean something else (Schwangerschaft,
# Besuche, Tornetz).
WHOLE_WORDS = frozenset(
    {"tod", "tot", "tote", "toten", "haft", "jet", "suche", "sieg", "raub", "tor", "finale", "fest"}
)
MIN_COMPOUND = 5  # a shorter German word matches only whole

# English endings an event word may carry (floods, crashed, killing).
ENGLISH_ENDINGS = ("s", "es", "ed", "d", "ing")

_WHOLE: dict[str, str] = {}
_HEADS: dict[str, str] = {}  # German words that may end a compound
_STARTS: dict[str, str] = {}  # German words that may begin one
for _token, _german, _english in EVENTS:
    for _word in _german:
        _WHOLE.setdefault(_word, _token)
        if _word not in WHOLE_WORDS and len(_word) >= MIN_COMPOUND:
            _HEADS.setdefault(_word, _token)
            if _word not in HEAD_ONLY:
                _STARTS.setdefault(_word, _token)
    for _word in _english:
        _WHOLE.setdefault(_word, _token)
_LENGTHS = sorted({len(word) for word in _HEADS}, reverse=True)  # the longest part decides


@functools.lru_cache(maxsize=65_536)
def event_of(word: str) -> str | None:
    """The event token of a folded word (Erdbebens, earthquakes, Messerangriff), or None."""
    found = _WHOLE.get(word)
    if found is not None:
        return found
    for ending in ENGLISH_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            found = _WHOLE.get(word[: -len(ending)])
            if found is not None:
                return found
    for size in _LENGTHS:
        if size >= len(word):
            continue
        found = _HEADS.get(word[-size:]) or _STARTS.get(word[:size])
        if found is not None:
            return found
    return None
