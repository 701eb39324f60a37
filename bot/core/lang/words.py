"""Function words and the words of news furniture, in German and English: the one stop-word source of the
core (read through the loader in `bot.core.lang` by text, matching, names, feedback, keypoints, stories)."""

from __future__ import annotations

from bot.core.lang import Table

CORE_STOP_WORDS = Table(
    "Articles, prepositions and auxiliaries: too common to count anywhere, even among a headline's words.",
    "der die das und oder ein eine einer eines dem den des in im auf aus mit von vom zu zum zur fuer "
    "ueber nach bei als wie ist sind war hat haben wird werden sich nicht auch noch the a an of to in on "
    "for with from by at and or is are was were has have had be it its as this that",
)
MORE_STOP_WORDS = Table(
    "More function words (pronouns, conjunctions, modal verbs, particles): with the core ones, the stop "
    "words, never a name, a topic or evidence.",
    "einem einen aber waren am unter vor so es er sie wir ihr ich du man wurde sein nur schon dass ob "
    "wenn doch mehr sehr bis durch gegen ohne um diese dieser dieses jetzt hier dort da wo but been being "
    "not these those he she we they you i his her their our your do does did will would can could should "
    "may might must than then there here what which who whom whose when where why how all any some no nor "
    "too very just also into over under",
)
STORY_NEUTRAL_WORDS = Table(
    "Words besides the stop words that say nothing about which story an entry reports: more function "
    "words, reporting verbs, days and spans, and the furniture of news pages (`liveblog`, `update`).",
    "about above after again against almost although another around back because before below between "
    "both doing done down during each either else even ever every few first further get gets got having "
    "hers him however if itself last least less like made make many me more most much my near neither "
    "never new next now off often once one only other out own per perhaps put rather really s said same "
    "say says see seen set several since still such them though through thus two until up upon us via "
    "well whether while within without yet yours ago amid among despite including later told according "
    "already news day days week weeks today yesterday tomorrow year years time times report reports "
    "reported latest breaking live liveblog ticker blog update updates video videos watch photos photo "
    "picture pictures podcast newsletter briefing morning evening night analysis opinion explainer "
    "roundup wrap look read alle allem allen aller alles ander andere anderen beim bereits bin bisher "
    "bist dabei dadurch daher damit dann darauf darum dein deine denn deshalb dessen dies diesem diesen "
    "einige einigen etwa euch euer gewesen hab habe hatte hatten hin hinter ihm ihn ihnen ihre ihrem "
    "ihren ihrer immer ins ja jede jedem jeden jeder jedes jedoch kann kein keine keinem keinen keiner "
    "koennen konnte kuenftig manche mein meine muss nichts nun sei seid seine seinem seinen seiner seit "
    "solche soll sollen sollte sondern sowie uns unser waehrend warum weil weiter weitere welche welchem "
    "welchen welcher wer werde wieder wurden zwar zwei zwischen sagte sagt sagten laut heute gestern "
    "morgen abend nacht woche wochen jahr jahre jahren tag tage tagen uhr neue neuen neuer neues erste "
    "ersten lage ueberblick aktuell nachrichten meldung meldungen newsblog liveticker live-blog bericht "
    "berichte berichten berichtet offenbar muessen wuerde wuerden waere haette koennte koennten duerfen "
    "moechte",
)
GERMAN_MARKERS = Table(
    "Common German function words whose share tells a German text from an English one.",
    "der die das und ist nicht mit von den dem des ein eine einer eines sich auf für wird wurde "
    "sind hat haben auch als nach bei aus zum zur über dass sagte werden noch wie",
)
ENGLISH_MARKERS = Table(
    "Common English function words whose share tells an English text from a German one.",
    "the and is are was were not with from that this have has had for of to in on said would "
    "will its their which been by an",
)
GERMAN_FUNCTION_WORDS_ALSO_NAMES = Table(
    "German function words that are nouns or names in English: a topic may be one of them alone "
    "(`war`, `Hat`), and then it does not meet the function word in a German article (`Er war da`).",
    "war hat man die",
)
ENGLISH_FUNCTION_WORDS_ALSO_NAMES = Table(
    "English function words that are names or nouns in German: a topic `May` or `Will` does not meet "
    "`may` in an English article unless both are capitalised (`Theresa May`).",
    "all may will",
)
ABBREVIATIONS = Table(
    "Abbreviations and initials whose full stop ends no sentence (`Dr.`, `Nr.`, `z. B.`, `U.S.`).",
    "dr prof nr st bzw ca vgl z b u a etc usw mio mrd tsd mr mrs ms jr sr inc ltd co corp no vs "
    "jan feb mar apr jun jul aug sep sept oct okt nov dec dez gen lt col sgt rep sen gov u.s",
)
