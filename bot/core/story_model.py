"""The fitted part of story grouping: a logistic score over a candidate story's named features, its
weights and threshold kept in `stories_model.json` (fitted by `scripts/fit_stories.py`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("stories_model.json")


@dataclass(frozen=True, slots=True)
class StoryModel:
    """A logistic score over a candidate's named features; `scripts/fit_stories.py` fits the weights
    and the threshold on labelled stories and writes them to `stories_model.json`."""

    weights: dict[str, float]
    bias: float
    threshold: float  # a candidate below this probability is not the entry's story

    def probability(self, values: dict[str, float]) -> float:
        """How likely the candidate is the entry's story."""
        z = self.bias + sum(weight * values.get(name, 0.0) for name, weight in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> StoryModel:
        """The model kept in `path` (JSON: weights, bias, threshold)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data["bias"]),
            float(data["threshold"]),
        )

    def dump(self, path: Path, notes: dict[str, object]) -> None:
        """Write the model to `path`, with `notes` on how it was fitted."""
        data = {"weights": self.weights, "bias": self.bias, "threshold": self.threshold, "fitted": notes}
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


MODEL = StoryModel.load()
