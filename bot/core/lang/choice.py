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
    "euro euros dollar dollars pfund pounds yen franken prozent percent per cent prozentpunkte percentage "
    "point points",
)
WRITTEN_COUNTS = Table(
    "Number words from two upwards: a small count written out is rarely the news outside the headline.",
    "zwei drei vier fuenf sechs sieben acht neun zehn elf zwoelf zwanzig two three four five six seven "
    "eight nine ten eleven twelve twenty",
)
BOUND_WORDS = Table(
    "Approximation words that make a number a bound (`unter 30 Prozent`, `more than 400`), not a rounding.",
    "mehr_als weniger_als bis_zu ueber unter mindestens hoechstens more_than less_than fewer_than at_least "
    "up_to over under below above as_little_as as_much_as as_many_as",
)
MARK_VERBS = Table(
    "Verbs of movement before a bound (`fällt unter 30 Prozent`, `rises above 5%`): the bound is a mark "
    "crossed, not the result.",
    "faellt fallen sinkt sinken rutscht rutschen steigt steigen klettert klettern springt springen "
    "falls fall fell drops drop dropped dips slips sinks sank rises rise rose climbs climbed jumps jumped",
)
CHANGE_FROM_WORDS = Table(
    "Words before the first number of a change (`from 31.9% to 31.4%`, `von 5 auf 7 Prozent`): the value "
    "it had before, rarely the news.",
    "from von",
)
CHANGE_TO_WORDS = Table("Words before the second number of a change: the value it reached.", "to auf")
THRESHOLD_WORDS = Table(
    "Nouns right before a number that make it a threshold, not a result (`die Marke von 15 500 Punkten`).",
    "marke schwelle grenze huerde mark threshold barrier milestone",
)
POLL_CUES = Table(
    "Headline words that say the news is a share (a poll, a vote, a rate): a percentage is then the figure.",
    "umfrage umfragen sonntagsfrage sonntagstrend befragung befragte umfragewerte quote rate anteil "
    "wahl poll polls polling survey surveys rate share vote turnout",
)
TOLL_CUES = Table(
    "Headline words that say the news counts people (dead, hurt, arrested): a count of people is the figure.",
    "tote toten todesopfer opfer verletzte verletzten getoetet sterben starben vermisste festnahmen "
    "dead deaths died killed kills killing toll injured wounded missing victims casualties arrested",
)
MONEY_CUES = Table(
    "Headline words that say the news is a sum of money: an amount is then the figure.",
    "euro dollar milliarden millionen kosten preis strafe geldstrafe schaden umsatz gewinn verlust "
    "haushalt kredit fine fined cost costs price deal bill budget billion million revenue profit loss "
    "loan aid fund funding pay",
)
