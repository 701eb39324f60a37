"""Where the quotations of a text are: its quotation marks paired, nested one level deep.

Quotation marks: „…“ „…” »…« «…» ‚…‘ "…" “…” ‘…’; a quote may span sentences, an unclosed one ends
at its paragraph. Only quotation marks are visited, so time is linear in the text length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core import lang as lang_data

_MARKS = re.compile(r"[„“”\"»«‚‘’'\n]")

_MAX_QUOTE = 3000  # longer "quotes" are unbalanced marks, not quotations

ATTRIBUTION_CONTEXT = 300  # characters of attribution context looked at on either side

# a full stop ends a sentence unless it ends an initial (`Anna M. Schmidt`) or a title (`Dr. Parasta`)
# (the look-behinds follow the mark, so that they are tried only where a mark stands)
_SENTENCE_END = re.compile(
    r"[.!?](?<![\s(][^\W\d_][.!?])"
    + "".join(rf"(?<!\b{re.escape(title)}\.)" for title in sorted(lang_data.table("honorifics")))
    + r"(?=\s|$)|[!?](?=\s|$)|\n",
    re.IGNORECASE,
)

_BLANK = re.compile(r"[\n \t]*")


@dataclass(slots=True)
class QuoteSpan:
    open_mark: int  # offset of the opening mark
    start: int  # first character of the quoted words
    end: int  # offset of the closing mark (or paragraph end)
    parts: list[tuple[int, int]] = field(default_factory=list)


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


_SINGLE_CLOSE = re.compile(r"[’'](?![^\W_])|\n")

_SINGLE_OPEN_INSIDE = re.compile(r"\s[‘']")  # another single mark opening before the close: apostrophes

_SINGLE_REACH = 600  # a single-quoted span longer than this is an apostrophe's false start


def _single_quote_closes(text: str, i: int) -> bool:
    """A single mark before a letter opens a quote (`is 'deeply committed to your success,' Rubio
    told`) only when a single mark that no letter follows closes it within its paragraph: `'tis`,
    `'90s` and `'em` find none, or none before a letter, and `the 'eighties and rock 'n' roll` a
    second opening mark before its close."""
    if not text[i + 1 : i + 2].isalpha():
        return False
    close = _SINGLE_CLOSE.search(text, i + 1, i + 1 + _SINGLE_REACH)
    if close is None or close.group(0) == "\n" or " " not in text[i + 1 : close.start()]:
        return False  # no close in the paragraph, or one word (`'n'`, a name in scare quotes)
    return _SINGLE_OPEN_INSIDE.search(text, i + 1, close.start()) is None  # `the 'eighties, rock 'n' roll`


def scan_quotes(text: str) -> list[QuoteSpan]:
    """Top-level quotation spans; inner quotes stay inside their outer quote's text."""
    spans: list[QuoteSpan] = []
    stack: list[tuple[str, int]] = []
    for match in _MARKS.finditer(text):
        i, ch = match.start(), match.group(0)
        if stack and i - stack[0][1] > _MAX_QUOTE:
            stack.clear()
        if ch == "\n":
            if stack:
                opener, pos = stack[0]
                cut = _cut_off(text, pos, i)
                if cut is not None:
                    spans.append(cut)
                    stack.clear()
                    continue
                after = _BLANK.match(text, i + 1)
                following = text[after.end() : after.end() + 1] if after else ""
                # runs on: the next paragraph opens it again, and it stood alone or after `said:`
                introduced = pos == 0 or text[pos - 1] == "\n" or text[max(0, pos - 2) : pos].strip() == ":"
                if following == opener and introduced and i - pos > 1:
                    spans.append(QuoteSpan(pos, pos + 1, i))
                stack.clear()
            continue
        if stack and ch in _closers(stack[-1][0]) and _is_closing(text, i, ch):
            opener, pos = stack.pop()
            if not stack and i - pos > 1:
                spans.append(QuoteSpan(pos, pos + 1, i))
            continue
        if len(stack) < 2 and _is_opening(text, i, ch):
            opens_line = i == 0 or text[i - 1] == "\n" or text[i - 2 : i] == ": "
            if ch in "‘'" and not opens_line and ((ch == "'" and stack) or not _single_quote_closes(text, i)):
                continue  # an apostrophe (`'90s`, `'tis`), not a quote that closes in its paragraph
            stack.append((ch, i))
    cut = _cut_off(text, stack[0][1], len(text)) if stack else None
    return [*spans, cut] if cut is not None else spans


def _cut_off(text: str, pos: int, end: int) -> QuoteSpan | None:
    """A quote that a feed's teaser cuts off (`“DeepSeek’s next model … should be...` and the text
    ends): the quote up to the ellipsis, when nothing but white space follows `end`."""
    rest = _BLANK.match(text, end)
    if rest is None or rest.end() < len(text):
        return None
    tail = text[pos:end].rstrip()
    for ellipsis in ("...", "…"):
        if tail.endswith(ellipsis) and len(tail) - len(ellipsis) > 1:
            return QuoteSpan(pos, pos + 1, pos + len(tail) - len(ellipsis))
    return None


def sentence_bounds(masked: str, start: int, end: int) -> tuple[int, int]:
    lo = max(0, start - ATTRIBUTION_CONTEXT)
    window = masked[lo:start]
    cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "), window.rfind("\n"))
    sent_start = lo + cut + 1 if cut >= 0 else lo
    after = _SENTENCE_END.search(masked, end + 1, min(len(masked), end + 1 + ATTRIBUTION_CONTEXT))
    sent_end = after.end() if after else min(len(masked), end + 1 + ATTRIBUTION_CONTEXT)
    return sent_start, sent_end
