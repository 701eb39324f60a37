"""The people a text names, with their roles, and who a quote's attribution refers to.

A pronoun or a bare role (`warnte er`, `konstatierte der Staatschef`) refers back to a person the
text named; a surname alone to the full name the text gave.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from bot.core import lang as lang_data
from bot.core.attribution import (
    DETERMINERS,
    HONORIFICS,
    INDEFINITE,
    NOT_NAMES,
    PARTICLES,
    PRONOUNS,
    ROLE_RE,
    ROLE_WORDS_EN,
    Attribution,
    is_capitalised,
    is_role,
)
from bot.core.folding import fold_cached
from bot.core.text import is_title_case

_t = lang_data.table


@dataclass(slots=True)
class Person:
    name: str
    pos: int
    roles: tuple[str, ...]
    subject: bool = False  # named at the head of its sentence: what a later "he said" refers to


def people_in(text: str, tokens: list[tuple[str, int, int]], lang: str) -> list[Person]:
    """Named people in order of mention: a role word followed by a name (`Präsident Wladimir Putin`)."""
    people: list[Person] = []
    k = 0
    n = len(tokens)
    caps = [t[0][:1].isupper() for t in tokens]
    while k < n:
        word = tokens[k][0]
        if not caps[k] and (lang != "en" or not is_role(word, lang)):
            k += 1  # a lower-case word starts no name and, outside English, no role
            continue
        if (
            is_role(word, lang)
            and k + 1 < n
            and is_capitalised(tokens[k + 1][0])
            and not is_role(tokens[k + 1][0], lang)
            and "\n" not in text[tokens[k][2] : tokens[k + 1][1]]  # a headline's last word, a lead's first
        ):
            m = k + 1
            names: list[str] = []
            while (
                m < n
                and len(names) < 4
                and (
                    (is_capitalised(tokens[m][0]) and not is_role(tokens[m][0], lang))
                    or (tokens[m][0] in PARTICLES and names)
                )
            ):
                names.append(tokens[m][0])
                m += 1
            names = _strip_possessive(names)
            if names and fold_cached(names[0]) not in NOT_NAMES:
                roles = tuple(t[0].lower() for t in tokens[max(0, k - 2) : k + 1] if is_role(t[0], lang))
                people.append(
                    Person(" ".join(names), tokens[k + 1][1], roles, heads_sentence(text, tokens, k))
                )
            k = m
            continue
        # an appositive name needs two capitalised words from here: test that before the full look
        pair = k + 1 < n and is_capitalised(word) and is_capitalised(tokens[k + 1][0])
        appositive = _appositive_person(tokens, k, lang) if pair else None
        if appositive is not None:
            names, role_words, m = appositive
            people.append(Person(" ".join(names), tokens[k][1], role_words, heads_sentence(text, tokens, k)))
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


def _appositive_person(
    tokens: list[tuple[str, int, int]], k: int, lang: str
) -> tuple[list[str], tuple[str, ...], int] | None:
    """A name set off by commas from what the person is (`Jana Weiss, the co-founder of …`,
    `Ruden’s widow, Olga Rudena, …`): (name words, role words, index after the name)."""
    n = len(tokens)
    if k > 0 and tokens[k - 1][0][:1].isalpha() and is_capitalised(tokens[k - 1][0]):
        return None  # inside a longer capitalised run
    m = k
    while m < n and m - k < 4 and is_capitalised(tokens[m][0]) and not is_role(tokens[m][0], lang):
        if fold_cached(tokens[m][0]) in NOT_NAMES or fold_cached(tokens[m][0]) in DETERMINERS:
            return None
        m += 1
    if m - k < 2 or m >= n or (m < n and is_capitalised(tokens[m][0])):
        return None
    names = [t[0] for t in tokens[k:m]]
    if any(w.endswith(("'s", "’s", "s'", "s’")) for w in names):
        return None
    # the name, then ", the co-founder of …" / ", a spokeswoman for …"
    if tokens[m][0] == "," and m + 1 < n and fold_cached(tokens[m + 1][0]) in DETERMINERS:
        words = tokens[m + 2 : m + 8]
        roles = tuple(t[0].lower() for t in words if is_role(t[0], lang))
        if roles:
            return names, roles, m
    # the name, then its role without an article: ", leader of the Scottish Labour Party, …"
    if (
        tokens[m][0] == ","
        and m + 1 < n
        and tokens[m + 1][0][:1].islower()
        and is_role(tokens[m + 1][0], lang)
    ):
        return names, (tokens[m + 1][0].lower(),), m
    # "’s widow, Yulia Navalnaya," / "his wife, Jane Doe,": a relation noun, then the name
    if (
        k >= 3
        and tokens[k - 1][0] == ","
        and tokens[k - 2][0][:1].islower()
        and tokens[k - 2][0].isalpha()
        and (tokens[k - 3][0].endswith(("'s", "’s")) or fold_cached(tokens[k - 3][0]) in _t("possessives"))
        and tokens[m][0] in (",", ".")
    ):
        return names, (tokens[k - 2][0].lower(),), m
    return None


def heads_sentence(text: str, tokens: list[tuple[str, int, int]], k: int) -> bool:
    """True when only capitalised words, roles and a possessive's noun stand between the sentence start
    and token k: `Lawmaker Mira Das …`, `Planning Minister Amir Khan, …`, `Ruden’s widow, Olga …`."""
    i = k - 1
    while i >= 0 and k - i <= 6:
        word = tokens[i][0]
        if word in ".!?" or text[tokens[i][2] : tokens[i + 1][1]].count("\n"):
            return True
        lower_ok = word[:1].islower() and i > 0 and tokens[i - 1][0].endswith(("'s", "’s"))
        if not (
            word == ","
            or is_capitalised(word)
            or is_role(word, "de")
            or lower_ok
            or word.endswith(("'s", "’s"))
        ):
            return False
        i -= 1
    return i < 0


@dataclass(slots=True)
class Names:
    """What the whole text says about single words: full names (`Marco Rubio` for `Rubio`) and
    German common nouns (`die Armee`: never a person's name)."""

    full: dict[str, str]
    common: frozenset[str]


_NAME_STARTERS = _t("name_starters")

_NOT_FIRST_NAMES = _NAME_STARTERS | DETERMINERS | PRONOUNS | HONORIFICS | NOT_NAMES


def read_names(text: str, tokens: list[tuple[str, int, int]], lang: str) -> Names:
    lower = {t[0] for t in tokens if t[0][:1].islower()}
    full: dict[str, str] = {}
    common: set[str] = set()
    caps = [t[0][:1].isupper() for t in tokens]
    headline_end = text.find("\n")
    headline = [t[0] for t in tokens if t[1] < headline_end] if headline_end > 0 else []
    begin = len(headline) if is_title_case(w for w in headline if w[:1].isalpha()) else 1
    for i in range(max(begin, 1), len(tokens)):
        if not caps[i]:
            continue
        first, word = tokens[i - 1][0], tokens[i][0]
        if lang == "de" and fold_cached(first) in DETERMINERS and first.lower() not in INDEFINITE:
            common.add(word)
        if not caps[i - 1] or text[tokens[i - 1][2] : tokens[i][1]] != " ":
            continue
        surname = _strip_possessive([word])[0]
        if (
            surname in full
            or first.lower() in lower
            or fold_cached(first) in _NOT_FIRST_NAMES
            or is_role(first, lang)
            or is_role(surname, lang)
            or first.endswith(("'s", "’s", "s'", "s’"))
        ):
            continue
        full[surname] = f"{first} {surname}"
    return Names(full, frozenset(common))


@dataclass(slots=True)
class PersonIndex:
    """The people the text names, in order, with their offsets and their full names by surname, so
    that resolving each quote's speaker looks up instead of scanning everyone (linear in the text)."""

    people: list[Person]
    starts: list[int]
    by_surname: dict[str, list[Person]]

    @classmethod
    def of(cls, people: list[Person]) -> PersonIndex:
        by_surname: dict[str, list[Person]] = {}
        for person in people:
            parts = person.name.split()
            if len(parts) > 1:
                by_surname.setdefault(parts[-1], []).append(person)
        return cls(people, [p.pos for p in people], by_surname)


_ROLE_LOOKBACK = 50  # people looked at when a bare role (`der Staatschef`) refers back


def resolve_speaker(
    found: Attribution,
    index: PersonIndex,
    pos: int,
    last_speaker: tuple[str, int] | None,
    names: Names | None = None,
) -> tuple[str | None, str | None]:
    """The speaker's full name where the text gave one, following pronouns and roles back."""
    role = found.role
    if found.name:
        return _full_name(found.name, index, pos, names), role
    count = bisect_left(index.starts, pos)
    before = index.people[max(0, count - _ROLE_LOOKBACK) : count]
    if found.pronoun:
        subjects = [p for p in before[-3:] if p.subject]
        recent = subjects[-1] if subjects else None
        if last_speaker is not None and pos - last_speaker[1] < 600:
            if recent is not None and recent.pos > last_speaker[1]:
                return recent.name, role  # a person introduced since the last quote is the new speaker
            return last_speaker[0], role
        # the subject of the last sentences, else whoever was mentioned last (`… Trump instead …`)
        return (recent.name if recent else before[-1].name if before else None), role
    if role and found.definite_role:
        heads = role_heads(role)
        for person in reversed(before):
            if holds_role(person, heads):
                return person.name, role
        if before and pos - before[-1].pos < 400:
            return before[-1].name, role  # "der Staatschef" right after the text named someone
    return None, role


def _full_name(name: str, index: PersonIndex, pos: int, names: Names | None) -> str | None:
    """The full name a named attribution stands for: a surname alone is the person of that surname
    named next after the quote, else last before it, else the text's full name for it; None where the
    word is a common noun of the text (`laut Armee` where it says `die Armee`)."""
    parts = name.split()
    if len(parts) != 1:
        return name
    best = None
    same = index.by_surname.get(parts[0], [])
    if same:  # the next full name after the quote, else the last one before it
        at = bisect_left([p.pos for p in same], pos + 1)
        best = same[at].name if at < len(same) else same[-1].name
    if best is None and names is not None:
        if parts[0] in names.common:
            return None
        best = names.full.get(parts[0])
    return best or name


_ROLE_GROUPS = (_t("role_group_head"), _t("role_group_spokesperson"), _t("role_group_chief"))


def role_heads(role: str) -> set[str]:
    """The role nouns of an attribution's role (`stellvertretende Pentagon-Sprecherin` -> sprecher)."""
    return {_role_head(w) for w in role.split()} - {""}


def holds_role(person: Person, heads: set[str]) -> bool:
    """Whether the text named `person` with one of the role nouns `heads` (or one of their group)."""
    return any(_same_role(h, _role_head(r)) for h in heads for r in person.roles)


def _same_role(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _ROLE_GROUPS)


def _role_head(word: str) -> str:
    low = fold_cached(word).rsplit("-", 1)[-1]
    match = ROLE_RE.search(low)
    if match:
        return match.group(0)
    return low if low in ROLE_WORDS_EN else ""
