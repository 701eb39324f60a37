"""Fit the weights of the key-figure and key-quote choice on labelled articles, and say how well they do.

    .venv/bin/python scripts/fit_extract.py [--data FILE …] [--write] [--folds 5]

`--data` may be given several times (default: `labelled/dev/extract.jsonl`; format:
`labelled/dev/README.md`). Each labelled article is read as `newsbot extract` reads it, and
`bot.core.keypoints.explain_keypoints` lists its candidates with their features. A conditional logit
(a softmax over one article's candidates and "nothing", fitted by gradient ascent with an L2 pull
towards the prior weights given below) learns one weight per feature. The script prints the shipped
weights' score, the k-fold cross-validated scores (fit on k-1 folds, score the held-out fold through
`extract_keypoints`, the code path of the CLI) and the score on the full set, then, with `--write`,
stores the full-set weights and the thresholds in `bot/core/lang/extract_weights.json`. With several
files the CV runs twice on the same folds, once fitted on the first file alone and once on all files,
and each is scored per file: so one can see whether the added data helps on articles not fitted on.
The folds are fixed (each file's items sorted by id, dealt round-robin), so the same data gives the
same numbers, and the first file's folds are those it has alone.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.keypoints import explain_keypoints, extract_keypoints  # noqa: E402
from bot.core.lang import Weights  # noqa: E402
from bot.core.matching import QueryError, parse_topic  # noqa: E402
from bot.core.text import read_article  # noqa: E402
from bot.model import Article, Figure, KeyPoints, Quote, TopicQuery  # noqa: E402

WEIGHTS_FILE = ROOT / "bot" / "core" / "lang" / "extract_weights.json"
DEFAULT_DATA = ROOT / "labelled" / "dev" / "extract.jsonl"
QUOTE_MARKS = "„“”\"»«‚‘’'›‹ "

# The prior: what an editor would say before seeing data (a headline figure that counts people or money
# beats a bare number in the body). Fitting pulls away from it only as far as the data insists.
PRIOR_FIGURE = {
    "unit_people": 1.5, "unit_money": 1.5, "unit_percent": 1.2, "unit_count": 0.8, "unit_measure": 0.4,
    "unit_vague": -0.8, "unit_duration": -1.5, "unit_bare": -3.0, "in_headline": 3.0, "in_lead": 1.0,
    "topic_in_sentence": 2.0, "headline_words_in_sentence": 1.6, "repeated": 0.5, "inside_quote": -0.5,
    "says_what_it_counts": 0.6, "written_out": -2.0, "later_in_text": -1.0, "nothing": -1.0,
    "in_parentheses": -1.5, "after_threshold_word": -2.0, "bound": -0.3, "value_in_headline": 1.0,
    "background_sentence": -0.5, "below_ten": -0.3, "unit_in_headline": 0.5,
    "written_out_with_unit": -0.5, "kind_cued_by_headline": 0.8, "bare_large": 1.5,
    "bound_with_exact_value": -1.0, "capitalised_noun": -1.5, "fact_in_headline": 0.5,
    "follows_name": -1.5, "no_single_value": -2.0, "compound_adjective": -0.5,
    "value_before_change": -2.0, "value_after_change": 0.5,
}  # fmt: skip
PRIOR_QUOTE = {
    "fragment": -7.0, "named_speaker": 2.0, "role_only": 1.0, "starts_lower_case": -1.0, "short": -1.0,
    "long": -2.0, "topic_in_quote": 2.0, "topic_in_sentence": 1.5, "in_headline": 1.5, "in_lead": 0.5,
    "headline_words_in_quote": 1.2, "later_in_text": -1.0, "nothing": -10.0, "headline_clip": -2.0,
    "clipped_in_headline": 0.5, "speaker_in_headline": 0.5,
    "first_full_quote": 0.5, "topic_speaks": 1.0,
}  # fmt: skip


@dataclass(slots=True)
class Item:
    """One labelled article, read as the CLI reads it, with its candidates' features and labels."""

    id: str
    origin: Path
    fold: int
    article: Article
    topic: TopicQuery | None
    topic_error: str | None
    gold: dict[str, Any]
    figure_options: list[tuple[dict[str, float], bool]]  # (features, right answer?), "nothing" first
    quote_options: list[tuple[dict[str, float], bool]]


def norm(text: str | None) -> str:
    """Text compared as the shared scorer compares it: NFKC, case-folded, outer quote marks off."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(folded.strip(QUOTE_MARKS).split())


def figure_right(figure: Figure | None, gold: Sequence[dict[str, Any]]) -> bool:
    """Right when no figure is due and none is given, or value (within 0.5 %) and a unit word agree."""
    if not gold:
        return figure is None
    if figure is None:
        return False
    for want in gold:
        value = float(want["value"])
        if abs(figure.value - value) <= max(1e-9, abs(value) * 0.005):
            units = [norm(u) for u in want.get("unit_any", [])]
            if not units or any(u in norm(figure.text) or u in norm(figure.unit) for u in units):
                return True
    return False


def quote_right(quote: Quote | None, gold_text: str) -> bool:
    """Right when the quote starts like the gold quote (its first 60 characters, allowing small slips)."""
    want, got = norm(gold_text)[:60], norm(quote.text if quote else None)
    if not want or not got:
        return False
    if want in got:
        return True
    head = got[: len(want) + 10]
    return SequenceMatcher(None, head, want).find_longest_match(0, len(head), 0, len(want)).size >= 0.9 * len(
        want
    )


def load(paths: Sequence[Path], folds: int) -> list[Item]:
    """Every labelled article of `paths`, with the features of its candidates under the current code and
    its fold (its place among its own file's items by id, dealt round-robin)."""
    items: list[Item] = []
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for place, raw in enumerate(sorted(rows, key=lambda row: str(row["id"]))):
            article = read_article(raw["title"].strip() + "\n" + raw["text"].strip() + "\n")
            topic: TopicQuery | None = None
            error = None
            if raw.get("topic"):
                try:
                    topic = parse_topic(raw["topic"])
                except QueryError as exc:  # the CLI refuses this topic too: a miss on every count
                    error = str(exc)
            explanation = explain_keypoints(article, topic)
            gold = raw["gold"]
            figures = [
                (dict(s.features), figure_right(s.candidate, gold["figures"])) for s in explanation.figures
            ]
            quotes = [
                (
                    dict(s.features),
                    (not gold["quotes"] and s.candidate is None)
                    or any(
                        s.candidate is not None and quote_right(s.candidate, g["text"])
                        for g in gold["quotes"]
                    ),
                )
                for s in explanation.quotes
            ]
            items.append(Item(raw["id"], path, place % folds, article, topic, error, gold, figures, quotes))
    return items


def fit(
    groups: list[list[tuple[dict[str, float], bool]]], prior: dict[str, float], l2: float
) -> dict[str, float]:
    """Weights maximising the log-likelihood that a right option wins its group, minus l2·|w − prior|²."""
    names = sorted({name for group in groups for features, _ in group for name in features} | set(prior))
    index = {name: i for i, name in enumerate(names)}
    dense = [
        [({index[k]: v for k, v in features.items()}, right) for features, right in group]
        for group in groups
        if any(right for _, right in group) and not all(right for _, right in group)
    ]
    start = [prior.get(name, 0.0) for name in names]
    w = list(start)
    rate = 0.05
    m = [0.0] * len(w)
    v = [0.0] * len(w)
    for step in range(1, 1501):  # Adam on the concave objective
        grad = [-2 * l2 * (w[i] - start[i]) for i in range(len(w))]
        for group in dense:
            scores = [sum(w[i] * x for i, x in f.items()) for f, _ in group]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            right_total = sum(e for e, (_, r) in zip(exps, group, strict=True) if r)
            for e, (f, r) in zip(exps, group, strict=True):
                coef = (e / right_total if r else 0.0) - e / total
                for i, x in f.items():
                    grad[i] += coef * x
        for i in range(len(w)):
            m[i] = 0.9 * m[i] + 0.1 * grad[i]
            v[i] = 0.999 * v[i] + 0.001 * grad[i] ** 2
            w[i] += rate * (m[i] / (1 - 0.9**step)) / (math.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)
    return {name: round(w[index[name]], 4) for name in names if abs(w[index[name]]) > 1e-4}


@dataclass(slots=True)
class Score:
    """The shared scorer's three numbers: key figure over all articles, key quote over articles with a
    gold quote, speaker over right quotes whose gold names one (its surname must appear)."""

    figure: int = 0
    articles: int = 0
    quote: int = 0
    quoted: int = 0
    speaker: int = 0
    spoken: int = 0
    quote_abstained_right: int = 0
    unquoted: int = 0

    def add(self, item: Item, points: KeyPoints | None) -> None:
        self.articles += 1
        figure = points.figure if points else None
        quote = points.quote if points else None
        self.figure += figure_right(figure, item.gold["figures"]) and points is not None
        golds = item.gold["quotes"]
        if not golds:
            self.unquoted += 1
            self.quote_abstained_right += quote is None
            return
        self.quoted += 1
        hit = next((g for g in golds if quote_right(quote, g["text"])), None)
        if hit is None or quote is None:
            return
        self.quote += 1
        if hit.get("speaker"):
            self.spoken += 1
            self.speaker += norm(hit["speaker"]).split()[-1] in norm(quote.speaker)

    def line(self) -> str:
        def pct(a: int, b: int) -> str:
            return f"{100.0 * a / b:5.1f} %" if b else "  n/a"

        return (
            f"key_figure {pct(self.figure, self.articles)} ({self.figure}/{self.articles})  "
            f"key_quote {pct(self.quote, self.quoted)} ({self.quote}/{self.quoted})  "
            f"speaker {pct(self.speaker, self.spoken)} ({self.speaker}/{self.spoken})  "
            f"no quote where none is due {self.quote_abstained_right}/{self.unquoted}"
        )


def weights_for(items: Sequence[Item], l2: float, base: Weights) -> Weights:
    """Weights fitted on `items`; thresholds chosen on the same items (the highest that loses nothing)."""
    figure = fit([item.figure_options for item in items], PRIOR_FIGURE, l2)
    quote = fit([item.quote_options for item in items], PRIOR_QUOTE, l2)
    fitted = Weights(MappingProxyType(figure), MappingProxyType(quote), 0.0, 0.0)
    return Weights(
        fitted.figure, fitted.quote, _threshold(items, fitted, "figure"), _threshold(items, fitted, "quote")
    )


def _threshold(items: Sequence[Item], weights: Weights, part: str) -> float:
    """The confidence threshold that keeps the most right answers (abstaining counts as right where the
    gold has nothing): the middle of the range of thresholds that do equally well, since its ends are
    where the next unseen article would tip either way."""
    chosen: list[tuple[float, bool, bool]] = []  # (confidence, shown answer right, abstaining right)
    for item in items:
        best = getattr(explain_keypoints(item.article, item.topic, weights), part)
        if best is None or best.candidate is None:
            continue
        if part == "figure":
            shown = figure_right(best.candidate, item.gold["figures"])
            empty = not item.gold["figures"]
        else:
            shown = any(quote_right(best.candidate, g["text"]) for g in item.gold["quotes"])
            empty = not item.gold["quotes"]
        chosen.append((best.confidence, shown, empty))
    results = [
        (sum(shown if c >= t else empty for c, shown, empty in chosen), t)
        for t in sorted({0.0} | {c for c, _, _ in chosen})
    ]
    most = max(right for right, _ in results)
    plateau = [t for right, t in results if right == most]
    return round((plateau[0] + plateau[-1]) / 2, 3)


def score(items: Sequence[Item], weights: Weights, verbose: bool = False) -> Score:
    """The scorer's numbers for `items` under `weights`, each article run through `extract_keypoints`."""
    total = Score()
    for item in items:
        points = None if item.topic_error else extract_keypoints(item.article, item.topic, weights)
        total.add(item, points)
        if verbose and points is not None:
            if not figure_right(points.figure, item.gold["figures"]):
                due = [f"{g['value']:g} {'/'.join(g.get('unit_any', []))}" for g in item.gold["figures"]]
                print(
                    f"  figure miss {item.id}: {points.figure.text if points.figure else None!r}, due {due}"
                )
            golds = item.gold["quotes"]
            if golds and not any(quote_right(points.quote, g["text"]) for g in golds):
                print(f"  quote miss {item.id}: {(points.quote.text if points.quote else '')[:70]!r}")
        elif verbose:
            print(f"  refused topic {item.id}: {item.topic_error}")
    return total


def cross_validate(
    items: Sequence[Item], fitted_on: Sequence[Path], folds: int, l2: float, base: Weights, verbose: bool
) -> dict[Path, Score]:
    """Held-out scores per file: each fold's items scored under weights fitted on the other folds' items
    of the files `fitted_on`."""
    held_out = {path: Score() for path in {item.origin for item in items}}
    for fold in range(folds):
        train = [item for item in items if item.fold != fold and item.origin in fitted_on]
        weights = weights_for(train, l2, base)
        for path, total in held_out.items():
            test = [item for item in items if item.fold == fold and item.origin == path]
            result = score(test, weights, verbose)
            for name in total.__slots__:
                setattr(total, name, getattr(total, name) + getattr(result, name))
    return held_out


def report(label: str, scores: dict[Path, Score], paths: Sequence[Path]) -> None:
    """One line per file (and for all files together when there are several)."""
    for path in paths:
        print(f"{label} | {_short(path)}: {scores[path].line()}")
    if len(paths) > 1:
        total = Score()
        for path in paths:
            for name in total.__slots__:
                setattr(total, name, getattr(total, name) + getattr(scores[path], name))
        print(f"{label} | all: {total.line()}")


def _short(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", action="append", type=Path, help=f"labelled file, repeatable (default {DEFAULT_DATA.name})"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0, help="pull towards the prior weights")
    parser.add_argument("--write", action="store_true", help="store the weights fitted on all files")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    paths = [path.resolve() for path in (args.data or [DEFAULT_DATA])]
    items = load(paths, args.folds)
    base = Weights.from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))
    counts = ", ".join(f"{_short(p)} {sum(item.origin == p for item in items)}" for p in paths)
    print(f"{len(items)} labelled articles: {counts}")
    report("shipped weights", {p: score([i for i in items if i.origin == p], base) for p in paths}, paths)
    if len(paths) > 1:
        alone = cross_validate(items, paths[:1], args.folds, args.l2, base, False)
        report(f"{args.folds}-fold CV, fitted on {_short(paths[0])}", alone, paths)
    together = cross_validate(items, paths, args.folds, args.l2, base, args.verbose)
    report(
        f"{args.folds}-fold CV, fitted on {'all files' if len(paths) > 1 else _short(paths[0])}",
        together,
        paths,
    )
    full = weights_for(items, args.l2, base)
    report("fit on full set", {p: score([i for i in items if i.origin == p], full) for p in paths}, paths)
    print(f"thresholds: figure {full.figure_threshold:.3f}, quote {full.quote_threshold:.3f}")
    if args.write:
        WEIGHTS_FILE.write_text(json.dumps(full.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
