"""Learning from feedback: precision of one ambiguous topic's alerts, with and without verdicts.

Replays `tests/fixtures/feedback/apple_stream.jsonl` (the company and the fruit; the channel wants
the company) through the real pipeline, store and command grammar, three times in the same run:
no feedback (the baseline), five *not relevant* verdicts with `settings learn on`, and the same
five verdicts with the proposed exclusion accepted instead. Prints, for the items after the
reader's last verdict, how many messages reached the channel and the share that was wanted.

    .venv/bin/python bench/feedback.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store.db import Store
from tests.feedback_replay import Replay, replay


def run(name: str, marks: int, learn: bool, accept: bool) -> Replay:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'newsbot.sqlite'}")
        store.upgrade()
        try:
            return replay(store, Path(tmp), marks=marks, learn=learn, accept=accept)
        finally:
            store.close()


def main() -> None:
    started = time.perf_counter()
    baseline = run("baseline", 0, False, False)
    learned = run("learn", 5, True, False)
    accepted = run("accept", 5, False, True)
    cut = learned.marked_until
    print(f"stream: 40 items, half unwanted; the reader judges the first 5 unwanted alerts (items 0-{cut})")
    print(f"{'run':38} {'messages':>8} {'wanted':>7} {'precision':>9}")
    for label, result in (
        ("no feedback (baseline)", baseline),
        ("5 verdicts, settings learn on", learned),
        ("5 verdicts, proposed exclusion taken", accepted),
    ):
        precision, count = result.precision_after(cut)
        wanted = sum(w for n, w in result.delivered if n > cut)
        print(f"{label:38} {count:>8} {wanted:>7} {precision:>9.2f}")
    offer = next((r for r in learned.replies if "Reply: " in r), "no offer")
    print(f"the offer: {offer.split('. ', 1)[-1]}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
