"""A developer's plain `make test` explores exactly what CI explores, and stores nothing between runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import tests.property.conftest; from hypothesis import settings; "
    "print(settings.default.derandomize, settings.default.database, settings.default.max_examples)"
)


def _profile(**env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "NEWSBOT_REQUIRE_SERVICES", "HYPOTHESIS_PROFILE")
    }
    done = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_plain_runs_and_ci_runs_use_the_same_derandomized_profile_without_an_example_database() -> None:
    plain = _profile()
    assert plain == "True None 150"
    assert _profile(CI="true") == plain
    assert _profile(NEWSBOT_REQUIRE_SERVICES="1") == plain
