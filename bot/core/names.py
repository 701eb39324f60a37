"""The most distinctive names of a text: what "Track this story's topic" offers as the topic.

A name is a run of capitalised words inside a sentence (`Mark Rutte`, `Nordkorea`) or an acronym
(`NATO`); a capital at the start of a sentence or line says nothing. Names are ranked as a search
engine ranks words (how often the text names them, times how rare they are in a background of other
texts: the stored entries of the last days), so that a name every story carries (`Russland` on a day
of war news) ranks below the one this story is about; ties go to the name the text names first.
Pure functions; no word lists of their own beyond the stop words of bot.core.text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from bot.core.folding import fold
from bot.core.text import Token, is_stop_word, tokenize

_OPENERS = frozenset('.!?:;"“”„»«‘’‚()[]–—-|…•')
MAX_NAME_WORDS = 4


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() and token[:1].isalpha()


def names_in(text: str, tokens: Sequence[Token] | None = None) -> list[str]:
    """The names of `text` in order of first appearance, each once (compared without case);
    `tokens`: the text's tokens when the caller has them (an entry's analysis)."""
    found: dict[str, str] = {}
    run: list[str] = []
    run_initial = False
    previous = ""
    end = 0
    for token, start, _ in tokens if tokens is not None else tokenize(text):
        if text.count("\n", end, start) or text.count("\r", end, start):  # a new line: a new start
            _close(run, run_initial, found)
            run, previous = [], ""
        end = start + len(token)
        initial = previous == "" or previous in _OPENERS
        if _is_capitalised(token) and not is_stop_word(token) and len(run) < MAX_NAME_WORDS:
            if not run:
                run_initial = initial
            run.append(token)
        else:
            _close(run, run_initial, found)
            run = []
        previous = token if not token[:1].isalnum() else "w"
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
