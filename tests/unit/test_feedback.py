"""What verdicts teach: proposals and learned penalties (pure core)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.breaking import BreakingRule, Report, is_breaking, outlets_in_window
from bot.core.feedback import MIN_REJECTIONS, alert_terms, learn, propose_exclusion, verdict_of
from bot.model import JudgedAlert, TopicQuery

APPLE = TopicQuery(name="Apple", aliases=("Apple",))


def judged(title: str, relevant: bool | None, summary: str = "", source: str = "Wire") -> JudgedAlert:
    return JudgedAlert(relevant=relevant, title=title, summary=summary, source=source)


FRUIT = [
    judged("Apple growers fear a poor harvest", False, source="Farm Weekly"),
    judged("Orchards: apple harvest starts early", False, source="Farm Weekly"),
    judged("Cider makers pay more for the apple harvest", False, source="Farm Weekly"),
    judged("Apple growers ask for frost aid", False, source="Farm Weekly"),
]
COMPANY = [judged("Apple unveils a new iPhone", True), judged("Apple shares rise after results", True)]


def test_nothing_is_learned_or_proposed_before_enough_rejections() -> None:
    few = [verdict_of(v) for v in FRUIT[: MIN_REJECTIONS - 1]]
    assert learn(few, APPLE) is None
    assert propose_exclusion(few, APPLE) is None


def test_the_proposal_covers_most_rejections_and_no_wanted_alert_nor_the_topic_itself() -> None:
    verdicts = [verdict_of(v) for v in FRUIT + COMPANY]
    proposal = propose_exclusion(verdicts, APPLE)
    assert proposal is not None and proposal.word.lower() == "harvest"
    assert proposal.removes == 3 and proposal.unwanted == 4 and proposal.wanted == 2
    wanted_with_growers = [*COMPANY, judged("Apple growers' app tops the charts", True)]
    second = propose_exclusion([verdict_of(v) for v in FRUIT + wanted_with_growers], APPLE)
    assert second is not None and second.word.lower() != "growers"  # a wanted alert has it


def test_a_word_in_nearly_every_recent_alert_is_never_proposed() -> None:
    verdicts = [verdict_of(v) for v in FRUIT]
    everywhere = [alert_terms(f"Apple harvest news {n}", "", "Wire")[0] for n in range(10)]
    proposal = propose_exclusion(verdicts, APPLE, everywhere)
    assert proposal is None or proposal.word.lower() != "harvest"


def test_the_penalty_lowers_stories_like_the_rejected_ones_only() -> None:
    unjudged = [alert_terms(v.title, "", v.source)[0] for v in COMPANY]
    relevance = learn([verdict_of(v) for v in FRUIT], APPLE, unjudged)
    assert relevance is not None
    fruit_like = alert_terms("Apple growers expect a bigger harvest", "", "Farm Weekly")[0]
    company_like = alert_terms("Apple opens a store in Mumbai", "", "Wire")[0]
    assert relevance.penalty(fruit_like) >= 15
    assert relevance.penalty(company_like) == 0
    assert "harvest" in relevance.strongest() and "apple" not in relevance.strongest()


AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def reports(spacing: timedelta, outlets: int = 5) -> list[Report]:
    return [Report(f"outlet-{n}", AT + n * spacing) for n in range(outlets)]


def test_breaking_needs_many_outlets_within_the_window_and_above_the_usual_pace() -> None:
    rule = BreakingRule(window=timedelta(hours=1), min_outlets=4, factor=2.0)
    assert outlets_in_window(reports(timedelta(minutes=10)), rule.window) == 5
    assert is_breaking(reports(timedelta(minutes=10)), rule)
    assert not is_breaking(reports(timedelta(hours=12)), rule)
    assert not is_breaking(reports(timedelta(minutes=10), outlets=3), rule)
    # a topic whose stories are usually carried by three outlets at once needs six
    assert not is_breaking(reports(timedelta(minutes=10)), rule, usual_outlets=3.0)
    assert is_breaking(reports(timedelta(minutes=5), outlets=6), rule, usual_outlets=3.0)
    same_outlet = [Report("outlet-0", AT + timedelta(minutes=n)) for n in range(10)]
    assert not is_breaking(same_outlet, rule)  # one outlet's live updates are not many outlets
