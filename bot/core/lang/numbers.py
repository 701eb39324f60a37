"""Numbers, units and what is never a figure, in German and English (tables read by `core/figures.py`
and `core/entities.py` through the loader in `bot.core.lang`)."""

from __future__ import annotations

from bot.core.lang import Scale, Table

SCALES = Scale(
    "Words after a number that multiply it: `2,4 Mio.`, `3 Bio. Euro`, `1.5bn`, `65 Milliarden`.",
    {
        "tausend": {"*": 1e3},
        "tsd": {"*": 1e3},
        "thousand": {"*": 1e3},
        "k": {"en": 1e3},
        "million": {"*": 1e6},
        "millionen": {"*": 1e6},
        "millions": {"*": 1e6},
        "mio": {"*": 1e6},
        "mn": {"*": 1e6},
        "mln": {"*": 1e6},
        "m": {"en": 1e6},
        "milliarde": {"*": 1e9},
        "milliarden": {"*": 1e9},
        "mrd": {"*": 1e9},
        "billion": {"de": 1e12, "en": 1e9},
        "billions": {"en": 1e9},
        "bn": {"*": 1e9},
        "b": {"en": 1e9},
        "billionen": {"*": 1e12},
        "bio": {"de": 1e12},
        "trillion": {"en": 1e12},
        "tn": {"en": 1e12},
    },
)

CARDINAL_VALUES = {
    "ein": 1,
    "eine": 1,
    "einer": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwölf": 12,
    "zwanzig": 20,
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
}
"""Number words as written and their values: `elf Zentimeter` is 11, `Fünf Tage` 5."""

FRACTION_VALUES = {
    "drittel": 1 / 3,
    "viertel": 1 / 4,
    "fünftel": 1 / 5,
    "zehntel": 1 / 10,
    "third": 1 / 3,
    "thirds": 1 / 3,
    "quarter": 1 / 4,
    "quarters": 1 / 4,
    "fifth": 1 / 5,
    "fifths": 1 / 5,
}
"""Fraction words: `zwei Drittel` is 2/3."""

VAGUE_VALUES = {
    "dutzende": 12,
    "hunderte": 100,
    "tausende": 1e3,
    "zehntausende": 1e4,
    "hunderttausende": 1e5,
    "millionen": 1e6,
    "milliarden": 1e9,
    "dozens": 12,
    "hundreds of thousands": 1e5,
    "tens of thousands": 1e4,
    "hundreds": 100,
    "thousands": 1e3,
    "millions": 1e6,
    "billions": 1e9,
}
"""Vague quantities and the order of magnitude they stand for: `Hunderte Menschen`."""

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "₦": "NGN"}
"""Currency signs before or after a number and their ISO codes."""

CURRENCY_PREFIXES = {"US$": "USD", "A$": "AUD", "C$": "CAD", "HK$": "HKD"}
"""Dollar signs with a country prefix and their ISO codes."""

SCALED_CURRENCY_LETTERS = {"N": "NGN", "R": "ZAR", "Rs": "INR", "KSh": "KES"}
"""Letters that stand for a currency only glued to a sum with a scale: `N16m`, `R2bn`, not `N95`."""

CURRENCY_WORDS = {
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "cent": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "us-dollar": "USD",
    "usd": "USD",
    "pfund": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "gbp": "GBP",
    "pence": "GBP",
    "franken": "CHF",
    "chf": "CHF",
    "sek": "SEK",
    "kronen": "SEK",
    "yen": "JPY",
    "yuan": "CNY",
    "rubel": "RUB",
    "roubles": "RUB",
    "rubles": "RUB",
    "rupees": "INR",
}
"""Currency words after a number and their ISO codes: `3 Bio. Euro`, `$155 million`."""

PERCENT_WORDS = Table(
    "Units that make a figure a percentage.", "prozent percent prozentpunkte prozentpunkt pc"
)
MEASURE_UNITS = Table(
    "Units of measurement: a figure with one is a measure (`69,05 Meter`, `7.0 magnitude` is not here).",
    "km kilometer kilometern kilometres kilometers meter metern metres meters m cm mm miles mile "
    "meilen kg kilogramm kilo gramm tonnen tonne tonnes tons t liter litres liters l barrel barrels "
    "hektar ha acres quadratkilometer grad degrees °c mw gw kw kwh mwh gwh twh terabit gigabit "
    "megabit terabytes gigabytes megabytes petabytes tb gb mb mbit gbit tbit mph km/h knoten knots "
    "feet ft fuss zoll inches zentimeter",
)
RACE_DISTANCES = Table(
    "Units of a race's distance: `3000 Meter Hindernis`, `400m hurdles` name a race.",
    "m meter metern metres meters km kilometer kilometres kilometers",
)
RACE_DISCIPLINES = Table(
    "Words after a distance that make it the name of a race (`über 3000 Meter Hindernis`), never a figure.",
    "hindernis huerden freistil lagen brust ruecken schmetterling staffel steeplechase hurdles freestyle "
    "breaststroke backstroke butterfly medley relay",
)
DURATION_UNITS = Table(
    "Units of time: a span of time is rarely the news (`12 Jahre`, `18-month period`).",
    "jahre jahren jahr monate monaten monat wochen woche tage tagen tag stunden stunde minuten minute "
    "sekunden sekunde years year months month weeks week days day hours hour minutes minute seconds "
    "second jahrzehnte decades taegig taegige taegigen taegiger taegiges woechig woechige woechigen "
    "woechiger monatig monatige monatigen monatiger stuendig stuendige stuendigen stuendiger",
)
PEOPLE_NOUNS = Table(
    "Nouns that count people: the death toll, the injured, troops, jobs, voters.",
    "menschen personen tote toten todesopfer verletzte verletzten opfer soldaten soldatinnen "
    "fluechtlinge einwohner mitarbeiter mitarbeitende beschaeftigte arbeitsplaetze stellen kinder "
    "frauen maenner zivilisten gefangene geiseln patienten infizierte faelle besucher zuschauer fans "
    "mitglieder people persons dead killed injured wounded soldiers troops refugees residents workers "
    "employees jobs children women men civilians prisoners hostages patients cases visitors fans "
    "members deaths casualties victims migrants voters users customers vermisste vermissten evakuierte "
    "festgenommene befragte angestellte teilnehmer teilnehmende einsatzkraefte helfer polizisten schueler "
    "studierende studenten lehrer aerzte demonstranten waehler nutzer kunden missing evacuees protesters "
    "demonstrators participants students teachers doctors nurses staffers officers signatories "
    "lawmakers delegates individuals adults citizens passengers tourists pilgrims athletes players "
    "fighters suspects detainees inmates survivors volunteers passagiere buerger haeftlinge "
    "verdaechtige ueberlebende freiwillige sportler spieler kaempfer touristen pilger",
)
APPROX_PHRASES = Table(
    "Words before a number that make it approximate or a bound; they belong to the figure's text.",
    "mehr_als weniger_als bis_zu more_than less_than fewer_than at_least up_to as_many_as as_much_as "
    "as_little_as an_estimated etwa rund ungefaehr circa ca. knapp fast beinahe ueber unter mindestens "
    "hoechstens nahezu annaehernd gut about around roughly approximately nearly almost over under some "
    "close_to",
)
MONTHS = Table(
    "Month names and abbreviations: a number next to one is a date, never a figure.",
    "januar jaenner februar maerz april mai juni juli august september oktober november dezember jan "
    "feb maer mrz apr jun jul aug sep sept okt nov dez january february march may june july october "
    "december mar oct dec",
)
WEEKDAYS = Table(
    "Weekday names: never a person's name, never a figure's noun.",
    "montag dienstag mittwoch donnerstag freitag samstag sonntag monday tuesday wednesday thursday "
    "friday saturday sunday",
)
YEAR_CONTEXT = Table(
    "Words before a four-digit number that make it a year (`seit 2019`, `in 2023`): a year is never a count.",
    "in im seit bis von vom ab jahr jahre jahres jahren since until till by from of year years mid "
    "early late spring summer autumn fall winter fruehjahr fruehling sommer herbst anfang ende mitte "
    "before after vor nach zwischen between und and or oder to circa ca um around",
)
CLOCK_WORDS = Table(
    "Words after a number that make it a clock time (`17 Uhr`, `1700 GMT`, `3 pm`): never a figure.",
    "uhr h am pm a.m p.m gmt utc mez mesz cet cest bst edt est pdt pst hrs",
)
AGE_BEFORE = Table(
    "Words right before a number that make it an age, a phone number or an id: never a figure.",
    "aged alter tel telefon fax phone nr no id artikel",
)
POSITION_WORDS = Table(
    "Words before a number that make it a list or chart position (`No. 1`, `Platz 3`): never a figure.",
    "platz rang position number nummer no nr",
)
DATE_DETERMINERS = Table(
    "Articles before `3.` that make it an ordinal or a date (`am 3. Oktober`, `der 2. Weltkrieg`).",
    "der die das dem den des am im zum zur vom beim the",
)
RANGE_OPENERS = Table(
    "Words that open a range `zwischen 33 und 43`: the figure's text starts with them.",
    "zwischen between from",
)
LABEL_EXEMPT = Table(
    "Capitalised words before a bare number that do not make it a label (`Insgesamt 300`, `Laut 40`).",
    "insgesamt damals davon darunter allein bereits nur noch schon weitere weiteren nun jetzt heute "
    "gestern morgen laut mit fuer auf an bei zu aber auch jeweils je pro per erneut wieder offenbar "
    "wohl zuletzt zudem demnach another all only just also but at on for with by the and some "
    "today yesterday",
)
EN_COUNT_STOP = Table(
    "English words that end the noun phrase a number counts (`10 of the`, `5 said`).",
    "the a an this that these those of in on at to for from by with and or but as is are was were be "
    "been have has had will would could should may might can do does did it its their his her they he "
    "she we i you our who which than then per over under into after before since during last next "
    "this each year years ago more less about around while when where if so not no also only just up "
    "down out said says told",
)
DE_COUNT_STOP_CAPS = Table(
    "Capitalised German words after a number that are not what it counts.", "der die das ein eine uhr euro"
)
DE_COUNT_STOP_LOWER = Table(
    "Lower-case German words that end the phrase a number counts (`10 werden`, `5 ohne`).",
    "die eine keine seine ihre unsere diese jene welche alle beide meine deine euer eure ihre andere "
    "werden wurde wurden haben hatte hatten sind seien waere waeren koennte koennen muessen sollen "
    "sollte wollen wollte ohne gegen gegenueber neben sowie aber oder wie wenn weil dass damit "
    "bereits ueber unter hinter zwischen per pro ihren ihrem ihrer seinen seinem seiner einen einem "
    "unseren unserem euren eurem deren dessen",
)
MULTI_WORD_COUNTS = Table(
    "German counted nouns that take a second noun: `Millionen Schuss Munition`, `500 Tonnen Weizen`.",
    "schuss stueck tonnen liter barrel",
)
CLOCK_WORDS_EN = Table(
    "English words after a number that make it a clock time: `3 pm`, `9 a.m.`.", "am pm a.m p.m"
)
AGE_PHRASES = Table(
    "Two words before a number that make it an age: `at the age of 84`, `im Alter von 91`.",
    "age_of alter_von",
)
DEATH_VERBS = Table("Verbs before `at 84` that make the number an age: `dies at 84`.", "dies died dead")
RANGE_WORDS = Table("Words between the two ends of a range: `60 bis 80`, `10 to 20`.", "bis und to and")
PAIRED_RANGE_WORDS = Table("Range words that need `zwischen`/`between` before the first end.", "und and")
MONEY_LINKS = Table(
    "Words after a sum that lead to what it pays for: `£1,700 in running costs`.", "in an fuer for worth"
)
PERCENT_LINKS = Table(
    "Words after a percentage that lead to what it is of: `30 Prozent der Stimmen`.", "der des of aller all"
)
FRACTION_LINKS = Table(
    "Words after a fraction or a vague count that lead to what it counts: `zwei Drittel der Stimmen`, "
    "`two thirds of the vote`.",
    "der des of aller",
)
FRACTION_LINK_ARTICLES = Table("Articles after a fraction's link word: `two thirds of the vote`.", "the")
PERCENT_LINK_ARTICLES = Table(
    "Articles after a percentage's link word: `8% of the vote`.", "the all seiner ihrer"
)
PERCENT_PHRASES = Table(
    "Two-word units that make a figure a percentage: `20 per cent`, `0.5 percentage points`.",
    "per_cent pro_cent percentage_point percentage_points",
)
RATIO_LINKS = Table(
    "Words between the two numbers of a ratio, read as a percentage: `4 in 10 cases`, `3 von 10 "
    "Befragten`, `9 out of 10 voters`.",
    "in von out_of",
)
PLURALS_WITHOUT_S = Table(
    "English plurals that do not end in s, so that a number in words counts them: `three people`, "
    "`five children`, `two women` (nouns ending in -men are plural too: `four gunmen`).",
    "people children police personnel staff crew cattle sheep fish deer feet teeth mice geese",
)
PEOPLE_ENDINGS = Table(
    "Endings of German compounds that count people: `Bundeswehrsoldaten`, `Schwerverletzte`.",
    "soldaten verletzte tote opfer vermisste",
)
