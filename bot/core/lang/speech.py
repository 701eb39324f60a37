"""Who says what: speech verbs, role words, titles and name particles in German and English (tables read
by `core/quotes.py` through the loader in `bot.core.lang`)."""

from __future__ import annotations

from bot.core.lang import Table

SPEECH_VERBS = Table(
    "Verbs that attribute direct speech: `sagte Singh`, `Smith said`, `so Rutte`, `according to`.",
    "sagte sagten sagt sagen gesagt erklaerte erklaerten erklaert betonte betont warnte warnt "
    "meinte meint so schrieb schreibt schrieben teilte fuegte ergaenzte ergaenzt sprach spricht "
    "kritisierte kritisiert forderte fordert bekraeftigte konstatierte unterstrich versicherte "
    "raeumte erlaeuterte berichtete bestaetigte kuendigte mahnte aeusserte heisst hiess zitiert "
    "zitierte twitterte verkuendete behauptete beklagte bilanzierte resuemierte stellte erwiderte "
    "antwortete entgegnete appellierte drohte lobte klagte fragte rief beteuerte "
    "bekannte gab liess verwies wies sagend "
    "said says say told tells added adds explained explains warned warns stressed stresses noted "
    "notes wrote writes insisted insists argued argues claimed claims asked asks replied replies "
    "announced stated states declared declares commented continued concluded acknowledged admitted "
    "tweeted posted urged cautioned predicted suggested emphasised emphasized confirmed maintained "
    "recalled observed remarked according testified conceded vowed pledged boasted complained saying "
    "adding writing noting warning telling",
)
LISTENER_VERBS = Table(
    "Speech verbs whose object is the listener, not the speaker: `…,” Peter McCrory tells TIME`, `told "
    "Reuters`.",
    "told tells telling",
)
ROLE_STEMS_DE = Table(
    "German role stems found inside a capitalised word: `Pentagon-Sprecherin`, `Bundeskanzler`.",
    "sprecher praesident minister kanzler chef sekretaer direktor leiter vorsitzend botschafter general "
    "kommandeur buergermeister abgeordnet experte expertin analyst oekonom forscher professor vorstand "
    "gruender manager berater beauftragt richter anwalt kommissar premier koenig papst trainer kapitaen "
    "senator gouverneur offizier polizist aerzt arzt diplomat vize staatschef journalist reporter autor "
    "mitglied oberhaupt",
)
ROLE_WORDS_EN = Table(
    "English role nouns: `the governor, Andrew Bailey`, `spokeswoman Jane Doe`, `a Pentagon official`.",
    "spokesman spokeswoman spokesperson president secretary chief director head leader chairman "
    "chairwoman chair ceo cfo coo executive analyst economist professor ambassador official mayor "
    "governor senator minister commander founder officer lawyer attorney judge researcher scientist "
    "expert adviser advisor representative manager editor correspondent premier chancellor spokesmen "
    "officials boss coach envoy diplomat negotiator prosecutor commissioner lawmaker legislator inspector "
    "author historian writer journalist activist winner laureate",
)
ROLE_MODIFIERS_EN = Table(
    "English words that belong to a role before its noun: `deputy press secretary`, `prime minister`.",
    "deputy senior press vice corporate former foreign prime defence defense interior finance state "
    "general executive chief assistant acting principal managing national security top lead",
)
ROLE_LINKS = Table(
    "Words that join a role to what it is of, before a capitalised word: `Secretary of State`, "
    "`Minister für Bildung`.",
    "of for fuer",
)
ROLES_EVERY_LANGUAGE = Table("Role words that are the same in German text: `CEO`.", "ceo cfo coo")
SPEECH_DETERMINERS = Table(
    "Articles and possessives before a speaker's role: `der Staatschef`, `the company's chief`.",
    "der die das des dem den ein eine einer eines einem the a an its his her their",
)
INDEFINITE = Table(
    "Indefinite articles: `sagte eine Sprecherin` names nobody, so no earlier person is the speaker.",
    "ein eine einer eines einem a an",
)
PRONOUNS = Table("Pronouns that refer a quote back to the person named before: `warnte er`.", "er sie he she")
POSSESSIVES = Table(
    "Possessives before a relation noun: `his wife, Jane Doe,` names Jane Doe.",
    "his her their seine ihre ihr sein",
)
COMPLEMENTISERS = Table(
    "Words that introduce reported speech at the end of a sentence before a quote: `said … that „…“`.",
    "that dass",
)
RELATIVE = Table(
    "Relative pronouns between a name and its speech verb: `Randy Fine, who said`.",
    "who der die welcher welche",
)
NAME_PARTICLES = Table(
    "Lower-case words inside a name: `Ursula von der Leyen`, `Recep bin Ali`.",
    "von van de der den da di du la le al bin ibn ben dos del zu",
)
HONORIFICS = Table(
    "Titles before a name that are not part of it: `Dr.`, `Mr`, `Frau`.",
    "mr mrs ms dr prof herr frau sir dame lord",
)
NOT_NAMES = Table(
    "Capitalised words that are never a person's name: months, weekdays, outlets credited in copy.",
    "montag dienstag mittwoch donnerstag freitag samstag sonntag monday tuesday wednesday thursday "
    "friday saturday sunday januar februar maerz april mai juni juli august september oktober november "
    "dezember january february march june july october december bbc reuters ap afp dpa cnn kna epd sid "
    "im am in on at",
)
NAME_STARTERS = Table(
    "Capitalised sentence openers that are not a first name: `But Rubio`, `Nach Scholz`.",
    "but and or when as if after while in on at for with by from to of so then yet though although "
    "because since before during under over about against despite asked unlike like aber und oder als "
    "wenn wie nach bei mit von fuer auch doch dann da nun trotz gegen laut im am",
)
ROLE_GROUP_HEAD = Table(
    "Roles that name the same office: a later `der Staatschef` refers to an earlier `Präsident …`.",
    "praesident staatschef regierungschef kanzler premier staatsoberhaupt president chancellor leader",
)
ROLE_GROUP_SPOKESPERSON = Table(
    "Roles that name a spokesperson: `Sprecherin`, `spokeswoman`.",
    "sprecher sprecherin spokesman spokeswoman spokesperson",
)
ROLE_GROUP_CHIEF = Table(
    "Roles that name the head of an organisation: `Chefin`, `chief executive`, `director`.",
    "chef chefin leiter leiterin vorsitzend direktor generalsekretaer ceo chief head director "
    "chairman secretary",
)
