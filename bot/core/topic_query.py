"""Topic queries: the grammar a user writes a topic in (`A | B +must -not ~80`) and its parser.

    Nordkorea | North Korea | DPRK | "Kim Jong Un" +Raketen -Südkorea ~80

No user regex: terms are words and phrases, checked character by character so that the message
can say what a topic cannot hold.
"""

from __future__ import annotations

import unicodedata

from bot.core import lang as lang_data
from bot.core.figures import parse_number
from bot.core.folding import fold, strip_invisible
from bot.core.text import tokens_and_gaps
from bot.model import TopicQuery

DEFAULT_THRESHOLD = 70.0
MAX_QUERY_CHARS = 200
MAX_TERMS = 20

GRAMMAR = (
    "A topic reads: NAME [| ALIAS …] [+REQUIRED …] [-EXCLUDED …] [~THRESHOLD], for example "
    '`Nordkorea | North Korea | DPRK +Raketen -Südkorea ~80`. Put a phrase in "double quotes" '
    '(`+"Mark Rutte"`); a threshold is a number from 0 to 100; letters, digits, spaces and '
    f"- ' . & / + (inside a name: Müller+Partner) only; at most {MAX_QUERY_CHARS} characters."
)

_QUOTES = frozenset('"„“”»«')
_ALLOWED_PUNCTUATION = frozenset("-'’.&/+")
# Function words of one language that are nouns or names in the other: a topic may be one of them
# alone (`war`, `Hat`, `May`), and it then does not meet the function word in an article of the
# language where it is one (`war` in `Er war da`), unless the topic and the article's word are
# both capitalised (`May` in `Theresa May`, not `may`). Word -> that language.
FUNCTION_WORD_LANGUAGE = {
    **dict.fromkeys(lang_data.table("german_function_words_also_names"), "de"),
    **dict.fromkeys(lang_data.table("english_function_words_also_names"), "en"),
}


class QueryError(ValueError):
    """A topic query that cannot be used; the message is for the user and shows the grammar."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}. {GRAMMAR}")
        self.problem = problem


def _lex(text: str) -> list[tuple[str, str]]:
    """('|', '') separators, ('word', w) and ('phrase', p) tokens; raises on an unbalanced quote."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "|":
            out.append(("|", ""))
            i += 1
        elif ch in _QUOTES:
            j = i + 1
            while j < n and text[j] not in _QUOTES:
                j += 1
            if j >= n:
                raise QueryError(f"the quote that opens at `{text[i : i + 20]}` is never closed")
            out.append(("phrase", text[i + 1 : j]))
            i = j + 1
        elif ch in "+-" and (i + 1 >= n or text[i + 1].isspace() or text[i + 1] in _QUOTES):
            out.append(("op", ch))  # `+ "Mark Rutte"`, `- Südkorea`
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != "|" and text[j] not in _QUOTES:
                j += 1
            out.append(("word", text[i:j]))
            i = j
    return out


def _check_term(term: str, kind: str) -> str:
    term = " ".join(term.split())
    if not term:
        raise QueryError(f"an empty {kind}")
    for ch in term:
        if not (ch.isalnum() or ch == " " or ch in _ALLOWED_PUNCTUATION):
            name = unicodedata.name(ch, "")
            shown = f"`{ch}` (U+{ord(ch):04X}{' ' + name if name else ''})"
            raise QueryError(f"the {kind} `{term}` holds the character {shown}, which a topic cannot use")
    folded = [fold(w) for w in tokens_and_gaps(term)[0]]
    if not folded:
        raise QueryError(f"the {kind} `{term}` has no letters or digits")
    originals = tokens_and_gaps(term)[0]
    lone_word = len(folded) == 1 and folded[0] in FUNCTION_WORD_LANGUAGE
    acronyms = all(len(w) <= 5 and w.isupper() for w in originals)  # `IT`, `AN`
    if all(w in lang_data.stop_words() for w in folded) and not (lone_word or acronyms):
        raise QueryError(f"the {kind} `{term}` has only stop words such as `der` or `the`")
    return term


def _parse_threshold(value: str) -> float:
    number = parse_number(value)  # the one number reader: `~72,5` and `~72.5` alike
    if number is None:
        raise QueryError(f"`~{value}` is not a threshold")
    if not 0.0 <= number <= 100.0:
        raise QueryError(f"the threshold {value} is outside 0 to 100")
    return number


class _TopicParts:
    """The aliases, required and excluded terms and threshold of a query, gathered token by token."""

    def __init__(self) -> None:
        self.aliases: list[str] = []
        self.required: list[str] = []
        self.excluded: list[str] = []
        self.threshold: float | None = None
        self.current: list[str] = []  # the words of the alias being read
        self.pending: str | None = None  # a lone + or - waiting for its term

    def take(self, kind: str, value: str) -> None:
        """Read one token of `_lex`; raises QueryError where the grammar is broken."""
        if kind in ("|", "op"):
            self._no_pending()
        if kind == "|":
            self.close_alias(at_separator=True)
            if not self.aliases:
                raise QueryError("a `|` without an alias on both sides")
        elif kind == "op":
            self.pending = value
        elif self.pending is not None:
            sign, self.pending = self.pending, None
            self._add_term(sign, value)
        elif kind == "word" and value[0] in "+-" and len(value) > 1:
            self._add_term(value[0], value[1:])
        elif kind == "word" and value.startswith("~"):
            self.threshold = _parse_threshold(value[1:])
        else:
            self.current.append(value)

    def finish(self) -> None:
        """Close the last alias; raises when the query ends inside a term or has no name."""
        self._no_pending()
        if self.current or not self.aliases:
            self.close_alias(at_separator=bool(self.aliases) and not self.current)
        if not self.aliases:
            raise QueryError("the topic has no name, only +/- terms")
        if len(self.aliases) + len(self.required) + len(self.excluded) > MAX_TERMS:
            raise QueryError(f"the topic has more than {MAX_TERMS} aliases and terms")

    def close_alias(self, at_separator: bool) -> None:
        if self.current:
            self.aliases.append(_check_term(" ".join(self.current), "alias"))
            self.current.clear()
        elif at_separator:
            raise QueryError("a `|` without an alias on both sides")

    def _no_pending(self) -> None:
        if self.pending:
            raise QueryError(f"`{self.pending}` without a term after it")

    def _add_term(self, sign: str, term: str) -> None:
        if sign == "+":
            self.required.append(_check_term(term, "required term"))
        else:
            self.excluded.append(_check_term(term, "excluded term"))


def parse_topic(text: str, threshold: float | None = None) -> TopicQuery:
    """A TopicQuery from the text of a command: `Nordkorea | North Korea +Raketen -Südkorea ~80`.

    `|` separates aliases (the first is the topic's name), `+term` must also appear, `-term` must
    not, `~N` sets the threshold (the `threshold` argument, when given, wins). Raises QueryError
    with the grammar for anything it cannot use. No user regex: terms are words and phrases.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the topic is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed")
    cleaned = unicodedata.normalize("NFC", strip_invisible(text)).strip()
    if not cleaned:
        raise QueryError("the topic is empty")
    parts = _TopicParts()
    for kind, value in _lex(cleaned):
        parts.take(kind, value)
    parts.finish()
    unique: dict[str, str] = {}
    for alias in parts.aliases:
        unique.setdefault(fold(alias), alias)
    if threshold is not None:
        if not 0.0 <= threshold <= 100.0:
            raise QueryError(f"the threshold {threshold} is outside 0 to 100")
        parts.threshold = float(threshold)
    return TopicQuery(
        name=parts.aliases[0],
        aliases=tuple(unique.values()),
        required=tuple(dict.fromkeys(parts.required)),
        excluded=tuple(dict.fromkeys(parts.excluded)),
        threshold=parts.threshold,
    )


# ---------------------------------------------------------------------------------------------
# The index of topic words
