"""Hypothesis profiles for the property tests: one fixed budget, the same run everywhere.

A developer's plain `make test` and CI run the same `newsbot` profile: derandomized (every run
explores the same examples, so a failure reproduces and no run fails by chance) and without an
example database (no failing example stored by one run can fail every later run in that clone).
To hunt for new failures, choose a random profile with HYPOTHESIS_PROFILE: `explore` (random
examples, stored in .hypothesis/ for replay) or `thorough` (the same with 2,000 examples a test).
A failure found there becomes an explicit `@example` beside its test, never only a stored one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

settings.register_profile(
    "newsbot",
    max_examples=150,
    deadline=None,
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
    derandomize=True,
    database=None,
    print_blob=True,
)
_SAME_EVERYWHERE = settings.get_profile("newsbot")
settings.register_profile(
    "explore",
    _SAME_EVERYWHERE,
    derandomize=False,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
)
settings.register_profile("thorough", settings.get_profile("explore"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "newsbot")
