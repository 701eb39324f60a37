"""The decider's rules on plain values: what a poll's entries are, and what each channel gets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core.breaking import BreakingRule, Report
from bot.core.decide import (
    AlertPolicy,
    Channels,
    EditParent,
    FreshEntries,
    NewEntry,
    QueueAlert,
    QueueFollowup,
    QueueNotice,
    StoryHistory,
    Subscription,
    UpdateEntry,
    breaking_topics,
    decide_alerts,
    parent_keys,
    sort_entries,
    topic_thread,
)
from bot.core.feedback import Relevance
from bot.core.matching import parse_topic
from bot.model import AlertContent, Entry, MatchResult, ParentAlert, StoryDecision

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RULE = BreakingRule(window=timedelta(hours=1), min_outlets=4, factor=2.0)


def _entry(key: str, *, lang: str | None = "de", published: datetime | None = NOW, hash_: str = "h") -> Entry:
    return Entry(
        key=key,
        title=f"Hafen von Triest: Kräne stehen still ({key})",
        link=f"https://news.example/{key}",
        summary="Die Hafenarbeiter streiken seit Montag.",
        text="Die Hafenarbeiter streiken seit Montag. Rund 1.200 Beschäftigte legten die Arbeit nieder.",
        published=published,
        content_hash=hash_,
        lang=lang,
    )


def _sub(channel: str, topic: str, lang: str | None = None) -> Subscription:
    query = parse_topic(topic)
    return Subscription(channel=channel, name=query.name, query=query, lang=lang)


def _hit(topic: str, score: float = 90.0) -> MatchResult:
    return MatchResult(topic=topic, score=score, matched=True)


def _miss(topic: str) -> MatchResult:
    return MatchResult(topic=topic, score=10.0, matched=False)


def _parent(topic: str, sources: tuple[str, ...] = ("Hafenblatt",), alert_id: int = 7) -> ParentAlert:
    content = AlertContent(
        topic=topic,
        title="Streik im Hafen von Triest",
        link="https://other.example/1",
        source=sources[0],
        published=NOW - timedelta(hours=2),
        score=88.0,
        figure=None,
        quote=None,
        sources=sources,
    )
    return ParentAlert(alert_id=alert_id, entry_key=None, content=content)


def _fresh(*pairs: tuple[Entry, StoryDecision], matches: list[list[MatchResult]]) -> FreshEntries:
    return FreshEntries(entries=pairs, matches=matches, source="Küstenpost", outlet="12", now=NOW)


# -- which entries are new, which are updates -------------------------------------------------------


def test_an_unknown_entry_is_new_and_alertable_and_a_known_one_with_the_same_text_is_nothing() -> None:
    changes = sort_entries(
        [_entry("a"), _entry("b")], {"b": "h"}, set(), first_poll=False, now=NOW, policy=AlertPolicy()
    )
    assert changes == [NewEntry(_entry("a"), alertable=True)]


def test_a_known_entry_with_changed_text_is_an_update_which_never_alerts() -> None:
    changed = _entry("a", hash_="new text")
    changes = sort_entries(
        [changed], {"a": "old text"}, set(), first_poll=False, now=NOW, policy=AlertPolicy()
    )
    assert changes == [UpdateEntry(changed)]
    assert not any(isinstance(c, NewEntry) for c in changes)


def test_an_item_stored_under_its_other_identity_and_a_repeated_key_count_once_or_not_at_all() -> None:
    changes = sort_entries(
        [_entry("a"), _entry("a", hash_="other"), _entry("b")],
        {},
        {"b"},
        first_poll=False,
        now=NOW,
        policy=AlertPolicy(),
    )
    assert changes == [NewEntry(_entry("a"), alertable=True)]


def test_a_first_poll_alerts_only_within_its_window_and_an_old_entry_never() -> None:
    policy = AlertPolicy(max_age=timedelta(days=7), first_poll_window=timedelta(hours=1))
    recent, older, undated = (
        _entry("recent", published=NOW - timedelta(minutes=30)),
        _entry("older", published=NOW - timedelta(hours=3)),
        _entry("undated", published=None),
    )
    first = sort_entries([recent, older, undated], {}, set(), first_poll=True, now=NOW, policy=policy)
    assert [(c.entry.key, c.alertable) for c in first if isinstance(c, NewEntry)] == [
        ("recent", True),
        ("older", False),
        ("undated", False),
    ]
    archive = _entry("archive", published=NOW - timedelta(days=8))
    later = sort_entries([archive, older], {}, set(), first_poll=False, now=NOW, policy=policy)
    assert [(c.entry.key, c.alertable) for c in later if isinstance(c, NewEntry)] == [
        ("archive", False),
        ("older", True),
    ]


# -- alerts -----------------------------------------------------------------------------------------


def test_a_new_story_is_one_alert_in_every_channel_whose_topic_it_matches() -> None:
    subs = [_sub("slack:C1", "Triest"), _sub("matrix:!r", "Triest"), _sub("console", "Venedig")]
    entry = _entry("a")
    decision = StoryDecision(story="s1", relation="new")
    intents = decide_alerts(
        _fresh((entry, decision), matches=[[_hit("Triest"), _hit("Triest"), _miss("Venedig")]]),
        Channels(subs, parents={}),
        RULE,
    )
    assert [(type(i), i.channel) for i in intents] == [
        (QueueAlert, "matrix:!r"),
        (QueueAlert, "slack:C1"),
    ]
    alert = intents[0]
    assert isinstance(alert, QueueAlert)
    assert alert.story == "s1" and alert.entry_key == "a"
    assert alert.content.topic == "Triest" and alert.content.sources == ("Küstenpost",)


def test_the_best_scoring_topic_of_a_channel_wins_so_one_entry_is_one_message() -> None:
    subs = [_sub("slack:C1", "Hafen"), _sub("slack:C1", "Triest")]
    intents = decide_alerts(
        _fresh(
            (_entry("a"), StoryDecision(story="s1", relation="new")),
            matches=[[_hit("Hafen", 71.0), _hit("Triest", 95.0)]],
        ),
        Channels(subs, parents={}),
        RULE,
    )
    assert len(intents) == 1
    assert isinstance(intents[0], QueueAlert) and intents[0].content.topic == "Triest"


def test_a_topic_that_learned_its_channel_rejects_such_stories_loses_to_another_topic() -> None:
    rejecting = Relevance(weights=(), prior=5.0, unwanted=6, wanted=0)  # nearly every alert unwanted
    subs = [replace(_sub("slack:C1", "Triest"), relevance=rejecting), _sub("slack:C1", "Hafen")]
    intents = decide_alerts(
        _fresh(
            (_entry("a"), StoryDecision(story="s1", relation="new")),
            matches=[[_hit("Triest", 95.0), _hit("Hafen", 75.0)]],
        ),
        Channels(subs, parents={}),
        RULE,
    )
    assert [i.content.topic for i in intents if isinstance(i, QueueAlert)] == ["Hafen"]


def test_a_subscription_with_a_language_takes_no_entry_in_another() -> None:
    subs = [_sub("slack:C1", "Triest", lang="en")]
    intents = decide_alerts(
        _fresh(
            (_entry("a", lang="de"), StoryDecision(story="s1", relation="new")), matches=[[_hit("Triest")]]
        ),
        Channels(subs, parents={}),
        RULE,
    )
    assert intents == []


def test_a_followup_in_a_channel_with_the_parent_goes_into_its_thread_and_edits_its_sources() -> None:
    subs = [_sub("slack:C1", "Triest")]
    parent = _parent("Triest")
    entry = _entry("b")
    decision = StoryDecision(story="s1", relation="followup", similarity=0.4)
    intents = decide_alerts(
        _fresh((entry, decision), matches=[[_hit("Triest")]]),
        Channels(subs, parents={("slack:C1", "s1"): parent}),
        RULE,
    )
    assert [type(i) for i in intents] == [QueueFollowup, EditParent]
    followup, edit = intents
    assert isinstance(followup, QueueFollowup) and isinstance(edit, EditParent)
    assert followup.parent == parent and followup.story == "s1"
    assert followup.content.relation == "followup"
    assert followup.content.parent_title == "Streik im Hafen von Triest"
    assert edit.parent == parent
    assert edit.content.sources == ("Hafenblatt", "Küstenpost") and edit.content.updated == NOW


def test_a_report_of_the_same_event_only_adds_its_source_to_the_parent() -> None:
    subs = [_sub("slack:C1", "Triest")]
    intents = decide_alerts(
        _fresh(
            (_entry("b"), StoryDecision(story="s1", relation="same", similarity=0.9)),
            matches=[[_hit("Triest")]],
        ),
        Channels(subs, parents={("slack:C1", "s1"): _parent("Triest")}),
        RULE,
    )
    assert [type(i) for i in intents] == [EditParent]


def test_a_flat_channel_gets_its_followups_outside_any_thread() -> None:
    subs = [_sub("slack:C1", "Triest")]
    intents = decide_alerts(
        _fresh((_entry("b"), StoryDecision(story="s1", relation="followup")), matches=[[_hit("Triest")]]),
        Channels(subs, parents={("slack:C1", "s1"): _parent("Triest")}, thread_modes={"slack:C1": "flat"}),
        RULE,
    )
    followup = intents[0]
    assert isinstance(followup, QueueFollowup) and followup.parent is None


def test_a_channel_taking_the_topic_in_one_language_gets_no_reply_in_another_but_the_source_counts() -> None:
    subs = [_sub("slack:C1", "Triest", lang="de"), _sub("slack:C1", "Hafen")]
    intents = decide_alerts(
        _fresh(
            (_entry("b", lang="en"), StoryDecision(story="s1", relation="followup", similarity=0.8)),
            matches=[[_hit("Triest"), _hit("Hafen")]],
        ),
        Channels(subs, parents={("slack:C1", "s1"): _parent("Triest")}),
        RULE,
    )
    assert [type(i) for i in intents] == [EditParent]


def test_a_report_off_the_threads_topic_starts_its_own_topics_thread_of_the_story() -> None:
    subs = [_sub("slack:C1", "Triest"), _sub("slack:C1", "Gewerkschaft")]
    decision = StoryDecision(story="s1", relation="followup", similarity=0.3)
    intents = decide_alerts(
        _fresh((_entry("b"), decision), matches=[[_miss("Triest"), _hit("Gewerkschaft")]]),
        Channels(subs, parents={("slack:C1", "s1"): _parent("Triest")}),
        RULE,
    )
    assert len(intents) == 1
    alert = intents[0]
    assert isinstance(alert, QueueAlert)
    assert alert.story == topic_thread("s1", "Gewerkschaft") and alert.content.topic == "Gewerkschaft"


def test_a_report_matching_no_topic_of_the_channel_and_unsure_of_the_event_gets_nothing() -> None:
    subs = [_sub("slack:C1", "Triest")]
    intents = decide_alerts(
        _fresh(
            (_entry("b"), StoryDecision(story="s1", relation="followup", similarity=0.3)),
            matches=[[_miss("Triest")]],
        ),
        Channels(subs, parents={("slack:C1", "s1"): _parent("Triest")}),
        RULE,
    )
    assert intents == []


def test_two_reports_of_a_new_story_in_one_poll_make_an_alert_and_an_edit_of_it() -> None:
    subs = [_sub("slack:C1", "Triest")]
    first, second = _entry("a"), _entry("b")
    intents = decide_alerts(
        _fresh(
            (first, StoryDecision(story="s1", relation="new")),
            (second, StoryDecision(story="s1", relation="same", similarity=0.9)),
            matches=[[_hit("Triest")], [_hit("Triest")]],
        ),
        Channels(subs, parents={}),
        RULE,
    )
    assert [type(i) for i in intents] == [QueueAlert, EditParent]
    edit = intents[1]
    assert isinstance(edit, EditParent)
    assert edit.parent.alert_id is None and edit.parent.entry_key == "a"


def test_parents_are_looked_up_only_for_stories_that_began_before() -> None:
    subs = [_sub("slack:C1", "Triest")]
    keys = parent_keys(
        [StoryDecision(story="s1", relation="new"), StoryDecision(story="s2", relation="followup")], subs
    )
    assert keys == {("slack:C1", "s2"), ("slack:C1", topic_thread("s2", "Triest"))}


def test_the_fourth_outlet_within_the_hour_marks_the_parent_breaking_with_a_notice_where_wanted() -> None:
    subs = [_sub("slack:C1", "Triest"), _sub("matrix:!r", "Triest")]
    outlets = ("Hafenblatt", "Abendbote", "Lagunenzeitung")
    parents = {
        ("slack:C1", "s1"): _parent("Triest", outlets, alert_id=7),
        ("matrix:!r", "s1"): _parent("Triest", outlets, alert_id=8),
    }
    assert breaking_topics(parents, "Küstenpost", RULE) == {("slack:C1", "Triest"), ("matrix:!r", "Triest")}
    reports = [Report(str(n), NOW - timedelta(minutes=10 * n)) for n in (1, 2, 3)]
    history = StoryHistory(reports={"s1": reports}, starts={})
    intents = decide_alerts(
        _fresh(
            (_entry("b"), StoryDecision(story="s1", relation="same", similarity=0.9)),
            matches=[[_hit("Triest")] * 2],
        ),
        Channels(subs, parents=parents, breaking_notices={"slack:C1"}, history=history),
        RULE,
    )
    assert [(type(i), i.channel) for i in intents] == [
        (EditParent, "matrix:!r"),
        (EditParent, "slack:C1"),
        (QueueNotice, "slack:C1"),
    ]
    assert all(i.content.breaking for i in intents if isinstance(i, EditParent))
    notice = intents[2]
    assert isinstance(notice, QueueNotice) and "4 outlets" in notice.text


def test_a_topic_whose_stories_usually_draw_many_outlets_does_not_call_four_breaking() -> None:
    subs = [_sub("slack:C1", "Triest")]
    outlets = ("Hafenblatt", "Abendbote", "Lagunenzeitung")
    parents = {("slack:C1", "s1"): _parent("Triest", outlets)}
    busy = [Report(str(n), NOW - timedelta(days=1, minutes=n)) for n in range(6)]
    history = StoryHistory(
        reports={"s1": [Report(str(n), NOW - timedelta(minutes=10 * n)) for n in (1, 2, 3)], "s0": busy},
        starts={("slack:C1", "Triest"): ["s1", "s0"]},
    )
    intents = decide_alerts(
        _fresh(
            (_entry("b"), StoryDecision(story="s1", relation="same", similarity=0.9)),
            matches=[[_hit("Triest")]],
        ),
        Channels(subs, parents=parents, breaking_notices={"slack:C1"}, history=history),
        RULE,
    )
    assert [type(i) for i in intents] == [EditParent]
    assert not intents[0].content.breaking
