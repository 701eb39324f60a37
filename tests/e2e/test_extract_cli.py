"""`newsbot extract` prints the key figure and key quote with their confidence and, with --explain,
the features that decided; `newsbot preview --explain` says why."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES
from tests.e2e.test_run_once import newsbot


def test_extract_json_gives_confidence_and_explains_the_choice() -> None:
    run = newsbot(
        "extract", "--json", "--explain", "--topic", "Nordkorea", str(FIXTURES / "seed-article-de.txt")
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["key_figure"]["text"] == "10.000 Soldaten"
    assert 0.5 < out["key_figure"]["confidence"] <= 1.0
    assert out["key_quote"]["speaker"] == "Sabrina Singh"
    assert 0.0 < out["key_quote"]["confidence"] <= 1.0
    best = out["explain"]["figure"][0]
    assert best["features"]["unit_people"] > 0 and best["features"]["topic_in_sentence"] > 0
    assert set(out["explain"]["thresholds"]) == {"figure", "quote"}


def test_an_article_without_numbers_or_quotes_gives_null_for_both(tmp_path: Path) -> None:
    article = tmp_path / "plain.txt"
    article.write_text(
        "Der Rat tagt erneut\nDer Rat hat am Montag erneut beraten. Ein Ergebnis gibt es nicht.\n"
    )
    run = newsbot("extract", "--json", str(article))
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["key_figure"] is None and out["key_quote"] is None


def test_preview_explain_says_why_the_figure_and_quote_were_chosen() -> None:
    run = newsbot("preview", "--explain", "--topic", "Nordkorea", str(FIXTURES / "seed-article-de.txt"))
    assert run.returncode == 0, run.stderr
    why = run.stdout.split("── why this figure and quote", 1)[1]
    assert "Figure: shown, “10.000 Soldaten”" in why and "confidence" in why
    assert "Quote: shown" in why and "named_speaker" in why
