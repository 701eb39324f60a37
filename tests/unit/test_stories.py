"""Story grouping: one story, one thread.

What a user notices: another outlet's report of the same news adds no new message; a new development
of it goes into the story's thread; a different story gets its own alert; and nothing merges just
because two headlines share a place or a generic title.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.entities import figure_token
from bot.core.figures import parse_number
from bot.core.stories import StoryGrouper
from bot.model import StoryDecision, StoryItem

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
T0 = datetime(2024, 10, 24, 8, 0, tzinfo=UTC)


def item(
    id: str,
    title: str,
    summary: str = "",
    hours: float | None = 0.0,
    source: str = "example.org",
    lang: str | None = None,
) -> StoryItem:
    published = None if hours is None else T0 + timedelta(hours=hours)
    return StoryItem(id=id, title=title, summary=summary, published=published, source=source, lang=lang)


def seed_item() -> StoryItem:
    lines = (FIXTURES / "seed-article-de.txt").read_text(encoding="utf-8").splitlines()
    return item("seed", lines[0], lines[1], 0, "tagesschau.de", "de")


ENGLISH_REPORT = item(
    "en-1",
    "10,000 North Korean troops in Russia, Pentagon says",
    "About 10,000 North Korean soldiers have been sent to eastern Russia for training, the Pentagon said, "
    "and could reinforce Russian forces near Ukraine in the coming weeks.",
    3,
    "apnews.com",
    "en",
)
NATO_FOLLOWUP = item(
    "de-2",
    "NATO bestätigt Entsendung nordkoreanischer Truppen",
    "NATO-Generalsekretär Mark Rutte hat bestätigt, dass nordkoreanische Truppen nach Russland entsandt "
    "worden sind. Einige der Soldaten seien bereits in der russischen Region Kursk im Einsatz.",
    26,
    "zdf.de",
    "de",
)
MISSILE_TESTS = item(
    "de-3",
    "Nordkorea testet erneut ballistische Raketen",
    "Nordkorea hat nach Angaben des südkoreanischen Generalstabs mehrere Kurzstreckenraketen ins "
    "Japanische Meer abgefeuert. Japan und Südkorea verurteilten den Start.",
    28,
    "spiegel.de",
    "de",
)


def run(grouper: StoryGrouper, *items: StoryItem) -> list[StoryDecision]:
    return [grouper.assign(entry) for entry in items]


def test_a_new_entry_starts_a_story_named_after_it() -> None:
    decision = StoryGrouper().assign(seed_item())
    assert decision == StoryDecision(story="seed", relation="new", similarity=0.0)


def test_another_outlet_in_another_language_reporting_the_same_figure_is_the_same_report() -> None:
    seed, english = run(StoryGrouper(), seed_item(), ENGLISH_REPORT)
    assert english.story == seed.story
    assert english.relation == "same"


def test_a_new_development_a_day_later_is_a_followup_in_the_thread() -> None:
    _, _, nato = run(StoryGrouper(), seed_item(), ENGLISH_REPORT, NATO_FOLLOWUP)
    assert nato.story == "seed"
    assert nato.relation == "followup"


def test_another_story_about_the_same_country_is_a_new_story() -> None:
    *_, missiles = run(StoryGrouper(), seed_item(), ENGLISH_REPORT, NATO_FOLLOWUP, MISSILE_TESTS)
    assert missiles == StoryDecision(story="de-3", relation="new", similarity=0.0)


def test_an_edited_entry_is_the_same_report_never_a_new_story() -> None:
    grouper = StoryGrouper()
    run(grouper, seed_item(), ENGLISH_REPORT, MISSILE_TESTS)
    edited = item("en-1", "Pentagon: 10,000 North Korean soldiers now in Russia", ENGLISH_REPORT.summary, 5)
    decision = grouper.assign(edited)
    assert (decision.story, decision.relation) == ("seed", "same")


def test_an_edited_title_under_a_new_id_from_the_same_outlet_is_the_same_report() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(item("a1", "Flood waters rise in Dresden as the Elbe reaches 9 metres", hours=0))
    again = grouper.assign(item("a2", "Flood waters rise in Dresden as the Elbe reaches 9.2 metres", hours=1))
    assert (again.story, again.relation) == (first.story, "same")


def test_talks_in_the_same_city_on_the_same_days_are_different_stories() -> None:
    grouper = StoryGrouper()
    iran = run(
        grouper,
        item(
            "i1",
            "Iran's top diplomat travels to Geneva for talks with the U.S.",
            "Iran's foreign minister is on his way to Geneva, where a second round of nuclear negotiations "
            "with the United States takes place, state media said.",
            0,
            "a.example",
        ),
        item(
            "i2",
            "U.S. and Iran to hold second round of nuclear talks in Geneva",
            "The talks about Iran's nuclear programme come as Washington moves warships to the region.",
            5,
            "b.example",
        ),
    )
    ukraine = run(
        grouper,
        item(
            "u1",
            "Ukraine and Russia hold peace talks in Geneva",
            "Ukrainian and Russian delegations meet in Geneva for US-brokered talks on ending the war, "
            "days before the fourth anniversary of the invasion.",
            6,
            "c.example",
        ),
        item(
            "u2",
            "First day of Russia-Ukraine peace talks ends in Geneva",
            "Negotiations will continue on Wednesday, but hopes for a breakthrough on ending the war in "
            "Ukraine are low.",
            9,
            "d.example",
        ),
    )
    assert iran[1].story == "i1"
    assert ukraine[0] == StoryDecision(story="u1", relation="new", similarity=0.0)
    assert ukraine[1].story == "u1"


@pytest.mark.parametrize("generic", ["Liveblog", "Die Lage am Morgen", "News of the day"])
def test_a_generic_title_on_different_events_never_merges(generic: str) -> None:
    grouper = StoryGrouper()
    first, second = run(
        grouper,
        item(
            "g1",
            generic,
            "Heavy snowfall closes the airport in Munich; hundreds of flights are cancelled.",
            0,
        ),
        item("g2", generic, "The central bank raises interest rates by half a point to fight inflation.", 2),
    )
    assert second.relation == "new"
    assert second.story != first.story


def test_figures_compare_across_locales() -> None:
    assert parse_number("10.000") == parse_number("10,000") == 10_000
    assert parse_number("3,5") == parse_number("3.5") == 3.5
    assert parse_number("1.234.567,8") == 1_234_567.8
    assert figure_token(10_000.0) == figure_token(parse_number("10 000") or 0)


def test_a_topic_alias_makes_two_spellings_one_name() -> None:
    german = item(
        "x1",
        "Raumsonde Hayabusa ist gelandet",
        "Die Raumsonde Hayabusa hat Gestein vom Ryugu zur Erde gebracht, teilte die Weltraumagentur mit.",
        0,
        "a.example",
        "de",
    )
    english = item(
        "x2",
        "Falcon spacecraft is back",
        "The Falcon spacecraft has brought rock from Ryugu back to Earth, the space agency said.",
        2,
        "b.example",
        "en",
    )
    plain = run(StoryGrouper(), german, english)
    aliased = run(StoryGrouper(aliases=[("Hayabusa", "Falcon")]), german, english)
    assert plain[1].story == "x2"
    assert aliased[1].story == "x1"


def test_entries_without_dates_future_dates_or_out_of_order_are_grouped_without_crashing() -> None:
    grouper = StoryGrouper()
    undated = grouper.assign(
        item(
            "n1",
            "Wildfire forces evacuation of Marseille suburbs",
            "Firefighters in Marseille battle a wildfire that forced 2,000 residents to leave their homes.",
            None,
        )
    )
    dated = grouper.assign(
        item(
            "n2",
            "Marseille wildfire: 2,000 residents evacuated",
            "A wildfire near Marseille forced about 2,000 people from their homes, firefighters said.",
            1,
        )
    )
    future = grouper.assign(
        item(
            "n3",
            "Marseille wildfire under control, firefighters say",
            "The wildfire near Marseille that drove 2,000 residents from their homes is under control.",
            24 * 365 * 30,
        )
    )
    late = grouper.assign(
        item(
            "n4",
            "Evacuated Marseille residents return home after wildfire",
            "Residents of the Marseille suburbs evacuated because of the wildfire may "
            "return, the prefecture said.",
            -2,
        )
    )
    assert undated.relation == "new"
    assert {dated.story, future.story, late.story} == {"n1"}


def test_stories_older_than_the_window_are_forgotten() -> None:
    grouper = StoryGrouper(window=timedelta(hours=72))
    old = grouper.assign(
        item(
            "o1",
            "Volcano erupts on Iceland's Reykjanes peninsula",
            "Lava flows towards the town of Grindavik, which was evacuated.",
            0,
        )
    )
    for day in range(1, 6):
        grouper.assign(item(f"f{day}", f"Unrelated headline number {day}", "", 24 * day))
    again = grouper.assign(
        item(
            "o2",
            "Volcano erupts on Iceland's Reykjanes peninsula",
            "Lava flows towards the town of Grindavik, which was evacuated.",
            24 * 6,
        )
    )
    assert old.story == "o1"
    assert again.story == "o2"
    assert grouper.story_count <= 4


def test_the_same_input_gives_the_same_decisions() -> None:
    entries = [seed_item(), ENGLISH_REPORT, NATO_FOLLOWUP, MISSILE_TESTS]
    assert run(StoryGrouper(), *entries) == run(StoryGrouper(), *entries)


def test_empty_entries_do_not_crash() -> None:
    grouper = StoryGrouper()
    first, second = run(grouper, item("e1", "", "", None), item("e2", "", "", None))
    assert first.relation == "new"
    assert second.relation == "new"


def test_one_feed_with_a_broken_clock_does_not_expire_every_story() -> None:
    grouper = StoryGrouper()
    grouper.assign(
        item(
            "b1",
            "Central bank raises rates",
            "The central bank raised rates by half a point.",
            24 * 365 * 70,
            "broken.example",
        )
    )
    first = grouper.assign(
        item(
            "s1",
            "Snow closes Munich airport",
            "Heavy snow closed Munich airport; hundreds of flights were cancelled.",
            0,
            "a.example",
        )
    )
    later = grouper.assign(
        item(
            "s2",
            "Munich airport closed by snow",
            "Snow closes Munich airport, hundreds of flights cancelled.",
            2,
            "b.example",
        )
    )
    assert later.story == first.story == "s1"


def _busy_window(grouper: StoryGrouper) -> None:
    """A news day on which Russia, Ukraine, the US and Geneva each turn up in many unrelated stories."""
    places = ["Russia", "Ukraine", "US", "Geneva"]
    subjects = ["Fruit", "Grain", "Steel", "Water", "Cobalt", "Timber", "Salmon", "Cotton", "Coffee"]
    verbs = ["shortage", "auction", "smuggling", "pricing", "levy", "quota", "boycott", "glut", "theft"]
    for number, subject in enumerate(subjects):
        for kind, place in enumerate(places):
            verb = verbs[(number + kind) % len(verbs)]
            grouper.assign(item(f"busy-{number}-{kind}", f"{subject} {verb} in {place}", hours=0.1))


def test_common_places_that_are_rare_together_hold_a_story_together() -> None:
    grouper = StoryGrouper()
    _busy_window(grouper)
    first, second, iran = run(
        grouper,
        item(
            "u1",
            "Expectations are low for the latest US-brokered talks between Russia and Ukraine",
            "A Ukrainian delegation is heading to Geneva for another round of talks with Russian officials.",
            2,
            "a.example",
        ),
        item(
            "u2",
            "Russian and Ukrainian officials meet in Geneva for US-brokered talks",
            "The two delegations sat down in Geneva on Tuesday, almost four years into the war.",
            4,
            "b.example",
        ),
        item(
            "i1",
            "US and Iran meet in Geneva for second round of nuclear talks",
            "Iran's foreign minister sat down with US envoys in Geneva on Tuesday.",
            5,
            "c.example",
        ),
    )
    assert second.story == first.story
    assert iran.story not in (first.story, second.story)


def test_an_outlets_credit_and_dateline_in_the_lead_do_not_merge_its_entries() -> None:
    grouper = StoryGrouper()
    first, second = run(
        grouper,
        item(
            "k1",
            "Kenya: State House Spending Surpasses Full-Year Allocation",
            "[Capital FM] Nairobi -- State House has spent more than its budget for the whole year.",
            0,
            "africa.example",
        ),
        item(
            "k2",
            "Kenya: Traders Warn Tobacco Bill May Fuel Illicit Trade",
            "[Capital FM] Nairobi -- Traders have urged the Senate to reconsider the tobacco control bill.",
            2,
            "africa.example",
        ),
    )
    assert second.relation == "new"
    assert second.story != first.story


def test_a_close_report_sharing_one_common_place_and_a_rare_word_joins_the_story() -> None:
    grouper = StoryGrouper()
    _busy_window(grouper)
    first, second = run(
        grouper,
        item("n1", "Trump says he will be involved indirectly in Iran nuclear talks", "", 2, "a.example"),
        item("n2", "What comes next for the Iran nuclear talks", "", 4, "b.example"),
    )
    assert second.story == first.story


@pytest.mark.parametrize("source", ["https://www.bbc.com/news/articles/1", "BBC News - World"])
def test_an_outlet_naming_itself_does_not_merge_its_entries(source: str) -> None:
    grouper = StoryGrouper()
    _busy_window(grouper)
    first, second = run(
        grouper,
        item(
            "b1",
            "Senator Kelly tells BBC he will consider a White House run",
            "The former astronaut told the BBC that these are challenging times.",
            2,
            source,
        ),
        item(
            "b2",
            "Clinton accuses administration of files cover-up in BBC interview",
            "The former secretary of state told the BBC that the White House is failing victims.",
            3,
            source,
        ),
    )
    assert second.story != first.story


def test_one_shared_event_name_alone_does_not_merge_different_news_from_it() -> None:
    grouper = StoryGrouper()
    _busy_window(grouper)
    first, second = run(
        grouper,
        item(
            "h1",
            "Hannover Messe: Exoskelette erleichtern das Heben",
            "Auf der Hannover Messe zeigen zwei Hersteller Exoskelette, die Lagerarbeitern schwere Kisten "
            "abnehmen; wir haben die Anzüge ausprobiert. Akkus halten eine Schicht, Sensoren erkennen "
            "Bewegungen, und ein Modell kostet rund so viel wie ein Kleinwagen.",
            2,
            "tech.example",
            "de",
        ),
        item(
            "h2",
            "Hannover Messe verliert Besucher",
            "Die Hannover Messe zählt weniger Gäste als im Vorjahr; die Veranstalter verkürzen die nächste "
            "Auflage um einen Tag und senken die Standmieten. Aussteller aus Asien blieben fern, "
            "Hotels meldeten freie Zimmer, und Partnerland Brasilien sagte Empfänge ab.",
            5,
            "tech.example",
            "de",
        ),
    )
    assert second.story != first.story


def test_many_shared_rare_words_and_one_common_place_hold_a_story_together() -> None:
    grouper = StoryGrouper()
    _busy_window(grouper)
    first, second = run(
        grouper,
        item(
            "a1",
            "Kenya: Aviation workers suspend strike after deal with government",
            "Aviation workers have suspended their strike after reaching an agreement with the government, "
            "paving the way for normal operations to resume at the airport.",
            2,
            "a.example",
        ),
        item(
            "a2",
            "Kenya's main airport resumes operations after two-day strike",
            "Flights restarted at the main airport on Tuesday after workers ended the strike; operations "
            "are back to normal, the airport authority said. Thousands of stranded passengers were rebooked "
            "and carriers waived fees.",
            4,
            "b.example",
        ),
    )
    assert second.story == first.story


def test_a_like_event_weeks_later_is_a_new_story_even_while_its_date_is_held_back() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item(
            "w1",
            "Hurricane Ingrid makes landfall in Cornwall",
            "Hurricane Ingrid flooded homes along the coast overnight, the coastguard said.",
            0,
            "one.example",
        )
    )
    # two weeks on, from one outlet only: the window's clock holds the date back until another confirms it
    later = grouper.assign(
        item(
            "w2",
            "Hurricane Oskar hits Cornwall coast",
            "Hurricane Oskar flooded roads near the coast, the council said.",
            24 * 14,
            "two.example",
        )
    )
    assert first.story == "w1"
    assert later.story == "w2"


def test_one_event_in_two_countries_reported_in_two_languages_hours_apart_is_one_story() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item("q1", "Starkes Erdbeben in Chile und Argentinien", "", 0, "eins.example", "de")
    )
    later = grouper.assign(
        item("q2", "Strong earthquake hits Chile and Argentina", "", 2, "two.example", "en")
    )
    # two days on, a quake in the same two countries is another one
    another = grouper.assign(
        item("q3", "Earthquake strikes Chile and Argentina border", "", 50, "three.example", "en")
    )
    assert first.story == "q1"
    assert later.story == "q1"
    assert another.story == "q3"
