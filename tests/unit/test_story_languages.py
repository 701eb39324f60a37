"""Story identity across German and English: the event table, the CLDR places, and bad input."""

from __future__ import annotations

import pytest

from bot.core.folding import fold
from bot.core.lang.events import EVENTS, event_of
from bot.core.lang.places import CITIES, country_groups
from bot.core.stories import StoryGrouper
from tests.unit.test_stories import item


@pytest.mark.parametrize(("token", "german", "english"), EVENTS, ids=[e[0] for e in EVENTS])
def test_every_word_of_an_event_entry_reads_as_its_token(
    token: str, german: tuple[str, ...], english: tuple[str, ...]
) -> None:
    for word in (*german, *english):
        assert event_of(fold(word)) == token, word


@pytest.mark.parametrize(
    ("word", "token"),
    [("erdbebengebiet", "earthquake"), ("waldbrand", "fire"), ("earthquakes", "earthquake")],
)
def test_compounds_and_plurals_read_as_their_event(word: str, token: str) -> None:
    assert event_of(word) == token


@pytest.mark.parametrize("word", ["brandenburg", "auswahl", "besuche", "schwangerschaft", "toller"])
def test_words_that_only_contain_an_event_word_are_no_event(word: str) -> None:
    assert event_of(word) is None


def _token(grouper: StoryGrouper, word: str, lang: str) -> set[str]:
    features = grouper.analyse(item("x", "", f"Die Lage: Bericht über {word} heute", 0, lang=lang))
    return {t for t in features.weights if t.startswith("@")}


@pytest.mark.parametrize(
    ("german", "english"),
    [
        ("Nordkorea", "North Korea"),
        ("Türkei", "Turkey"),
        ("Marokko", "Morocco"),
        ("marokkanische Behörden", "Moroccan officials"),
        ("Österreich", "Austria"),
        ("Rom", "Rome"),
        ("Moskau", "Moscow"),
    ],
)
def test_a_place_is_one_token_in_german_and_english(german: str, english: str) -> None:
    grouper = StoryGrouper()
    assert _token(grouper, german, "de") == _token(grouper, english, "en") != set()


def test_countries_come_from_cldr_and_cities_are_a_small_table() -> None:
    names = {name for group in country_groups() for name in group}
    assert {"suedkorea", "south korea", "elfenbeinkueste", "cote d’ivoire"} & names >= {
        "suedkorea",
        "south korea",
    }
    assert len(country_groups()) > 200  # every ISO country, not a hand list
    assert sum(len(groups) for groups in CITIES.values()) < 60


def test_german_alert_and_english_report_of_one_quake_are_one_story() -> None:
    grouper = StoryGrouper()
    german = grouper.assign(
        item(
            "de1",
            "Schweres Erdbeben in Marokko: mehr als 820 Tote",
            "Ein Erdbeben der Stärke 6,8 hat das Atlasgebirge südlich von Marrakesch erschüttert; "
            "mindestens 820 Menschen kamen ums Leben.",
            0,
            "tagesblatt.example",
            "de",
        )
    )
    english = grouper.assign(
        item(
            "en1",
            "Morocco earthquake: death toll passes 820",
            "A magnitude 6.8 earthquake struck the Atlas mountains south of Marrakesh, killing at least "
            "820 people.",
            1,
            "wire.example",
            "en",
        )
    )
    assert english.story == german.story == "de1"


def test_two_quakes_in_one_country_a_week_apart_in_the_window_stay_apart_without_more() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item(
            "q1",
            "Erdbeben in Japan",
            "Ein Erdbeben der Stärke 5,1 erschütterte Hokkaido.",
            0,
            "a.example",
            "de",
        )
    )
    second = grouper.assign(
        item(
            "q2",
            "Earthquake hits Japan",
            "A magnitude 6.3 earthquake struck off Kyushu; trains were halted in Fukuoka.",
            40,
            "b.example",
            "en",
        )
    )
    assert second.story != first.story


BOILERPLATE = "Alle aktuellen Entwicklungen im Überblick. Mehr Nachrichten lesen Sie auf news.example."


@pytest.mark.parametrize("title", ["Live-Ticker", "Newsblog", "LIVE", ""])
def test_identical_generic_titles_of_different_events_are_not_merged(title: str) -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item(
            "t1", title, "Orkan Zeynep: Bahn stellt Fernverkehr ein. " + BOILERPLATE, 0, "news.example", "de"
        )
    )
    second = grouper.assign(
        item("t2", title, "Bundestag wählt neuen Präsidenten. " + BOILERPLATE, 1, "news.example", "de")
    )
    assert second.story != first.story


def test_a_boilerplate_summary_does_not_merge_different_headlines() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item("b1", "Bahnstreik legt Fernverkehr lahm", BOILERPLATE, 0, "news.example", "de")
    )
    second = grouper.assign(item("b2", "Bundestag beschließt Haushalt", BOILERPLATE, 1, "news.example", "de"))
    assert second.story != first.story


def test_titles_all_in_capitals_are_read_without_taking_every_word_for_a_name() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(item("c1", "STORM CLOSES AIRPORT IN OSLO", "", 0, "a.example", "en"))
    second = grouper.assign(item("c2", "FLOODS CLOSE SCHOOLS IN LIMA", "", 1, "b.example", "en"))
    assert second.story != first.story


def test_a_third_language_is_grouped_alone_and_never_raises() -> None:
    grouper = StoryGrouper()
    decisions = [
        grouper.assign(
            item("f1", "Grève des cheminots à Paris", "La circulation est perturbée.", 0, "a.fr", "fr")
        ),
        grouper.assign(item("f2", "Incendie à Marseille", "Les pompiers sont sur place.", 1, "b.fr", "fr")),
        grouper.assign(item("f3", "Землетрясение в Японии", "", 2, "c.ru", "ru")),
    ]
    assert [d.relation for d in decisions] == ["new", "new", "new"]


def test_a_story_begun_after_quiet_days_is_not_forgotten_when_its_next_report_comes() -> None:
    grouper = StoryGrouper()
    grouper.assign(
        item("old", "Council approves new tram line", "The council voted for the tram.", 0, "a.example")
    )
    grouper.assign(
        item("old2", "Tram line approved", "The council voted for a new tram line.", 1, "d.example")
    )
    # four quiet days later: the first report of a new event (its date waits for a second source) ...
    first = grouper.assign(
        item(
            "n1",
            "Bridge collapses in Genoa",
            "The Morandi bridge collapsed; 35 people died.",
            100,
            "b.example",
        )
    )
    # ... which the next report, from another outlet, confirms: it joins the story instead of the
    # story having been expired at the old clock's time
    second = grouper.assign(
        item(
            "n2",
            "Genoa bridge collapse: 35 dead",
            "35 people died when the Morandi bridge collapsed.",
            101,
            "c.example",
        )
    )
    assert second.story == first.story == "n1"


def test_a_big_event_does_not_swallow_unrelated_news_from_it() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item(
            "o1",
            "Winter Olympics: Norway wins biathlon relay gold",
            "Norway's men won the 4x7.5 km biathlon relay at the Winter Olympics in Cortina.",
            0,
            "a.example",
        )
    )
    second = grouper.assign(
        item(
            "o2",
            "Winter Olympics: Canada beat USA in ice hockey final",
            "Canada beat the United States 3-2 in overtime in the ice hockey final at the Winter Olympics.",
            2,
            "b.example",
        )
    )
    assert second.story != first.story
