"""The most distinctive names of a text: what "Track this story's topic" offers as the topic.

A name is a run of capitalised words inside a sentence (`Mark Rutte`, `Nordkorea`) or an acronym
(`NATO`); a capital at the start of a sentence or line says nothing. Names are ranked as a search
engine ranks words (how often the text names them, times how rare they are in a background of other
texts: the stored entries of the last days), so that a name every story carries (`Russland` on a day
of war news) ranks below the one this story is about; ties go to the name the text names first.
Pure functions; no word lists of their own beyond the stop words of bot.core.lang.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from bot.core import lang as lang_data
from bot.core.folding import fold, fold_cached
from bot.core.text import Token, tokenize

_LINE_BREAK = re.compile("[\n\r]")
_APOSTROPHES = frozenset("'’")
_OPENERS = frozenset('.!?:;"“”„»«‘’‚()[]–—-|…•')
MAX_NAME_WORDS = 4


def names_in(text: str, tokens: Sequence[Token] | None = None) -> list[str]:
    """The names of `text` in order of first appearance, each once (compared without case);
    `tokens`: the text's tokens when the caller has them (an entry's analysis)."""
    found: dict[str, str] = {}
    run: list[str] = []
    run_initial = False
    previous = ""
    breaks = iter([m.start() for m in _LINE_BREAK.finditer(text)] + [len(text)])
    next_break = next(breaks)
    stop_words = lang_data.stop_words()
    for token, start, _ in tokens if tokens is not None else tokenize(text):
        if start > next_break:  # a new line: its first word is capitalised for the line
            while start > next_break:
                next_break = next(breaks)
            if run:
                _close(run, run_initial, found)
                run = []
            previous = ""
        first = token[0]
        if first in _APOSTROPHES and previous == "w" and text[start - 1 : start].isalnum():
            continue  # `Mars’ Album`: a possessive's apostrophe, not a quote that opens a sentence
        if (
            first.isupper()
            and first.isalpha()
            and len(run) < MAX_NAME_WORDS
            and fold_cached(token) not in stop_words
        ):
            if not run:
                run_initial = previous == "" or previous in _OPENERS
            run.append(token)
        elif run:
            _close(run, run_initial, found)
            run = []
        previous = token if not first.isalnum() else "w"
    if run:
        _close(run, run_initial, found)
    return list(found.values())


def _close(run: list[str], initial: bool, found: dict[str, str]) -> None:
    """Keep a run of capitalised words as a name unless its only capital is the sentence start's."""
    if not run:
        return
    if initial and not run[0].isupper():
        run = run[1:]  # `Offenbar Nordkorea …`: the first word is capitalised for the sentence
    if not run or (len(run) == 1 and len(run[0]) < 2):
        return
    name = " ".join(run)
    found.setdefault(fold(name), name)


def distinctive_names(text: str, background: Iterable[str], limit: int = 3) -> list[str]:
    """The `limit` names of `text` that are rarest in `background`, rarest first."""
    names = names_in(text)
    if not names:
        return []
    keys = {fold(name): name for name in names}
    patterns = {key: re.compile(rf"(?<!\w){re.escape(key)}(?!\w)") for key in keys}
    documents = 0
    frequency = dict.fromkeys(keys, 0)
    for document in background:
        documents += 1
        folded = fold(document)
        for key, pattern in patterns.items():
            if pattern.search(folded):
                frequency[key] += 1
    folded_text = fold(text)
    order = {key: i for i, key in enumerate(keys)}

    def rank(key: str) -> tuple[float, int]:
        rarity = math.log((documents + 1) / (frequency[key] + 1))
        return (-len(patterns[key].findall(folded_text)) * rarity, order[key])

    return [keys[key] for key in sorted(keys, key=rank)[:limit]]
