"""Direct quotations with their speaker and role, in German and English news text.

Quotation marks: „…“ „…” »…« «…» ‚…‘ "…" “…” ‘…’, nested one level deep; quotes may span sentences,
and a quote split by its attribution (`"…", sagte Rutte. "…"`) is joined into one. The speaker comes
from speech verbs and name patterns next to the quote (`sagte die stellvertretende Pentagon-Sprecherin
Sabrina Singh`, `so Rutte`, `Bundeskanzler Scholz: "…"`, `"…," Smith said`, `according to …`); a pronoun
or a bare role (`warnte er`, `konstatierte der Staatschef`) refers back to a person the text named.

Only quotation marks are visited and every look-around is bounded, so time is linear in the text length.
"""

from __future__ import annotations

import functools
import operator
import re
from bisect import bisect_left
from dataclasses import dataclass, field

from bot.core import lang as lang_data
from bot.core.folding import fold
from bot.core.text import WORD
from bot.model import Quote

_MARKS = re.compile(r"[„“”\"»«‚‘’'\n]")
_MAX_QUOTE = 3000  # longer "quotes" are unbalanced marks, not quotations
_CONTEXT = 300  # characters of attribution context looked at on either side
# a full stop ends a sentence unless it ends an initial (`Anna M. Schmidt`)
_SENTENCE_END = re.compile(r"(?<![\s(][^\W\d_])[.!?](?=\s|$)|[!?](?=\s|$)|\n")
_BLANK = re.compile(r"[\n \t]*")
_AFTER_COLON = re.compile(r":[ \t]+([^\W\d_][\w-]*)")
_INITIAL = re.compile(r"[^\W\d_]\.[ \u00a0][^\W\d_]")
_TOKEN = re.compile(rf"{WORD}|[,:;.!?()–—]")

_t = lang_data.table
_fold = functools.lru_cache(maxsize=65536)(fold)  # the same words recur across a text
_SPEECH_VERBS = _t("speech_verbs")
_DETERMINERS = _t("speech_determiners")
_INDEFINITE = _t("indefinite")
_PRONOUNS = _t("pronouns")
_PARTICLES = _t("name_particles")
_HONORIFICS = _t("honorifics")
_ROLE_WORDS_EN = _t("role_words_en")
_ROLE_MODIFIERS_EN = _t("role_modifiers_en")
_ROLE_RE = re.compile("|".join(re.escape(s) for s in sorted(_t("role_stems_de"))))
_NOT_NAMES = _t("not_names")
_DE_ADJECTIVE = re.compile(r"[a-zäöüß]+(?:e|en|er|es|em)")


@dataclass(slots=True)
class _Span:
    open_mark: int  # offset of the opening mark
    start: int  # first character of the quoted words
    end: int  # offset of the closing mark (or paragraph end)
    parts: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class _Person:
    name: str
    pos: int
    roles: tuple[str, ...]
    subject: bool = False  # named at the head of its sentence: what a later "he said" refers to


@dataclass(slots=True)
class _Attribution:
    name: str | None
    role: str | None
    pronoun: bool = False
    definite_role: bool = False
    pos: int = 0


def _closers(opener: str) -> str:
    return {"„": "“”", "»": "«", "«": "»", "‚": "‘’", "“": "”", "‘": "’", '"': '"', "'": "'"}[opener]


def _is_opening(text: str, i: int, ch: str) -> bool:
    prev = text[i - 1] if i else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if nxt.isspace():
        return False
    if ch in "„»«‚":
        return True
    if ch in "“‘\"'":
        return prev.isspace() or prev in "([{—–-:/|…" or i == 0 or prev in '„»«‚“‘"'
    return False


def _is_closing(text: str, i: int, ch: str) -> bool:
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if ch in "’'" and nxt.isalpha():
        return False  # an apostrophe: don’t, Putin’s
    return not (ch == '"' and nxt.isalnum() and text[i - 1 : i].isspace())


def _scan(text: str) -> list[_Span]:
    """Top-level quotation spans; inner quotes stay inside their outer quote's text."""
    spans: list[_Span] = []
    stack: list[tuple[str, int]] = []
    for match in _MARKS.finditer(text):
        i, ch = match.start(), match.group(0)
        if stack and i - stack[0][1] > _MAX_QUOTE:
            stack.clear()
        if ch == "\n":
            if stack:
                opener, pos = stack[0]
                after = _BLANK.match(text, i + 1)
                following = text[after.end() : after.end() + 1] if after else ""
                # runs on: the next paragraph opens it again, and it stood alone or after `said:`
                introduced = pos == 0 or text[pos - 1] == "\n" or text[max(0, pos - 2) : pos].strip() == ":"
                if following == opener and introduced and i - pos > 1:
                    spans.append(_Span(pos, pos + 1, i))
                stack.clear()
            continue
        if stack and ch in _closers(stack[-1][0]) and _is_closing(text, i, ch):
            opener, pos = stack.pop()
            if not stack and i - pos > 1:
                spans.append(_Span(pos, pos + 1, i))
            continue
        if len(stack) < 2 and _is_opening(text, i, ch):
            if ch in "‘’" and not stack and not (i == 0 or text[i - 1] == "\n" or text[i - 2 : i] == ": "):
                continue  # single quotes at top level are apostrophes unless they open speech after `:`
            if ch == "'" and (stack or not (i == 0 or text[i - 1] == "\n")):
                continue  # a typewriter single quote opens only a line (a headline): elsewhere `'90s`, `'tis`
            stack.append((ch, i))
    return spans


def _sentence_bounds(masked: str, start: int, end: int) -> tuple[int, int]:
    lo = max(0, start - _CONTEXT)
    window = masked[lo:start]
    cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "), window.rfind("\n"))
    sent_start = lo + cut + 1 if cut >= 0 else lo
    after = _SENTENCE_END.search(masked, end + 1, min(len(masked), end + 1 + _CONTEXT))
    sent_end = after.end() if after else min(len(masked), end + 1 + _CONTEXT)
    return sent_start, sent_end


_GROUP = operator.methodcaller("group")
_START = operator.methodcaller("start")
_END = operator.methodcaller("end")


def _tokens(s: str, base: int) -> list[tuple[str, int, int]]:
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
        if word.lower() in _HONORIFICS:
            dropped.add(i)
        elif len(word) == 1 and word.isupper() and _INITIAL.match(s, start - base):
            out[i - 1] = (word + ".", start, out[i][2])
            dropped.add(i)
    return [t for i, t in enumerate(out) if i not in dropped] if dropped else out


@functools.lru_cache(maxsize=65536)
def _is_role(word: str, lang: str) -> bool:
    lower = _fold(word)
    if lower in _ROLE_WORDS_EN and (lang == "en" or lower in _t("roles_every_language")):
        return True
    return (bool(word[:1].isupper() and _ROLE_RE.search(lower)) and lang != "en") or (
        lang == "en" and "-" in lower and lower.rsplit("-", 1)[-1] in _ROLE_WORDS_EN
    )


def _is_cap(word: str) -> bool:
    return word[:1].isupper()  # only a cased letter is upper case


def _is_verb(word: str) -> bool:
    folded = _fold(word)
    return folded in _SPEECH_VERBS and (word[:1].islower() or folded == "according")


def _np(tokens: list[tuple[str, int, int]], k: int, lang: str, text: str) -> tuple[_Attribution | None, int]:
    """A noun phrase naming a speaker, read forward from token k: (attribution, index after it)."""
    n = len(tokens)
    if k >= n:
        return None, k
    first = tokens[k][0]
    if _fold(first) in _PRONOUNS:
        return _Attribution(None, None, pronoun=True, pos=tokens[k][1]), k + 1
    determiner = None
    if _fold(first) in _DETERMINERS:
        determiner = _fold(first)
        k += 1
    j = k
    taken: list[tuple[str, int, int]] = []
    while j < n and len(taken) < 8:
        word = tokens[j][0]
        if not word[:1].isalpha():
            break
        low = word.lower()
        if low in _HONORIFICS:
            j += 1
            continue
        if _is_cap(word) or _is_role(word, lang):
            if _fold(word) in _NOT_NAMES:
                break
            taken.append(tokens[j])
        elif (low in _PARTICLES and taken and j + 1 < n and _is_cap(tokens[j + 1][0])) or (
            lang == "en" and low in _ROLE_MODIFIERS_EN
        ):
            taken.append(tokens[j])
        elif lang != "en" and _DE_ADJECTIVE.fullmatch(word) and not _is_verb(word):
            if not any(_is_cap(t[0]) for t in tokens[j + 1 : j + 3]):
                break
            taken.append(tokens[j])
        elif low.endswith("'s") or low.endswith("’s"):
            taken.append(tokens[j])
        else:
            break
        j += 1
    if not taken:
        return None, j
    last_role = max((i for i, t in enumerate(taken) if _is_role(t[0], lang)), default=-1)
    name_tokens = [t for t in taken[last_role + 1 :] if _is_cap(t[0]) or t[0].lower() in _PARTICLES]
    role_tokens = taken[: last_role + 1]
    name = " ".join(t[0] for t in name_tokens[:4]) or None
    role = text[role_tokens[0][1] : role_tokens[-1][2]] if role_tokens else None
    if role and lang != "en":
        role = _role_without_article(role, determiner)
    if name and (name.endswith("'s") or name.endswith("’s")):
        name = None  # "Narendra Modi's government said": the speaker is not Modi
    if determiner and not role_tokens:
        return None, j  # "die Polizei", "the suit", "the BBC": not a person
    if name_tokens and len(name_tokens) != len(taken) - len(role_tokens):
        name = None  # lower-case words among the "name": not a name
    # an appositive role: "said Yusuf Mehdi, corporate vice president at Microsoft's MSN division"
    if name and not role and j + 1 < n and tokens[j][0] == ",":
        end = j + 1
        while end < n and end - j < 15 and tokens[end][0] not in ",;:.!?()–—":
            end += 1
        phrase = tokens[j + 1 : end]
        if phrase and any(_is_role(t[0], lang) or _is_role(t[0], "de") for t in phrase):
            role = text[phrase[0][1] : phrase[-1][2]]
    # a role, then the name after a comma: "said the company's chief executive, John Smith"
    if role and not name and j + 1 < n and tokens[j][0] == "," and _is_cap(tokens[j + 1][0]):
        names: list[str] = []
        m = j + 1
        while m < n and _is_cap(tokens[m][0]) and len(names) < 4:
            names.append(tokens[m][0])
            m += 1
        if m >= n or tokens[m][0] in ",.;":
            name = " ".join(names)
            if m < n and tokens[m][0] == ",":
                j = m + 1  # `the governor, Andrew Bailey, said`: the verb follows the apposition
    return _Attribution(
        name,
        role,
        definite_role=determiner is not None and determiner not in _INDEFINITE,
        pos=tokens[k][1] if k < n else 0,
    ), j


def _role_without_article(role: str, determiner: str | None) -> str:
    """A German role as it reads after the name, without its article: `der neue NATO-Chef` is
    `Mark Rutte, neuer NATO-Chef`, `das neue Mitglied` `neues Mitglied`; feminine and plural
    forms (`die stellvertretende Sprecherin`) stay as they are."""
    ending = {"der": "r", "das": "s"}.get(determiner or "")
    first, space, rest = role.partition(" ")
    if ending and space and first.endswith("e") and _DE_ADJECTIVE.fullmatch(first) and not _is_verb(first):
        return first + ending + space + rest
    return role


def _np_backward(tokens: list[tuple[str, int, int]], end: int, lang: str, text: str) -> _Attribution | None:
    """The noun phrase that ends just before token `end` (the subject of `Smith said`)."""
    k = end
    while k > 0 and end - k < 9:
        word = tokens[k - 1][0]
        low = word.lower()
        if not word[:1].isalpha():
            break
        if not (
            _is_cap(word)
            or _is_role(word, lang)
            or low in _DETERMINERS
            or low in _PRONOUNS
            or low in _PARTICLES
            or low in _HONORIFICS
            or (lang == "en" and low in _ROLE_MODIFIERS_EN)
            or (lang != "en" and _DE_ADJECTIVE.fullmatch(word) is not None)
            or low.endswith("'s")
            or low.endswith("’s")
        ):
            break
        k -= 1
        if low in _DETERMINERS or low in _PRONOUNS:
            break
    if k == end:
        return None
    attribution, stop = _np(tokens[:end], k, lang, text)
    return attribution if stop == end or attribution is None or attribution.pronoun else None


def _after_attribution(tokens: list[tuple[str, int, int]], lang: str, text: str) -> _Attribution | None:
    if not tokens:
        return None
    i = 1 if tokens[0][0] == "," else 0
    if i < len(tokens) and tokens[i][0] in ".!?":
        return None  # the sentence ended with the quote
    if i < len(tokens) and _is_verb(tokens[i][0]):
        k = i + 1
        if _fold(tokens[i][0]) == "according" and k < len(tokens) and tokens[k][0] == "to":
            k += 1
        found, _ = _np(tokens, k, lang, text)
        if found:
            return found
    subject, stop = _np(tokens, i, lang, text)
    if subject and stop < len(tokens) and _is_verb(tokens[stop][0]):
        return subject
    # sentence-final attribution: `…"Verluste" erlitten hätten, sagte Singh.` / `…, Smith said.`
    for j in range(len(tokens) - 1, i, -1):
        if tokens[j][0] != "," or j + 1 >= len(tokens):
            continue
        if _is_verb(tokens[j + 1][0]):
            found, stop = _np(tokens, j + 2, lang, text)
            if found and (stop >= len(tokens) or tokens[stop][0] in ".!?,"):
                return found
        subject, stop = _np(tokens, j + 1, lang, text)
        if subject and stop < len(tokens) and _is_verb(tokens[stop][0]):
            return subject
    return None


def _before_attribution(tokens: list[tuple[str, int, int]], lang: str, text: str) -> _Attribution | None:
    if not tokens:
        return None
    end = len(tokens)
    if tokens[-1][0] in ":,":
        end -= 1
    colon = tokens[-1][0] == ":"
    verbs = [j for j in range(max(0, end - 10), end) if _is_verb(tokens[j][0])]
    for j in reversed(verbs):
        if _fold(tokens[j][0]) == "according":
            found, _ = _np(tokens, j + 2, lang, text)
            if found:
                return found
            continue
        that = _fold(tokens[end - 1][0]) in ("that", "dass") and end - j <= 6
        if not colon and end - j > 3 and not that:
            continue  # `Rutte sprach von "…"` yes; a verb far from the quote no, unless `said … that "…"`
        back = j - 1 if j > 1 and _fold(tokens[j - 1][0]) in _RELATIVE else j  # `Randy Fine, who said`
        subject = _np_backward(tokens, back, lang, text)
        if subject is None and back != j and tokens[back - 1][0] == ",":
            subject = _np_backward(tokens, back - 1, lang, text)
        if subject:
            return subject
        found, _ = _np(tokens, j + 1, lang, text)
        if found and (found.name or found.pronoun or found.role):
            return found
    if colon and not verbs:
        return _np_backward(tokens, end, lang, text)
    for j, token in enumerate(tokens[:end]):
        if _fold(token[0]) == "laut":
            found, _ = _np(tokens, j + 1, lang, text)
            if found and found.name:
                return found
    return None


def _people(text: str, tokens: list[tuple[str, int, int]], lang: str) -> list[_Person]:
    """Named people in order of mention: a role word followed by a name (`Präsident Wladimir Putin`)."""
    people: list[_Person] = []
    k = 0
    n = len(tokens)
    caps = [t[0][:1].isupper() for t in tokens]
    while k < n:
        word = tokens[k][0]
        if not caps[k] and (lang != "en" or not _is_role(word, lang)):
            k += 1  # a lower-case word starts no name and, outside English, no role
            continue
        if (
            _is_role(word, lang)
            and k + 1 < n
            and _is_cap(tokens[k + 1][0])
            and not _is_role(tokens[k + 1][0], lang)
        ):
            m = k + 1
            names: list[str] = []
            while (
                m < n
                and len(names) < 4
                and (
                    (_is_cap(tokens[m][0]) and not _is_role(tokens[m][0], lang))
                    or (tokens[m][0] in _PARTICLES and names)
                )
            ):
                names.append(tokens[m][0])
                m += 1
            names = _strip_possessive(names)
            if names and _fold(names[0]) not in _NOT_NAMES:
                roles = tuple(t[0].lower() for t in tokens[max(0, k - 2) : k + 1] if _is_role(t[0], lang))
                people.append(
                    _Person(" ".join(names), tokens[k + 1][1], roles, _heads_sentence(text, tokens, k))
                )
            k = m
            continue
        # an appositive name needs two capitalised words from here: test that before the full look
        pair = k + 1 < n and _is_cap(word) and _is_cap(tokens[k + 1][0])
        appositive = _appositive_person(tokens, k, lang) if pair else None
        if appositive is not None:
            names, role_words, m = appositive
            people.append(
                _Person(" ".join(names), tokens[k][1], role_words, _heads_sentence(text, tokens, k))
            )
            k = m
            continue
        k += 1
    return people


def _strip_possessive(names: list[str]) -> list[str]:
    """`Anil Rao’s government`: the person is Anil Rao, and the name ends there."""
    for i, word in enumerate(names):
        if word.endswith(("'s", "’s")):
            return [*names[:i], word[:-2]]
        if word.endswith(("s'", "s’")):
            return [*names[:i], word[:-1]]
    return names


_RELATIVE = _t("relative")


def _appositive_person(
    tokens: list[tuple[str, int, int]], k: int, lang: str
) -> tuple[list[str], tuple[str, ...], int] | None:
    """A name set off by commas from what the person is (`Jana Weiss, the co-founder of …`,
    `Ruden’s widow, Olga Rudena, …`): (name words, role words, index after the name)."""
    n = len(tokens)
    if k > 0 and tokens[k - 1][0][:1].isalpha() and _is_cap(tokens[k - 1][0]):
        return None  # inside a longer capitalised run
    m = k
    while m < n and m - k < 4 and _is_cap(tokens[m][0]) and not _is_role(tokens[m][0], lang):
        if _fold(tokens[m][0]) in _NOT_NAMES or _fold(tokens[m][0]) in _DETERMINERS:
            return None
        m += 1
    if m - k < 2 or m >= n or (m < n and _is_cap(tokens[m][0])):
        return None
    names = [t[0] for t in tokens[k:m]]
    if any(w.endswith(("'s", "’s", "s'", "s’")) for w in names):
        return None
    # the name, then ", the co-founder of …" / ", a spokeswoman for …"
    if tokens[m][0] == "," and m + 1 < n and _fold(tokens[m + 1][0]) in _DETERMINERS:
        words = tokens[m + 2 : m + 8]
        roles = tuple(t[0].lower() for t in words if _is_role(t[0], lang))
        if roles:
            return names, roles, m
    # "’s widow, Yulia Navalnaya," / "his wife, Jane Doe,": a relation noun, then the name
    if (
        k >= 3
        and tokens[k - 1][0] == ","
        and tokens[k - 2][0][:1].islower()
        and tokens[k - 2][0].isalpha()
        and (tokens[k - 3][0].endswith(("'s", "’s")) or _fold(tokens[k - 3][0]) in _t("possessives"))
        and tokens[m][0] in (",", ".")
    ):
        return names, (tokens[k - 2][0].lower(),), m
    return None


def _heads_sentence(text: str, tokens: list[tuple[str, int, int]], k: int) -> bool:
    """True when only capitalised words, roles and a possessive's noun stand between the sentence start
    and token k: `Lawmaker Mira Das …`, `Planning Minister Amir Khan, …`, `Ruden’s widow, Olga …`."""
    i = k - 1
    while i >= 0 and k - i <= 6:
        word = tokens[i][0]
        if word in ".!?" or text[tokens[i][2] : tokens[i + 1][1]].count("\n"):
            return True
        lower_ok = word[:1].islower() and i > 0 and tokens[i - 1][0].endswith(("'s", "’s"))
        if not (
            word == "," or _is_cap(word) or _is_role(word, "de") or lower_ok or word.endswith(("'s", "’s"))
        ):
            return False
        i -= 1
    return i < 0


@dataclass(slots=True)
class _Names:
    """What the whole text says about single words: full names (`Marco Rubio` for `Rubio`) and
    German common nouns (`die Armee`: never a person's name)."""

    full: dict[str, str]
    common: frozenset[str]


_NAME_STARTERS = _t("name_starters")
_NOT_FIRST_NAMES = _NAME_STARTERS | _DETERMINERS | _PRONOUNS | _HONORIFICS | _NOT_NAMES


def _names(text: str, tokens: list[tuple[str, int, int]], lang: str) -> _Names:
    lower = {t[0] for t in tokens if t[0][:1].islower()}
    full: dict[str, str] = {}
    common: set[str] = set()
    caps = [t[0][:1].isupper() for t in tokens]
    for i in range(1, len(tokens)):
        if not caps[i]:
            continue
        first, word = tokens[i - 1][0], tokens[i][0]
        if lang == "de" and _fold(first) in _DETERMINERS and first.lower() not in _INDEFINITE:
            common.add(word)
        if not caps[i - 1] or text[tokens[i - 1][2] : tokens[i][1]] != " ":
            continue
        surname = _strip_possessive([word])[0]
        if (
            surname in full
            or first.lower() in lower
            or _fold(first) in _NOT_FIRST_NAMES
            or _is_role(first, lang)
            or _is_role(surname, lang)
            or first.endswith(("'s", "’s", "s'", "s’"))
        ):
            continue
        full[surname] = f"{first} {surname}"
    return _Names(full, frozenset(common))


@dataclass(slots=True)
class _Index:
    """The people the text names, in order, with their offsets and their full names by surname, so
    that resolving each quote's speaker looks up instead of scanning everyone (linear in the text)."""

    people: list[_Person]
    starts: list[int]
    by_surname: dict[str, list[_Person]]

    @classmethod
    def of(cls, people: list[_Person]) -> _Index:
        by_surname: dict[str, list[_Person]] = {}
        for person in people:
            parts = person.name.split()
            if len(parts) > 1:
                by_surname.setdefault(parts[-1], []).append(person)
        return cls(people, [p.pos for p in people], by_surname)


_ROLE_LOOKBACK = 50  # people looked at when a bare role (`der Staatschef`) refers back


def _resolve(
    found: _Attribution,
    index: _Index,
    pos: int,
    last_speaker: tuple[str, int] | None,
    names: _Names | None = None,
) -> tuple[str | None, str | None]:
    """The speaker's full name where the text gave one, following pronouns and roles back."""
    role = found.role
    if found.name:
        parts = found.name.split()
        if len(parts) == 1:
            best = None
            same = index.by_surname.get(parts[0], [])
            if same:  # the next full name after the quote, else the last one before it
                at = bisect_left([p.pos for p in same], pos + 1)
                best = same[at].name if at < len(same) else same[-1].name
            if best is None and names is not None:
                if parts[0] in names.common:
                    return None, role  # "laut Armee" where the text says "die Armee": no person
                best = names.full.get(parts[0])
            return best or found.name, role
        return found.name, role
    count = bisect_left(index.starts, pos)
    before = index.people[max(0, count - _ROLE_LOOKBACK) : count]
    if found.pronoun:
        subjects = [p for p in before[-3:] if p.subject]
        recent = subjects[-1] if subjects else None
        if last_speaker is not None and pos - last_speaker[1] < 600:
            if recent is not None and recent.pos > last_speaker[1]:
                return recent.name, role  # a person introduced since the last quote is the new speaker
            return last_speaker[0], role
        return (before[-1].name if before else None), role
    if role and found.definite_role:
        heads = {_role_head(w) for w in role.split()} - {""}
        for person in reversed(before):
            if any(_same_role(h, _role_head(r)) for h in heads for r in person.roles):
                return person.name, role
        if before and pos - before[-1].pos < 400:
            return before[-1].name, role  # "der Staatschef" right after the text named someone
    return None, role


_ROLE_GROUPS = (_t("role_group_head"), _t("role_group_spokesperson"), _t("role_group_chief"))


def _same_role(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _ROLE_GROUPS)


def _role_head(word: str) -> str:
    low = _fold(word).rsplit("-", 1)[-1]
    match = _ROLE_RE.search(low)
    if match:
        return match.group(0)
    return low if low in _ROLE_WORDS_EN else ""


def find_quotes(text: str, lang: str) -> list[Quote]:
    """Every direct quotation in `text`, in order, with speaker and role where the text gives them."""
    spans = _scan(text)
    if not spans:
        return []
    pieces: list[str] = []
    last = 0
    for span in spans:
        pieces.append(text[last : span.start])
        pieces.append("…" * (span.end - span.start))
        last = span.end
    pieces.append(text[last:])
    masked = "".join(pieces)
    tokens = _tokens(text, 0)
    people = _people(text, tokens, lang)
    # the tokens outside quotes (a quotation mark is no token, so none straddles a span's edge); each
    # attribution reads the slice of them it needs
    token_starts = [t[1] for t in tokens]
    masked_tokens: list[tuple[str, int, int]] = []
    kept = 0
    for span in spans:
        masked_tokens += tokens[kept : bisect_left(token_starts, span.start)]
        kept = max(kept, bisect_left(token_starts, span.end))
    masked_tokens += tokens[kept:]
    masked_starts = [t[1] for t in masked_tokens]

    def window(start: int, end: int) -> list[tuple[str, int, int]]:
        return masked_tokens[bisect_left(masked_starts, start) : bisect_left(masked_starts, end)]

    raw: list[tuple[_Span, _Attribution | None, bool]] = []
    for span in spans:
        sent_start, sent_end = _sentence_bounds(masked, span.open_mark, span.end)
        after_tokens = window(span.end + 1, sent_end)
        before_tokens = window(sent_start, span.open_mark)
        found = _after_attribution(after_tokens, lang, text)
        colon = bool(before_tokens) and before_tokens[-1][0] == ":"
        if found is None or (found.name is None and not found.pronoun):
            before = _before_attribution(before_tokens, lang, text)
            if before is not None and (found is None or before.name):
                found = before
        if found is None:  # `CEO Christian Jansson said the market …, but "…"`
            found = _sentence_speaker(before_tokens, lang, text)
        if found is None and colon and sent_start > 1:  # `Darauf wies Richter Max Roth hin. …: „…“`
            previous_start, _ = _sentence_bounds(masked, sent_start - 2, sent_start - 2)
            found = _sentence_speaker(window(previous_start, sent_start), lang, text)
        raw.append((span, found, colon))
    people = _merge_people(people, raw, lang)
    index = _Index.of(people)
    names = _names(text, tokens, lang)
    starts = [p.pos for p in people]
    quotes: list[Quote] = []
    # (speaker, role, end of the quote, where its attribution stands, whether it ended in a comma)
    previous: tuple[str | None, str | None, int, int, bool] | None = None
    last_speaker: tuple[str, int] | None = None
    for span, found, colon in raw:
        words = text[span.start : span.end].strip()
        quoted = words.rstrip(",").strip()
        if not quoted:
            continue
        count = len(re.findall(r"\w+", quoted))
        speaker = role = None
        if found is not None:
            speaker, role = _resolve(found, index, span.start, last_speaker, names)
        elif "\n" not in text[: span.start]:
            speaker = _headline_speaker(text, span.end + 1, names)
        gap = masked[previous[2] : span.open_mark] if previous else ""
        shared = found is not None and previous is not None and found.pos == previous[3]
        if (found is None or shared) and previous is not None and len(gap) < _CONTEXT:
            split = (
                previous[2] <= previous[3] < span.open_mark
                and len(gap) < 100
                and "\n" not in gap
                and gap.rstrip()[-1:] in (".", ",", ":")
            )
            if split and quotes:  # a quote split by its attribution: `"…", sagte Rutte. "…"`
                prior = quotes[-1]
                glue = (
                    ", "
                    if previous[4]
                    else " "
                    if prior.text[-1:] in ".!?;:" or quoted[:1].islower()
                    else ". "
                )
                quotes[-1] = Quote(prior.text + glue + quoted, prior.speaker, prior.role, prior.start, False)
                previous = (*previous[:2], span.end + 1, -1, words.endswith(","))
                continue
            if count >= 4 and found is None and not _introduced(people, starts, previous, span.open_mark):
                speaker, role = previous[0], previous[1]  # the same speaker goes on
        attributed = found is not None and (found.name is not None or found.role is not None or found.pronoun)
        fragment = count <= 3 or (count <= 6 and not ((attributed or colon) and quoted[:1].isupper()))
        quotes.append(Quote(text=quoted, speaker=speaker, role=role, start=span.start, fragment=fragment))
        previous = (
            (speaker, role, span.end + 1, found.pos, words.endswith(",")) if attributed and found else None
        )
        if speaker:
            last_speaker = (speaker, span.end)
    return quotes


def _headline_speaker(text: str, pos: int, names: _Names) -> str | None:
    """The speaker of a headline quote the headline goes on to name (`„…“: Molyneux veröffentlicht …`):
    the surname after the colon, when the text gives that person's full name."""
    after = _AFTER_COLON.match(text, pos)
    return names.full.get(after.group(1)) if after else None


def _introduced(
    people: list[_Person],
    starts: list[int],
    previous: tuple[str | None, str | None, int, int, bool],
    pos: int,
) -> bool:
    """True when the text named another person as a sentence's subject since the previous quote ended:
    the quote that follows is theirs, not the previous speaker's."""
    lo = bisect_left(starts, previous[2])
    hi = bisect_left(starts, pos)
    return any(p.subject and p.name != previous[0] for p in people[lo:hi])


def _sentence_speaker(tokens: list[tuple[str, int, int]], lang: str, text: str) -> _Attribution | None:
    """The first person a sentence names with first and last name, when the sentence has a speech verb:
    the speaker of a quote whose attribution stands apart from it."""
    if not any(_is_verb(t[0]) for t in tokens):
        return None
    k = 0
    while k < len(tokens):
        word = tokens[k][0]
        if not (_is_cap(word) or _fold(word) in _DETERMINERS):
            k += 1
            continue
        found, stop = _np(tokens, k, lang, text)
        parts = found.name.split() if found is not None and found.name else []
        if len(parts) > 1 and not any(_fold(w) in _NOT_NAMES for w in parts):
            return found
        k = max(stop, k + 1)
    return None


def _merge_people(
    people: list[_Person], raw: list[tuple[_Span, _Attribution | None, bool]], lang: str
) -> list[_Person]:
    """Add multi-word names given in attributions (`said Yusuf Mehdi`) to the people the text names."""
    extra = [
        _Person(found.name, found.pos, tuple(found.role.lower().split()) if found.role else ())
        for _, found, _ in raw
        if found is not None and found.name and len(found.name.split()) > 1
    ]
    if not extra:
        return people
    return sorted(people + extra, key=lambda p: p.pos)
