"""Fit story grouping's model (weights and threshold) on labelled stories, and score it held apart.

    .venv/bin/python scripts/fit_stories.py [data/stories/*.jsonl] [--folds 5] [--write]

Each file is one stream of entries (`{"id", "title", "summary", "published", "source", "lang",
"gold_story"}`, the format of the evaluation's story sets). The entries are replayed in time order
with every entry put into its true story; each candidate story the grouper considers for an entry
becomes one example (its named features; label: is it the entry's story). A logistic regression is
fitted on them, then the threshold is tuned by grouping the streams with the model: the lowest
threshold whose pairwise precision is at least `--min-precision` and whose F1 is best.

Scores are printed held apart: the stories are split into `--folds` folds; for each fold the model is
fitted and tuned on the other folds' stories only and groups the entries of that fold's stories.
`--write` then fits on everything and writes `bot/core/stories_model.json`.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json

from bot.core.stories import MODEL_PATH, StoryGrouper, StoryModel
from bot.model import StoryItem

DATA = Path(__file__).resolve().parent.parent / "data" / "stories"
FEATURES = (
    "rules",
    "similarity",
    "member",
    "points",
    "names",
    "figures",
    "events",
    "places",
    "distinctive",
    "other_language",
    "content",
    "titles",
    "size",
    "days",
)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(10, 20))  # never below even odds
L2 = 0.01  # keeps weights small on a small set
RULES_WEIGHT = 30.0  # what the rules accept is accepted: no other feature outweighs it


@dataclass(frozen=True)
class Entry:
    item: StoryItem
    gold: str  # "file:story", unique over all files


def read(paths: Sequence[Path]) -> list[list[Entry]]:
    """One time-ordered stream per file."""
    streams = []
    for path in paths:
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            published = datetime.fromisoformat(row["published"]) if row.get("published") else None
            item = StoryItem(
                id=row["id"],
                title=row.get("title") or "",
                summary=row.get("summary") or "",
                published=published,
                source=row.get("source") or "",
                lang=row.get("lang") or "",
            )
            entries.append(Entry(item, f"{path.stem}:{row['gold_story']}"))
        entries.sort(key=lambda e: e.item.published.timestamp() if e.item.published else 0.0)
        streams.append(entries)
    return streams


def examples(streams: Sequence[Sequence[Entry]]) -> list[tuple[dict[str, float], int, bool]]:
    """Every candidate of every entry, replayed with the true stories (and whether the evidence gate
    of the grouper turns it down whatever the model says)."""
    rows: list[tuple[dict[str, float], int, bool]] = []
    for stream in streams:
        grouper = StoryGrouper()
        story_of_gold: dict[str, str] = {}
        gold_of_story: dict[str, str] = {}
        for entry in stream:
            for story, probability, values in grouper.explain(entry.item):
                rows.append((values, int(gold_of_story.get(story) == entry.gold), probability == 0.0))
            story = story_of_gold.setdefault(entry.gold, entry.item.id)
            gold_of_story[story] = entry.gold
            grouper.restore(entry.item, story)
    return rows


def fit(rows: Sequence[tuple[dict[str, float], int]], epochs: int = 1500, rate: float = 0.5) -> StoryModel:
    """Logistic regression by gradient descent on standardised features (positives weighted up to
    balance the classes), turned back into weights of the raw features."""
    n = len(rows) or 1
    mean = {k: sum(v.get(k, 0.0) for v, _ in rows) / n for k in FEATURES}
    spread = {k: math.sqrt(sum((v.get(k, 0.0) - mean[k]) ** 2 for v, _ in rows) / n) or 1.0 for k in FEATURES}
    data = [([(v.get(k, 0.0) - mean[k]) / spread[k] for k in FEATURES], label) for v, label in rows]
    positives = sum(label for _, label in rows) or 1
    balance = max(1.0, (len(rows) - positives) / positives)
    weights = [0.0] * len(FEATURES)
    bias = 0.0
    for _ in range(epochs):
        grad = [0.0] * len(FEATURES)
        grad_bias = total = 0.0
        for x, label in data:
            z = bias + sum(w * xi for w, xi in zip(weights, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
            weight = balance if label else 1.0
            error = (p - label) * weight
            total += weight
            grad_bias += error
            for i, xi in enumerate(x):
                grad[i] += error * xi
        bias -= rate * grad_bias / total
        weights = [w - rate * (g / total + L2 * w) for w, g in zip(weights, grad, strict=True)]
    raw = {k: w / spread[k] for k, w in zip(FEATURES, weights, strict=True)}
    raw_bias = bias - sum(raw[k] * mean[k] for k in FEATURES)
    return StoryModel({k: round(v, 4) for k, v in raw.items()}, round(raw_bias, 4), 0.5)


def group(streams: Sequence[Sequence[Entry]], model: StoryModel) -> list[tuple[str, str]]:
    """(found story, gold story) of every entry, grouped with `model`."""
    found = []
    for index, stream in enumerate(streams):
        grouper = StoryGrouper(model=model)
        for entry in stream:
            found.append((f"{index}:{grouper.assign(entry.item).story}", entry.gold))
    return found


def scores(assigned: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Pairwise precision, recall, F1 and B-cubed F1."""
    same_found = same_gold = both = 0
    for (f1, g1), (f2, g2) in itertools.combinations(assigned, 2):
        same_found += f1 == f2
        same_gold += g1 == g2
        both += f1 == f2 and g1 == g2
    precision = both / same_found if same_found else 1.0
    recall = both / same_gold if same_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    b3p = b3r = 0.0
    for found, gold in assigned:
        cluster = [g for f, g in assigned if f == found]
        true = [f for f, g in assigned if g == gold]
        hits = sum(g == gold for g in cluster)
        b3p += hits / len(cluster)
        b3r += hits / len(true)
    b3p, b3r = b3p / len(assigned), b3r / len(assigned)
    b3 = 2 * b3p * b3r / (b3p + b3r) if b3p + b3r else 0.0
    return {"pair_p": precision, "pair_r": recall, "pair_f1": f1, "b3_f1": b3}


def tuned(streams: Sequence[Sequence[Entry]], min_precision: float) -> StoryModel:
    """The model fitted on `streams`, its threshold tuned on them.

    What the hand-written rules accept stays accepted (they are precise: the weight of `rules` is
    fixed high); the regression learns which of the candidates they reject are the story all the
    same (reports in another language, a follow-up with a new toll)."""
    fitted = fit([(v, label) for v, label, gated in examples(streams) if not v["rules"] and not gated])
    base = StoryModel({**fitted.weights, "rules": RULES_WEIGHT}, fitted.bias, 0.5)
    best: tuple[float, float] | None = None
    for threshold in THRESHOLDS:
        model = StoryModel(base.weights, base.bias, threshold)
        got = [scores(group([stream], model)) for stream in streams if stream]
        precise = all(g["pair_p"] >= min_precision for g in got)
        key = (1.0 if precise else 0.0, sum(g["pair_f1"] + g["b3_f1"] for g in got))
        if best is None or key > best:
            best, chosen = key, threshold
    return StoryModel(base.weights, base.bias, chosen)


def only(streams: Sequence[Sequence[Entry]], stories: set[str]) -> list[list[Entry]]:
    return [[e for e in stream if e.gold in stories] for stream in streams]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-precision", type=float, default=0.95)
    parser.add_argument("--write", action="store_true", help=f"write the full-set model to {MODEL_PATH}")
    args = parser.parse_args()
    files = args.files or sorted(DATA.glob("*.jsonl"))
    streams = read(files)

    current = StoryModel.load()
    for name, stream in zip(files, streams, strict=True):
        print(f"current model, full set {name.name}: {_fmt(scores(group([stream], current)))}")

    stories = sorted({e.gold for stream in streams for e in stream})
    random.Random(args.seed).shuffle(stories)
    held: list[tuple[str, str]] = []
    per_file: dict[int, list[tuple[str, str]]] = {}
    for fold in range(args.folds):
        test = set(stories[fold :: args.folds])
        model = tuned(only(streams, set(stories) - test), args.min_precision)
        for index, stream in enumerate(only(streams, test)):
            got = [(f"{fold}:{f}", g) for f, g in group([stream], model)]
            held += got
            per_file.setdefault(index, []).extend(got)
        print(f"fold {fold + 1}: threshold {model.threshold}")
    for index, name in enumerate(files):
        print(f"held apart ({args.folds}-fold by story), {name.name}: {_fmt(scores(per_file[index]))}")
    print(f"held apart, all: {_fmt(scores(held))}")
    if len(streams) > 1:
        # a file is a window of its own (a day of feeds is denser than a fold of its stories): each file
        # grouped whole by the model fitted on the others
        for index, name in enumerate(files):
            others = [stream for other, stream in enumerate(streams) if other != index]
            model = tuned(others, args.min_precision)
            got = scores(group([streams[index]], model))
            print(f"held apart (fitted on the other files), {name.name}: {_fmt(got)}")

    if args.write:
        model = tuned(streams, args.min_precision)
        notes = {"files": [f.name for f in files], "min_precision": args.min_precision}
        model.dump(MODEL_PATH, notes)
        print(f"wrote {MODEL_PATH}: {model}")
        for name, stream in zip(files, streams, strict=True):
            print(f"fitted model, full set {name.name}: {_fmt(scores(group([stream], model)))}")


def _fmt(got: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3f}" for k, v in got.items())


if __name__ == "__main__":
    main()
