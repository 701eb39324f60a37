"""Hypothesis profiles for the property tests: a fixed budget, deterministic in CI.

`ci` (chosen when CI or NEWSBOT_REQUIRE_SERVICES is set, as .ci/run does) derandomizes, so a CI run
explores the same examples every time and a failure reproduces; `dev` keeps the same budget with
random examples and the example database, so local runs keep exploring; `thorough` (2,000 examples a
test) is for hunting. Override with HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "base",
    max_examples=150,
    deadline=None,
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)
_BASE = settings.get_profile("base")
settings.register_profile("ci", _BASE, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", _BASE)
settings.register_profile("thorough", _BASE, max_examples=2000)
_IN_CI = os.environ.get("CI") or os.environ.get("NEWSBOT_REQUIRE_SERVICES")  # .ci/run sets the latter
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _IN_CI else "dev"))
