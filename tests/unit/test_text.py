"""Normalisation for German and English text: folding, tokens, stems, stop words, language."""

from __future__ import annotations

import pytest

from bot.core.folding import fold, strip_invisible
from bot.core.text import (
    detect_language,
    is_stop_word,
    read_article,
    stem,
    tokens_and_gaps,
    words,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Müller", "Mueller"),
        ("MÜLLER", "mueller"),
        ("Straße", "Strasse"),
        ("STRASSE", "straße"),
        ("Österreich", "Oesterreich"),
        ("Atlético", "Atletico"),
        ("Nord\u200bkorea", "Nordkorea"),
        ("Nord\u00adkorea", "Nordkorea"),
    ],
)
def test_fold_makes_spellings_of_one_word_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_keeps_different_words_apart() -> None:
    assert fold("Nordkorea") != fold("Südkorea")
    assert fold("Bundestag") != fold("Bundesrat")


def test_fold_turns_typographic_dashes_and_apostrophes_plain() -> None:
    assert fold("Ukraine–Krieg") == "ukraine-krieg"
    assert fold("Microsoft’s") == "microsoft's"


def test_strip_invisible_removes_zero_width_and_soft_hyphen() -> None:
    assert strip_invisible("Pjöng\u200bjang\u00ad\ufeff") == "Pjöngjang"


def test_tokens_and_gaps_split_at_dashes_and_punctuation_and_keep_digits() -> None:
    tokens, gaps = tokens_and_gaps("Nordkorea-Politik, sagte G7-Chef.")
    assert tokens == ["Nordkorea", "Politik", "sagte", "G7", "Chef"]
    assert gaps == ["-", ", ", " ", "-", "."]


@pytest.mark.parametrize(
    ("inflected", "base"),
    [
        ("raketen", "rakete"),
        ("nordkoreas", "nordkorea"),
        ("weihnachtsmarktes", "weihnachtsmarkt"),
        ("soldaten", "soldat"),
        ("muellers", "mueller"),
        ("bundestages", "bundestag"),
    ],
)
def test_german_stem_joins_inflected_forms(inflected: str, base: str) -> None:
    assert stem(inflected, "de") == stem(base, "de")


def test_german_stem_keeps_short_words_apart() -> None:
    assert stem("eisen", "de") != stem("eis", "de")
    assert stem("kurs", "de") == "kurs"


@pytest.mark.parametrize(
    ("inflected", "base"),
    [("printers", "printer"), ("countries", "country"), ("yahoo's", "yahoo"), ("churches", "church")],
)
def test_english_stem_joins_plural_and_possessive(inflected: str, base: str) -> None:
    assert stem(inflected, "en") == stem(base, "en")


def test_english_stem_leaves_words_ending_in_s_alone() -> None:
    assert stem("paris", "en") == "paris"
    assert stem("business", "en") == "business"


def test_stop_words_in_both_languages_and_any_spelling() -> None:
    assert is_stop_word("Über") and is_stop_word("der") and is_stop_word("THE")
    assert not is_stop_word("Nordkorea")


def test_detect_language() -> None:
    assert detect_language("Die NATO bestätigt, dass die Soldaten in der Region sind.") == "de"
    assert detect_language("The company said that the printers were programmed to fail.") == "en"
    assert detect_language("", default="de") == "de"


def test_words_drop_digits_and_punctuation() -> None:
    assert words("Am 3. Mai: Müller's Plan") == ["Am", "Mai", "Müller's", "Plan"]


def test_fold_reads_decomposed_umlauts_as_umlauts() -> None:
    # NFD text (u + combining diaeresis) used to fold to `muller`, NFC `Müller` to `mueller`
    assert fold("Mu\u0308ller") == fold("Müller") == "mueller"
    assert fold("A\u0308rger") == "aerger"


def test_fold_of_a_folded_word_is_the_same_word() -> None:
    assert fold("㎒") == fold(fold("㎒")) == "mhz"  # NFKD gives capitals: `MHz`
    assert fold("ǅ") == "dz"


def test_read_article_headline_is_one_line_whatever_the_line_ends() -> None:
    old_mac = read_article("Titel\rErster Absatz.\rZweiter Absatz.")
    assert old_mac.title == "Titel" and old_mac.text == "Erster Absatz.\nZweiter Absatz."
    assert read_article("Titel&#10;weiter\nText").title == "Titel weiter"
    assert read_article("Titel\u2028Text").title == "Titel"
