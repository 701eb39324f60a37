"""Direct quotations with their speaker and role, in German and English news text.

Quotation marks: „…“ „…” »…« «…» ‚…‘ "…" “…” ‘…’, nested one level deep; quotes may span sentences,
and a quote split by its attribution (`"…", sagte Rutte. "…"`) is joined into one. The speaker comes
from speech verbs and name patterns next to the quote (`sagte die stellvertretende Pentagon-Sprecherin
Sabrina Singh`, `so Rutte`, `Bundeskanzler Scholz: "…"`, `"…," Smith said`, `according to …`); a pronoun
or a bare role (`warnte er`, `konstatierte der Staatschef`) refers back to a person the text named.

Only quotation marks are visited and every look-around is bounded, so time is linear in the text length.
The marks are paired in `quote_marks.py`, attributions read in `attribution.py`, the people a text
names and who an attribution refers to in `speakers.py`; this module puts them together.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable

from bot.core.attribution import (
    DETERMINERS,
    NOT_NAMES,
    Attribution,
    after_attribution,
    before_attribution,
    is_capitalised,
    is_speech_verb,
    noun_phrase,
    speech_tokens,
)
from bot.core.folding import fold_cached
from bot.core.quote_marks import ATTRIBUTION_CONTEXT, QuoteSpan, scan_quotes, sentence_bounds
from bot.core.speakers import (
    Names,
    Person,
    PersonIndex,
    heads_sentence,
    holds_role,
    people_in,
    read_names,
    resolve_speaker,
    role_heads,
)
from bot.core.text import split_sentences
from bot.model import Quote

_AFTER_COLON = re.compile(r":[ \t]+([^\W\d_][\w-]*)")


Token = tuple[str, int, int]  # a word or mark of `speech_tokens`: (text, start, end)


def find_quotes(text: str, lang: str) -> list[Quote]:
    """Every direct quotation in `text`, in order, with speaker and role where the text gives them:
    in quotation marks, and an interview's answers after the speaker's name (`Holzemer: Wir …`)."""
    spans = scan_quotes(text)
    labels = [m for m in _ANSWER_LABEL.finditer(text) if m.start() > text.find("\n") >= 0]
    if not spans and len(labels) < _MIN_ANSWERS:
        return []
    masked = _masked(text, spans)
    tokens = speech_tokens(text, 0)
    people = people_in(text, tokens, lang)
    window = _outside_quotes(tokens, spans)
    headline_end = text.find("\n")  # -1: the text is one line
    raw = [
        _attribution_of(span, masked, window, lang, text, headline_end < 0 or span.end <= headline_end)
        for span in spans
    ]
    assembly = _Assembly(text, masked, tokens, people, raw, lang)
    for span, found, colon in raw:
        assembly.add(span, found, colon)
    answers = assembly.answers(labels) if len(labels) >= _MIN_ANSWERS else []
    return sorted(assembly.quotes + answers, key=lambda q: q.start) if answers else assembly.quotes


# a paragraph opened by up to four capitalised words and a colon: an interview's speaker label
_ANSWER_LABEL = re.compile(r"(?m)^((?:[^\W\d_][\w’'.-]*[ \u00a0]){0,3}[^\W\d_][\w’'.-]*):[ \t]+(?=\S)")
# an interview gives a person the word more than once; one `Name: …` line is a headline's claim
_MIN_ANSWERS = 2
_ANSWER_WORDS = 25  # an answer is quoted up to the sentence that reaches this many words
_ANSWER_CHARS = 3000  # … and from no more than its first this many characters (a paragraph may be huge)


def _masked(text: str, spans: list[QuoteSpan]) -> str:
    """`text` with every quote's words replaced by as many `…`: a sentence's bounds and attribution
    are read around the quotes, never inside them."""
    pieces: list[str] = []
    last = 0
    for span in spans:
        pieces.append(text[last : span.start])
        pieces.append("…" * (span.end - span.start))
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)


def _outside_quotes(tokens: list[Token], spans: list[QuoteSpan]) -> Callable[[int, int], list[Token]]:
    """The tokens outside quotes between two offsets (a quotation mark is no token, so none straddles
    a span's edge); each attribution reads the slice of them it needs."""
    token_starts = [t[1] for t in tokens]
    outside: list[Token] = []
    kept = 0
    for span in spans:
        outside += tokens[kept : bisect_left(token_starts, span.start)]
        kept = max(kept, bisect_left(token_starts, span.end))
    outside += tokens[kept:]
    starts = [t[1] for t in outside]

    def window(start: int, end: int) -> list[Token]:
        return outside[bisect_left(starts, start) : bisect_left(starts, end)]

    return window


def _attribution_of(
    span: QuoteSpan,
    masked: str,
    window: Callable[[int, int], list[Token]],
    lang: str,
    text: str,
    in_headline: bool,
) -> tuple[QuoteSpan, Attribution | None, bool]:
    """Who a quote's sentence says speaks it: after the quote, before it, the sentence's subject, or
    the sentence before a colon; and whether a colon introduces it."""
    sent_start, sent_end = sentence_bounds(masked, span.open_mark, span.end)
    before_tokens = window(sent_start, span.open_mark)
    after_tokens = window(span.end + 1, sent_end)
    if lang == "en" and in_headline:
        after_tokens = _headline_verb_lowered(after_tokens)
    found = after_attribution(after_tokens, lang, text)
    colon = bool(before_tokens) and before_tokens[-1][0] == ":"
    if found is None or (found.name is None and not found.pronoun):
        before = before_attribution(before_tokens, lang, text)
        if before is not None and (found is None or before.name):
            found = before
    if found is None:  # `CEO Christian Jansson said the market …, but "…"`
        found = _sentence_speaker(before_tokens, lang, text)
    if found is None and colon and sent_start > 1:  # `Darauf wies Richter Max Roth hin. …: „…“`
        previous_start, _ = sentence_bounds(masked, sent_start - 2, sent_start - 2)
        found = _sentence_speaker(window(previous_start, sent_start), lang, text)
    return span, found, colon


def _headline_verb_lowered(tokens: list[Token]) -> list[Token]:
    """A Title Case headline's speech verb after its quote read as the verb it is (`‘…,’ Warns Top
    Researcher`): elsewhere a capitalised word is no verb."""
    at = 1 if tokens and tokens[0][0] == "," else 0
    if at < len(tokens) and tokens[at][0][:1].isupper() and is_speech_verb(tokens[at][0].lower()):
        word, start, end = tokens[at]
        return [*tokens[:at], (word.lower(), start, end), *tokens[at + 1 :]]
    return tokens


class _Assembly:
    """The quotes of a text put together in order: each quote's speaker resolved, a quote split by its
    attribution joined again, and an unattributed quote after another given that speaker."""

    def __init__(
        self,
        text: str,
        masked: str,
        tokens: list[Token],
        people: list[Person],
        raw: list[tuple[QuoteSpan, Attribution | None, bool]],
        lang: str,
    ) -> None:
        self.text, self.masked, self.tokens = text, masked, tokens
        self.token_starts = [t[1] for t in tokens]
        self.named = {p.name.split()[-1] for p in people}  # surnames of the people named with a role
        self.people = _with_surname_mentions(_merge_people(people, raw, lang), tokens, text)
        self.index = PersonIndex.of(self.people)
        self.starts = [p.pos for p in self.people]
        self.names = read_names(text, tokens, lang)
        # how often each word stands, counted once and only when a German pronoun needs it
        self.alone = functools.cache(lambda: Counter(t[0] for t in tokens)) if lang == "de" else None
        self.body = text.find("\n")  # where the headline ends (-1: the text is one line)
        self.quotes: list[Quote] = []
        # (speaker, role, end of the quote, where its attribution stands, whether it ended in a comma)
        self.previous: tuple[str | None, str | None, int, int, bool] | None = None
        self.last_speaker: tuple[str, int] | None = None

    def answers(self, labels: list[re.Match[str]]) -> list[Quote]:
        """The answers of an interview: paragraphs after a label that names a person the text names
        (`Christian Holzemer: …`, then `Holzemer: …`), each quoted from its start to the sentence that
        completes `_ANSWER_WORDS` words; none unless the text gives persons the word `_MIN_ANSWERS`
        times."""
        found: list[Quote] = []
        for label in labels:
            words = label.group(1).split()
            named = self.index.by_surname.get(words[-1])
            if not named or not all(w[:1].isupper() for w in words):
                continue
            start = label.end()
            end = self.text.find("\n", start)
            paragraph = self.text[start : min(end if end >= 0 else len(self.text), start + _ANSWER_CHARS)]
            taken, count = [], 0
            for _, sentence in split_sentences(paragraph):
                taken.append(sentence)
                count += len(sentence.split())
                if count >= _ANSWER_WORDS:
                    break
            if taken:
                found.append(Quote(text=" ".join(taken), speaker=named[-1].name, start=start))
        return found if len(found) >= _MIN_ANSWERS else []

    def add(self, span: QuoteSpan, found: Attribution | None, colon: bool) -> None:
        words = self.text[span.start : span.end].strip()
        quoted = words.rstrip(",").strip()
        if not quoted:
            return
        count = len(re.findall(r"\w+", quoted))
        speaker, role = self._speaker(span, found, colon)
        previous = self.previous
        gap = self.masked[previous[2] : span.open_mark] if previous else ""
        shared = found is not None and previous is not None and found.pos == previous[3]
        if (found is None or shared) and previous is not None and len(gap) < ATTRIBUTION_CONTEXT:
            if self._joins(span, gap, quoted, words):
                return
            if (
                count >= 4
                and found is None
                and not _introduced(self.people, self.starts, previous, span.open_mark)
            ):
                speaker, role = previous[0], previous[1]  # the same speaker goes on
        attributed = found is not None and (found.name is not None or found.role is not None or found.pronoun)
        fragment = count <= 3 or (count <= 6 and not ((attributed or colon) and quoted[:1].isupper()))
        self.quotes.append(
            Quote(text=quoted, speaker=speaker, role=role, start=span.start, fragment=fragment)
        )
        self.previous = (
            (speaker, role, span.end + 1, found.pos, words.endswith(",")) if attributed and found else None
        )
        if speaker:
            self.last_speaker = (speaker, span.end)

    def _speaker(
        self, span: QuoteSpan, found: Attribution | None, colon: bool
    ) -> tuple[str | None, str | None]:
        """The quote's speaker and role from its attribution, or a headline's `Name: „…“`."""
        headline = self.body < 0 or span.start <= self.body  # no line break before it
        if found is None:
            return (_headline_speaker(self.text, span.end + 1, self.names) if headline else None), None
        speaker, role = resolve_speaker(found, self.index, span.start, self.last_speaker, self.names)
        if speaker is None and found.pronoun:  # `sagte sie` where no role named her: the last full name
            at = bisect_left(self.token_starts, span.open_mark)
            speaker = _last_full_name(self.tokens, at, self.names, self.alone)
        if speaker is None and found.definite_role and not headline:
            speaker = self._headline_subject()  # `Hillary Clinton accuses …` / `…, the former … says`
        if speaker is None and headline and role and not found.name:
            # `…, Warns Top Researcher` in the headline, `researcher Stuart Russell told AFP` below it
            speaker = self._introduced_by_role(role)
        body = self.body
        if (
            headline
            and colon
            and body > 0
            and speaker
            and not _known_person(speaker, self.named, self.text, body)
        ):
            speaker = None  # `… as Relations Sour: ‘…’`, `arrest by ICE: ‘…’`: a headline's words, no one
        return speaker, role

    def _introduced_by_role(self, role: str) -> str | None:
        """The first person below the headline whose role is the headline attribution's (`Warns Top
        Researcher` and `top computer science researcher Stuart Russell told AFP`)."""
        heads = role_heads(role)
        return next((p.name for p in self.people if p.pos > self.body and holds_role(p, heads)), None)

    def _headline_subject(self) -> str | None:
        """The person a headline opens with (`Hillary Clinton accuses …`), by first and last name:
        whom a lead's `the former US secretary of state says` refers to when the text names no one
        before it."""
        tokens = self.tokens
        if self.body <= 0 or len(tokens) < 3 or tokens[1][1] > self.body:
            return None
        (first, _, first_end), (last, last_start, _) = tokens[0], tokens[1]
        if self.text[first_end:last_start] != " " or self.names.full.get(last) != f"{first} {last}":
            return None
        return f"{first} {last}"

    def _joins(self, span: QuoteSpan, gap: str, quoted: str, words: str) -> bool:
        """Join a quote split by its attribution to the one before: `"…", sagte Rutte. "…"`."""
        previous = self.previous
        assert previous is not None
        split = (
            previous[2] <= previous[3] < span.open_mark
            and len(gap) < 100
            and "\n" not in gap
            and gap.rstrip()[-1:] in (".", ",", ":")
        )
        if not (split and self.quotes):
            return False
        prior = self.quotes[-1]
        glue = ", " if previous[4] else " " if prior.text[-1:] in ".!?;:" or quoted[:1].islower() else ". "
        self.quotes[-1] = Quote(prior.text + glue + quoted, prior.speaker, prior.role, prior.start, False)
        self.previous = (*previous[:2], span.end + 1, -1, words.endswith(","))
        return True


_NAME_LOOKBACK = 300  # tokens looked back for the full name a pronoun refers to


def _last_full_name(
    tokens: list[tuple[str, int, int]], at: int, names: Names, alone: Callable[[], Counter[str]] | None
) -> str | None:
    """The nearest first and last name the text gives before token `at` (`hat Gesa Krause … Bronze
    erkämpft. … sagte sie`), when no person with a role stands before the quote. German capitalises
    every noun (`vom Verein Silvesterlauf Trier`), so there the surname must also stand alone
    elsewhere (`blieb Krause dran`: `alone` counts the text's words, None in English); a name that ends
    its sentence is rarely its subject."""
    for k in range(at - 1, max(0, at - _NAME_LOOKBACK), -1):
        surname = tokens[k][0]
        full = names.full.get(surname)
        if full is None or tokens[k - 1][0] != full.split()[0] or tokens[k + 1][0] in ".!?":
            continue
        if alone is not None and alone()[surname] - alone()[full.split()[0]] < 1:
            continue
        return full
    return None


def _known_person(name: str, named: set[str], text: str, body: int) -> bool:
    """Whether the text names the headline's `name` as a person: with a role (`US-Präsident Trump`),
    or by first and last name (`Marco Rubio`) again below the headline (from `body` on)."""
    last = name.split()[-1]
    if " " in name and text.find(name, body) >= 0:
        return True
    return last in named


def _headline_speaker(text: str, pos: int, names: Names) -> str | None:
    """The speaker of a headline quote the headline goes on to name (`„…“: Molyneux veröffentlicht …`):
    the surname after the colon, when the text gives that person's full name."""
    after = _AFTER_COLON.match(text, pos)
    return names.full.get(after.group(1)) if after else None


def _introduced(
    people: list[Person],
    starts: list[int],
    previous: tuple[str | None, str | None, int, int, bool],
    pos: int,
) -> bool:
    """True when the text named another person as a sentence's subject since the previous quote ended:
    the quote that follows is theirs, not the previous speaker's."""
    lo = bisect_left(starts, previous[2])
    hi = bisect_left(starts, pos)
    return any(p.subject and p.name != previous[0] for p in people[lo:hi])


def _sentence_speaker(tokens: list[tuple[str, int, int]], lang: str, text: str) -> Attribution | None:
    """The first person a sentence names with first and last name, when the sentence has a speech verb:
    the speaker of a quote whose attribution stands apart from it."""
    if not any(is_speech_verb(t[0]) for t in tokens):
        return None
    k = 0
    while k < len(tokens):
        word = tokens[k][0]
        if not (is_capitalised(word) or fold_cached(word) in DETERMINERS):
            k += 1
            continue
        found, stop = noun_phrase(tokens, k, lang, text)
        parts = found.name.split() if found is not None and found.name else []
        if len(parts) > 1 and not any(fold_cached(w) in NOT_NAMES for w in parts):
            return found
        k = max(stop, k + 1)
    return None


def _with_surname_mentions(people: list[Person], tokens: list[Token], text: str) -> list[Person]:
    """The people with every later mention of one by surname alone (`… Trump instead celebrated`): a
    pronoun after it refers to the person mentioned last, not to the last one introduced."""
    by_surname = PersonIndex.of(people).by_surname
    if not by_surname:
        return people
    first_at: dict[str, int] = {}
    for p in people:
        first_at[p.name] = min(p.pos, first_at.get(p.name, p.pos))
    mentions = []
    for k, (word, start, _) in enumerate(tokens):
        named = by_surname.get(word)
        if not named or start <= first_at[named[-1].name]:
            continue
        person = named[-1]
        if k and tokens[k - 1][0] == person.name.split()[0]:
            continue  # the full name again
        mentions.append(Person(person.name, start, person.roles, heads_sentence(text, tokens, k)))
    return sorted(people + mentions, key=lambda p: p.pos) if mentions else people


def _merge_people(
    people: list[Person], raw: list[tuple[QuoteSpan, Attribution | None, bool]], lang: str
) -> list[Person]:
    """Add multi-word names given in attributions (`said Yusuf Mehdi`) to the people the text names."""
    extra = [
        Person(found.name, found.pos, tuple(found.role.lower().split()) if found.role else ())
        for _, found, _ in raw
        if found is not None and found.name and len(found.name.split()) > 1
    ]
    if not extra:
        return people
    return sorted(people + extra, key=lambda p: p.pos)
