"""Story grouping's traps: different news that shares a name, a country or an event stays apart.

Precision first: a wrong thread hides an alert under another story, which is worse than a second
alert. These reports are written for the tests (no labelled data is read).
"""

from __future__ import annotations

from bot.core.stories import StoryGrouper
from bot.core.story_features import features_of, place_aliases
from tests.unit.test_stories import item


def test_two_reports_sharing_only_a_person_and_a_country_stay_apart() -> None:
    grouper = StoryGrouper()
    visit = grouper.assign(
        item(
            "visit",
            "Macron in India to push Rafale fighter jet deal",
            "French President Emmanuel Macron arrived in New Delhi for talks with Prime Minister Narendra "
            "Modi on a deal for more Rafale fighter jets and closer ties on artificial intelligence.",
            0,
            "dw.com",
            "en",
        )
    )
    other = grouper.assign(
        item(
            "metro",
            "Bangladesh's new leader gets a letter from India's Modi",
            "On Tuesday Narendra Modi wrote to Tarique Rahman after his swearing-in in Dhaka, "
            "inviting him to visit India.",
            5,
            "ndtv.com",
            "en",
        )
    )
    assert visit.relation == "new"
    assert other.relation == "new"
    assert other.story == "metro"


def test_a_report_alike_to_a_story_in_a_few_words_only_is_never_joined_to_it() -> None:
    grouper = StoryGrouper()
    grouper.assign(
        item(
            "gaza",
            "Indonesia readies 8,000 troops for Gaza force",
            "Indonesia is preparing up to 8,000 troops for an international stabilisation force in Gaza "
            "under the plan of US President Donald Trump, its army chief said.",
            0,
            "dawn.com",
            "en",
        )
    )
    migration = grouper.assign(
        item(
            "migration",
            "Nearly 70 rights groups slam EU migration policy",
            "Nearly 70 groups criticised EU reforms to migration under consideration by the European "
            "Parliament, comparing them to US policy under President Donald Trump.",
            1,
            "dawn.com",
            "en",
        )
    )
    assert migration.relation == "new"


def test_a_follow_up_naming_the_same_people_and_figures_still_joins_its_story() -> None:
    grouper = StoryGrouper()
    first = grouper.assign(
        item(
            "jackson-1",
            "Civil rights leader Jesse Jackson dies, aged 84",
            "Jesse Jackson, the civil rights leader and two-time presidential candidate, has died at 84, "
            "his family said.",
            0,
            "abc.net.au",
            "en",
        )
    )
    tribute = grouper.assign(
        item(
            "jackson-2",
            "Tributes pour in after civil rights icon Jesse Jackson dies at 84",
            "Leaders paid tribute to Jesse Jackson, the civil rights campaigner who died at 84.",
            6,
            "aljazeera.com",
            "en",
        )
    )
    assert tribute.story == first.story


def test_a_place_name_of_one_language_is_an_ordinary_word_in_the_other() -> None:
    aliases = place_aliases()
    english = features_of(
        item("en", "A letter from Rhode Island", "They sent a letter from the island.", lang="en"), aliases
    )
    german = features_of(
        item("de", "Vulkanausbruch auf Island", "Auf Island bricht ein Vulkan aus.", lang="de"), aliases
    )
    iceland = features_of(item("en2", "Volcano erupts in Iceland", "", lang="en"), aliases)
    assert not any(token.startswith("@") for token in english.weights)
    shared_places = {t for t in german.weights if t.startswith("@")} & set(iceland.weights)
    assert shared_places  # Island (German) and Iceland (English) are one place


def test_a_follow_up_joins_its_story_whether_or_not_a_topic_names_the_person() -> None:
    first = (
        "Civil rights leader Jesse Jackson dies aged 84",
        "Jesse Jackson, the American civil rights activist and two-time presidential candidate, has died "
        "at the age of 84, his family said in a statement.",
    )
    funeral = (
        "Civil rights leader Jesse Jackson mourned in Chicago",
        "Thousands of mourners gathered in Chicago for the funeral of Jesse Jackson. Former president "
        "Barack Obama and the Reverend Al Sharpton spoke at the service.",
    )
    for aliases in ((), (("Jesse Jackson",),)):
        grouper = StoryGrouper(aliases=aliases)
        grouper.assign(item("jj-1", *first, 0, "b.example", "en"))
        later = grouper.assign(item("jj-3", *funeral, 30, "a.example", "en"))
        assert (later.story, later.relation) == ("jj-1", "followup"), aliases
