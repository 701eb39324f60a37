"""Words the key-point choice (`core/keypoints.py`) uses to describe candidates as features."""

from __future__ import annotations

from bot.core.lang import Table

BACKGROUND_MARKERS = Table(
    "Words that mark a sentence as background rather than the news: `im Vorjahr`, `last year`, `zuvor`.",
    "vorjahr vorjahres zuvor damals bisher bislang zuletzt einst frueher ehemals previously earlier "
    "formerly ago once",
)
UNIT_WORDS = Table(
    "Unit words that say nothing about what a sum or a share is of (`Euro`, `Prozent`).",
    "euro euros dollar dollars pfund pounds yen franken prozent percent per cent prozentpunkte",
)
WRITTEN_COUNTS = Table(
    "Number words from two upwards: a small count written out is rarely the news outside the headline.",
    "zwei drei vier fuenf sechs sieben acht neun zehn elf zwoelf zwanzig two three four five six seven "
    "eight nine ten eleven twelve twenty",
)
BOUND_WORDS = Table(
    "Approximation words that make a number a bound (`unter 30 Prozent`, `more than 400`), not a rounding.",
    "mehr_als weniger_als bis_zu ueber unter mindestens hoechstens more_than less_than fewer_than at_least "
    "up_to over under as_little_as as_much_as as_many_as",
)
THRESHOLD_WORDS = Table(
    "Nouns right before a number that make it a threshold, not a result (`die Marke von 15 500 Punkten`).",
    "marke schwelle grenze huerde mark threshold barrier milestone",
)
