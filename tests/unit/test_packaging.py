"""The package metadata builds without deprecation warnings on a fresh install."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    # the table form (`license = { text = "MIT" }`) makes setuptools warn on every install
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    requires = data["build-system"]["requires"]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    assert setuptools.startswith("setuptools>=") and int(setuptools.split(">=")[1].split(".")[0]) >= 77
