"""The attribution next to a quote: speech verbs and the noun phrase of who spoke, in German and English.

`sagte die stellvertretende Pentagon-Sprecherin Sabrina Singh`, `so Rutte`, `Bundeskanzler Scholz:`,
`"…," Smith said`, `according to …`; every look-around is bounded by the words of one sentence.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

from bot.core import lang as lang_data
from bot.core.folding import fold_cached
from bot.core.text import WORD

_INITIAL = re.compile(r"[^\W\d_]\.[ \u00a0][^\W\d_]")

_TOKEN = re.compile(rf"{WORD}|[,:;.!?()–—]")

_t = lang_data.table


_SPEECH_VERBS = _t("speech_verbs")

DETERMINERS = _t("speech_determiners")

INDEFINITE = _t("indefinite")

PRONOUNS = _t("pronouns")

PARTICLES = _t("name_particles")

HONORIFICS = _t("honorifics")

ROLE_WORDS_EN = _t("role_words_en")

_ROLE_MODIFIERS_EN = _t("role_modifiers_en")

ROLE_RE = re.compile("|".join(re.escape(s) for s in sorted(_t("role_stems_de"))))

NOT_NAMES = _t("not_names")

_DE_ADJECTIVE = re.compile(r"[a-zäöüß]+(?:e|en|er|es|em)")

_NUMBER_BEFORE = re.compile(r"(?<![\w-])\d+-\Z")  # the digits of a compound the tokens skip: `85-year-old`


@dataclass(slots=True)
class Attribution:
    name: str | None
    role: str | None
    pronoun: bool = False
    definite_role: bool = False
    pos: int = 0


_GROUP = operator.methodcaller("group")

_START = operator.methodcaller("start")

_END = operator.methodcaller("end")


def speech_tokens(s: str, base: int) -> list[tuple[str, int, int]]:
    """Words and punctuation of `s` with offsets (plus `base`); the full stop after a title (`Dr.`) is
    dropped and an initial keeps its own (`Anna M. Schmidt`), so neither ends a name."""
    matches = list(_TOKEN.finditer(s))
    shift = base.__add__  # (word, start, end) tuples made in C: this runs over every quote's context
    starts = map(shift, map(_START, matches))
    out = list(zip(map(_GROUP, matches), starts, map(shift, map(_END, matches)), strict=True))
    stops = [i for i, t in enumerate(out) if t[0] == "."] if "." in s else []
    if not stops:
        return out
    dropped: set[int] = set()
    for i in stops:
        if i == 0:
            continue
        word, start, _ = out[i - 1]
        if word.lower() in HONORIFICS:
            dropped.add(i)
        elif len(word) == 1 and word.isupper() and _INITIAL.match(s, start - base):
            out[i - 1] = (word + ".", start, out[i][2])
            dropped.add(i)
    return [t for i, t in enumerate(out) if i not in dropped] if dropped else out


@functools.lru_cache(maxsize=65536)
def is_role(word: str, lang: str) -> bool:
    lower = fold_cached(word)
    if lower in ROLE_WORDS_EN and (lang == "en" or lower in _t("roles_every_language")):
        return True
    return (bool(word[:1].isupper() and ROLE_RE.search(lower)) and lang != "en") or (
        lang == "en" and "-" in lower and lower.rsplit("-", 1)[-1] in ROLE_WORDS_EN
    )


def is_capitalised(word: str) -> bool:
    return word[:1].isupper()  # only a cased letter is upper case


def is_speech_verb(word: str) -> bool:
    folded = fold_cached(word)
    return folded in _SPEECH_VERBS and (word[:1].islower() or folded == "according")


def noun_phrase(
    tokens: list[tuple[str, int, int]], k: int, lang: str, text: str
) -> tuple[Attribution | None, int]:
    """A noun phrase naming a speaker, read forward from token k: (attribution, index after it)."""
    n = len(tokens)
    if k >= n:
        return None, k
    first = tokens[k][0]
    if fold_cached(first) in PRONOUNS:
        return Attribution(None, None, pronoun=True, pos=tokens[k][1]), k + 1
    determiner = None
    if fold_cached(first) in DETERMINERS:
        determiner = fold_cached(first)
        k += 1
    taken, linked, j = _phrase_words(tokens, k, lang)
    if not taken:
        return None, j
    last_role = max((i for i, t in enumerate(taken) if is_role(t[0], lang)), default=linked)
    last_role = max(last_role, linked)
    name_tokens = [t for t in taken[last_role + 1 :] if is_capitalised(t[0]) or t[0].lower() in PARTICLES]
    role_tokens = taken[: last_role + 1]
    name = " ".join(t[0] for t in name_tokens[:4]) or None
    role = None
    if role_tokens:
        start = role_tokens[0][1]
        number = _NUMBER_BEFORE.search(text, max(0, start - 12), start)
        role = text[number.start() if number else start : role_tokens[-1][2]]  # `85-year-old …`
    if role and lang != "en":
        role = _role_without_article(role, determiner)
    if name and any(t[0].endswith(("'s", "’s")) for t in name_tokens[:4]):
        # "Narendra Modi's government said", "President Donald Trump’s Gaza plan": not the person
        name = None
    if determiner and not role_tokens:
        return None, j  # "die Polizei", "the suit", "the BBC": not a person
    if name_tokens and len(name_tokens) != len(taken) - len(role_tokens):
        name = None  # lower-case words among the "name": not a name
    if name and not role:
        role = _appositive_role(tokens, j, lang, text)
    elif role and not name:
        name, j = _appositive_name(tokens, j)
    return Attribution(
        name,
        role,
        definite_role=determiner is not None and determiner not in INDEFINITE,
        pos=tokens[k][1] if k < n else 0,
    ), j


def _phrase_words(
    tokens: list[tuple[str, int, int]], k: int, lang: str
) -> tuple[list[tuple[str, int, int]], int, int]:
    """The words of a speaker's noun phrase from token k: roles, names, particles and the words that
    lead to a role; and the last word of a role joined by `of` (-1 for none) and the index after it."""
    n = len(tokens)
    j = k
    taken: list[tuple[str, int, int]] = []
    linked = -1  # the last word of a role joined by `of` (`Secretary of State`)
    while j < n and len(taken) < 8:
        word = tokens[j][0]
        if not word[:1].isalpha():
            break
        low = word.lower()
        if low in HONORIFICS:
            j += 1
            continue
        if _role_link(tokens, j, taken, lang):
            taken += tokens[j : j + 2]
            linked = len(taken) - 1
            j += 2
            continue
        if is_capitalised(word) or is_role(word, lang):
            if fold_cached(word) in NOT_NAMES:
                break
        elif not _leads_on(tokens, j, taken, lang):
            break
        taken.append(tokens[j])
        j += 1
    return taken, linked, j


def _leads_on(
    tokens: list[tuple[str, int, int]], j: int, taken: list[tuple[str, int, int]], lang: str
) -> bool:
    """A lower-case word inside a speaker's phrase: a name particle before a name (`von der Leyen`), an
    English role modifier, a German adjective before a capitalised word, a possessive, or a word a
    role follows."""
    word = tokens[j][0]
    low = word.lower()
    if (low in PARTICLES and taken and j + 1 < len(tokens) and is_capitalised(tokens[j + 1][0])) or (
        lang == "en" and low in _ROLE_MODIFIERS_EN
    ):
        return True
    if lang != "en" and _DE_ADJECTIVE.fullmatch(word) and not is_speech_verb(word):
        return any(is_capitalised(t[0]) for t in tokens[j + 1 : j + 3])
    return low.endswith("'s") or low.endswith("’s") or (lang == "en" and _before_role(tokens, j, lang))


def _appositive_role(tokens: list[tuple[str, int, int]], j: int, lang: str, text: str) -> str | None:
    """A role after the name and a comma: "said Yusuf Mehdi, corporate vice president at Microsoft"."""
    n = len(tokens)
    if not (j + 1 < n and tokens[j][0] == ","):
        return None
    end = j + 1
    while end < n and end - j < 15 and tokens[end][0] not in ",;:.!?()–—":
        end += 1
    phrase = tokens[j + 1 : end]
    if phrase and any(is_role(t[0], lang) or is_role(t[0], "de") for t in phrase):
        return text[phrase[0][1] : phrase[-1][2]]
    return None


def _appositive_name(tokens: list[tuple[str, int, int]], j: int) -> tuple[str | None, int]:
    """A name after a role and a comma: "said the company's chief executive, John Smith"; and the
    index the phrase ends at (after the apposition's comma in `the governor, Andrew Bailey, said`)."""
    n = len(tokens)
    if not (j + 1 < n and tokens[j][0] == "," and is_capitalised(tokens[j + 1][0])):
        return None, j
    names: list[str] = []
    m = j + 1
    while m < n and is_capitalised(tokens[m][0]) and len(names) < 4:
        names.append(tokens[m][0])
        m += 1
    if m < n and tokens[m][0] not in ",.;":
        return None, j
    if m < n and tokens[m][0] == ",":
        j = m + 1  # `the governor, Andrew Bailey, said`: the verb follows the apposition
    return " ".join(names), j


def _verb_after_apposition(tokens: list[tuple[str, int, int]], stop: int, text: str) -> bool:
    """A comma after the name, then within a short apposition a comma and a speech verb."""
    if stop >= len(tokens) or tokens[stop][0] != ",":
        return False
    for k in range(stop + 1, min(len(tokens) - 1, stop + 20)):
        word, _, end = tokens[k]
        if word in "!?;:()–—" or (word == "." and text[end : end + 1].isspace() and tokens[k + 1][0] != ","):
            return False  # the sentence (or the apposition) ended without a verb
        if word == ",":
            return is_speech_verb(tokens[k + 1][0])
    return False


def _role_link(
    tokens: list[tuple[str, int, int]], j: int, taken: list[tuple[str, int, int]], lang: str
) -> bool:
    """`of` after a role and before a capitalised word: `Secretary of State Marco Rubio`; or, where
    the role is written in lower case, before a lower-case word that is no verb or article: `the
    former US secretary of state says`."""
    if not (
        taken
        and fold_cached(tokens[j][0]) in _ROLE_LINKS
        and is_role(taken[-1][0], lang)
        and j + 2 < len(tokens)
    ):
        return False
    linked = tokens[j + 1][0]
    if is_capitalised(linked):
        return True
    return (
        not is_capitalised(taken[-1][0])
        and linked.isalpha()
        and not is_speech_verb(linked)
        and fold_cached(linked) not in DETERMINERS
        and fold_cached(linked) not in PRONOUNS
    )


def _before_role(tokens: list[tuple[str, int, int]], j: int, lang: str) -> bool:
    """A lower-case English word that a role noun follows within the phrase: `tech` in `the European
    Commission’s tech chief`, `year-old` in `the 85-year-old Nobel Peace Prize winner`."""
    if is_speech_verb(tokens[j][0]):
        return False  # `Marco Rubio told Hungarian Prime Minister …`: the verb ends the phrase
    for word, _, _ in tokens[j + 1 : j + 5]:
        if is_role(word, lang):
            return True
        if not word[:1].isalpha():
            return False
    return False


def _role_without_article(role: str, determiner: str | None) -> str:
    """A German role as it reads after the name, without its article: `der neue NATO-Chef` is
    `Mark Rutte, neuer NATO-Chef`, `das neue Mitglied` `neues Mitglied`; feminine and plural
    forms (`die stellvertretende Sprecherin`) stay as they are."""
    ending = {"der": "r", "das": "s"}.get(determiner or "")
    first, space, rest = role.partition(" ")
    if (
        ending
        and space
        and first.endswith("e")
        and _DE_ADJECTIVE.fullmatch(first)
        and not is_speech_verb(first)
    ):
        return first + ending + space + rest
    return role


def _np_backward(tokens: list[tuple[str, int, int]], end: int, lang: str, text: str) -> Attribution | None:
    """The noun phrase that ends just before token `end` (the subject of `Smith said`)."""
    k = end
    while k > 0 and end - k < 9:
        word = tokens[k - 1][0]
        low = word.lower()
        if not word[:1].isalpha():
            break
        if not (
            is_capitalised(word)
            or is_role(word, lang)
            or low in DETERMINERS
            or low in PRONOUNS
            or low in PARTICLES
            or low in HONORIFICS
            or (lang == "en" and low in _ROLE_MODIFIERS_EN)
            or (lang != "en" and _DE_ADJECTIVE.fullmatch(word) is not None)
            or low.endswith("'s")
            or low.endswith("’s")
        ):
            break
        k -= 1
        if low in DETERMINERS or low in PRONOUNS:
            break
    if k == end:
        return None
    attribution, stop = noun_phrase(tokens[:end], k, lang, text)
    return attribution if stop == end or attribution is None or attribution.pronoun else None


def after_attribution(tokens: list[tuple[str, int, int]], lang: str, text: str) -> Attribution | None:
    if not tokens:
        return None
    i = 1 if tokens[0][0] == "," else 0
    if i < len(tokens) and tokens[i][0] in ".!?":
        return None  # the sentence ended with the quote
    if i < len(tokens) and is_speech_verb(tokens[i][0]) and not _to_listener(tokens[i][0]):
        k = i + 1
        if fold_cached(tokens[i][0]) == "according" and k < len(tokens) and tokens[k][0] == "to":
            k += 1
        found, _ = noun_phrase(tokens, k, lang, text)
        if found:
            return found
    subject, stop = noun_phrase(tokens, i, lang, text)
    if subject and stop < len(tokens) and is_speech_verb(tokens[stop][0]):
        return subject
    if subject and subject.name and _verb_after_apposition(tokens, stop, text):
        return subject  # `Mark Clifford, president of the … Foundation in the U.S., told TIME`
    return _sentence_final(tokens, i, lang, text)


def _sentence_final(tokens: list[tuple[str, int, int]], i: int, lang: str, text: str) -> Attribution | None:
    """An attribution at the end of the quote's sentence, after a comma: `…"Verluste" erlitten hätten,
    sagte Singh.` / `…, Smith said.`"""
    for j in range(len(tokens) - 1, i, -1):
        if tokens[j][0] != "," or j + 1 >= len(tokens):
            continue
        if is_speech_verb(tokens[j + 1][0]) and not _to_listener(tokens[j + 1][0]):
            found, stop = noun_phrase(tokens, j + 2, lang, text)
            if found and (stop >= len(tokens) or tokens[stop][0] in ".!?,"):
                return found
        subject, stop = noun_phrase(tokens, j + 1, lang, text)
        if subject and stop < len(tokens) and is_speech_verb(tokens[stop][0]):
            return subject
        if subject and subject.name and _verb_after_apposition(tokens, stop, text):
            return subject  # `…, Peter McCrory, Anthropic’s head of economics, tells TIME.`
    return None


def _to_listener(verb: str) -> bool:
    """Whether the verb's object is whom the speaker spoke to (`tells TIME`), not the speaker."""
    return fold_cached(verb) in _t("listener_verbs")


def before_attribution(tokens: list[tuple[str, int, int]], lang: str, text: str) -> Attribution | None:
    if not tokens:
        return None
    end = len(tokens)
    if tokens[-1][0] in ":,":
        end -= 1
    colon = tokens[-1][0] == ":"
    verbs = [j for j in range(max(0, end - 10), end) if is_speech_verb(tokens[j][0])]
    for j in reversed(verbs):
        found = _at_verb_before(tokens, j, end, colon, lang, text)
        if found:
            return found
    if colon and not verbs:
        return _np_backward(tokens, end, lang, text)
    for j, token in enumerate(tokens[:end]):
        if fold_cached(token[0]) == "laut":
            found, _ = noun_phrase(tokens, j + 1, lang, text)
            if found and found.name:
                return found
    return None


def _at_verb_before(
    tokens: list[tuple[str, int, int]], j: int, end: int, colon: bool, lang: str, text: str
) -> Attribution | None:
    """The speaker a speech verb at token j names before a quote: `according to X`, the subject before
    the verb (`Randy Fine, who said`) or the phrase after it (`sagte Singh: „…“`)."""
    if fold_cached(tokens[j][0]) == "according":
        return noun_phrase(tokens, j + 2, lang, text)[0]
    that = fold_cached(tokens[end - 1][0]) in _t("complementisers") and end - j <= 6
    if not colon and end - j > 3 and not that:
        return None  # `Rutte sprach von "…"` yes; a verb far from the quote no, unless `said … that "…"`
    back = j - 1 if j > 1 and fold_cached(tokens[j - 1][0]) in _RELATIVE else j  # `Randy Fine, who said`
    subject = _np_backward(tokens, back, lang, text)
    if subject is None and back != j and tokens[back - 1][0] == ",":
        subject = _np_backward(tokens, back - 1, lang, text)
    if subject:
        return subject
    found, _ = noun_phrase(tokens, j + 1, lang, text)
    return found if found and (found.name or found.pronoun or found.role) else None


_RELATIVE = _t("relative")

_ROLE_LINKS = _t("role_links")
