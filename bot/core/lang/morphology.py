"""Word endings: what the light stemmers strip and what derives and joins words, German and English.

Each list is tried in the order given (longest first where one ending ends another); `-` stands for
no ending. Read by `lang.endings(name)`.
"""

from __future__ import annotations

from bot.core.lang import Endings

GERMAN_INFLECTIONS = Endings(
    "German inflection endings the light stemmer strips, one at a time, longest first: "
    "`Raketen` -> `Raket`, `Weihnachtsmarktes` -> `Weihnachtsmarkt`.",
    "ern em en er es e s",
)
SHORT_NOUN_INFLECTIONS = Endings(
    "Endings of a four-letter German noun: `Wahlen`, `Banken`, `Boote`, `Zolles` (not `-er`: `Banker`).",
    "e en es n",
)
COMPOUND_LINKS = Endings(
    "Linking elements between the parts of a German compound: `Kriegsende`, `Wochenende`, `Ländername`.",
    "- s n en es er e ns",
)
DERIVATIONS = Endings(
    "Endings that derive adjectives and inhabitants from names, on an inflection stem: "
    "nordkoreanisch, Nordkoreaner, japanese, chinesisch, europaeisch, georgian, Londoner, friedlich.",
    "ianisch anisch esisch eisch isch ian an ese ish er n lich",
)
DEMONYMS_OF_WHOLE_NAMES = Endings(
    "English demonyms in -i of the whole name: Israeli, Pakistani, Iraqis (the English stem keeps "
    "the s after an i), but not Francis for France.",
    "i is",
)
DOCTRINES = Endings(
    "A doctrine and its follower: populism = populist(s), Populismus = Populisten, terrorism = terrorist.",
    "ismus istisch istic ism ist",
)
PLACE_NAME_ENDINGS = Endings(
    "Place names are no compounds of the word they begin with: Brandenburg, Frankreich, Frankfurt, "
    "Islamabad, Recklinghausen, Tübingen (the rest, after a linking element, is one of these).",
    "burg furt hausen ingen abad reich dorf",
)
PLACE_NAME_INFLECTIONS = Endings(
    "Endings a place name's rest may carry: Frankreichs, Brandenburger, Brandenburgern.",
    "- s er ern ers",
)
PLACE_NAME_TAILS = Endings(
    "Four-letter words that end place names and so are no tail of a compound: Deutschland, Hamburg, "
    "Erfurt, Islamabad, Düsseldorf.",
    "land burg furt abad dorf",
)
ENGLISH_ORDINALS = Endings(
    "Endings of English ordinals written with digits: `1st`, `2nd`, `3rd`, `4th`.", "st nd rd th"
)
GERMAN_ADJECTIVE_ENDINGS = Endings(
    "Endings of an inflected German adjective: `russische`, `weiteren`, `neuer`, `kleines`, `großem`.",
    "e en er es em",
)
STORY_TOKEN_ENDINGS = Endings(
    "The one German or English ending story grouping strips from a word, longest first, so that "
    "reports in either language meet: `Wahlen`/`Wahl`, `elections`/`election`, `countries`/`country`.",
    "ungen innen ern ies ing en er es em ed e s n",
)
