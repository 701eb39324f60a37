"""What a fresh `pip install -e '.[test]'` gets: every module the bot imports at run time is declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _declared() -> dict[str, str]:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    found = {}
    for line in dependencies:
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*(.*)", line)
        assert match, line
        name, spec = match.groups()
        found[re.sub(r"[-_.]+", "-", name).lower()] = spec
    return found


def test_lxml_html_clean_is_declared_with_a_lower_bound() -> None:
    """trafilatura imports lxml.html.clean, which lxml 5.2 moved to the separate lxml_html_clean."""
    assert _declared().get("lxml-html-clean", "").startswith(">=")


def test_full_text_extraction_imports_on_this_install() -> None:
    import lxml.html.clean
    import trafilatura

    html = "<html><body><nav>Menu</nav><article><p>" + "The summit ended with a joint text. " * 20
    assert lxml.html.clean.Cleaner is not None
    assert "joint text" in (trafilatura.extract(html + "</p></article></body></html>") or "")
