"""Readers' verdicts on alerts, and what the bot offers and learns from them, for every platform.

Slack buttons, Matrix reactions and the console's `relevant` / `not relevant` all end here. A
verdict is stored once per reader and alert; after a few, the bot proposes one exclusion for the
topic (accepted with `exclude WORD from TOPIC`, a button on Slack) and, where the channel chose
`settings learn on`, the pipeline lowers stories that look like the rejected ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.feedback import (
    LEARNING_WINDOW,
    Proposal,
    Relevance,
    learn_from,
    propose_exclusion,
    verdict_of,
)
from bot.core.matching import QueryError, parse_topic
from bot.core.payload import alert_from_dict
from bot.model import TopicQuery
from bot.store.ports import LearningStore
from bot.store.rows import NewSubscription

# Reactions that are verdicts (Matrix), without variation selectors and skin tones.
REACTIONS = {"\U0001f44d": True, "\U0001f44e": False}  # 👍 relevant, 👎 not relevant
_EMOJI_MODIFIERS = dict.fromkeys([0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)])


def reaction_verdict(key: str) -> bool | None:
    """True for 👍, False for 👎 (in any skin tone), None for any other reaction."""
    return REACTIONS.get(key.translate(_EMOJI_MODIFIERS).strip())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a verdict did: the answer for the reader and, perhaps, an exclusion to offer."""

    text: str
    recorded: bool
    proposal: Proposal | None = None
    topic: str | None = None


class Learning:
    def __init__(self, store: LearningStore) -> None:
        self.store = store

    def relevance(self, channel: str, topic: TopicQuery, now: datetime) -> Relevance | None:
        """What was learned about a subscription, or None before there is enough to go on."""
        judged = self.store.verdicts(channel, topic.name)
        unjudged = self.store.unjudged_alerts(channel, topic.name, now - LEARNING_WINDOW)
        return learn_from(judged, unjudged, topic)

    def proposal(self, channel: str, topic: TopicQuery, now: datetime) -> Proposal | None:
        judged = [verdict_of(a) for a in self.store.verdicts(channel, topic.name)]
        unjudged = [
            verdict_of(a).terms
            for a in self.store.unjudged_alerts(channel, topic.name, now - LEARNING_WINDOW)
        ]
        return propose_exclusion(judged, topic, unjudged)

    def record(
        self,
        channel: str,
        message_id: str,
        user: str | None,
        relevant: bool,
        now: datetime,
        topic: str | None = None,
    ) -> Outcome:
        """Store one reader's verdict on the alert with that message id, once.

        `topic` names the alert's topic where the platform carries it (a Slack button): a verdict
        on an alert that is gone from the outbox is still counted, though nothing is learned from it.
        """
        payload = self.store.alert_by_message(channel, message_id)
        name = alert_from_dict(payload).topic if payload is not None else topic
        if not name:
            return Outcome("I can't find that alert any more, so there is nothing to record.", False)
        kind = "relevant" if relevant else "not_relevant"
        recorded = self.store.add_feedback(channel, name[:200], message_id, user, kind, now)
        said = "relevant" if relevant else "not relevant"
        if not recorded:
            return Outcome(f"You already marked this alert as {said}.", False, topic=name)
        text = f"Thanks, noted: this alert was {said} to “{name}”."
        row = self.store.subscription(channel, name)
        if row is None or relevant:
            return Outcome(text, True, topic=name)
        try:
            query = parse_topic(row.query, row.threshold)
        except QueryError:
            return Outcome(text, True, topic=name)
        offer = self.proposal(channel, query, now)
        if offer is not None:
            text += " " + offer_text(offer, row.name)
        return Outcome(text, True, offer, row.name)

    def exclude(
        self, channel: str, word: str, topic: str, now: datetime, *, undo: bool = False
    ) -> str | None:
        """Add (or with `undo` remove) `-word` in a topic's query; None when there is no such topic."""
        row = self.store.subscription(channel, topic)
        if row is None:
            return None
        term = f'-"{word}"' if " " in word else f"-{word}"
        forms = {term.casefold(), f'-"{word}"'.casefold()}
        kept = [t for t in row.query.split() if t.casefold() not in forms]
        query = " ".join(kept) if undo else " ".join([*kept, term])
        parse_topic(query, row.threshold)  # raises QueryError for a word the grammar refuses
        self.store.add_subscription(
            NewSubscription(channel, row.name, query, row.threshold, row.created_by, lang=row.lang), now
        )
        return query

    def describe(self, channel: str, topic: TopicQuery, learning_on: bool, now: datetime) -> str | None:
        """One line on what was learned for a subscription, for `list` and `why`."""
        relevance = self.relevance(channel, topic, now)
        if relevance is None:
            return None
        marks = ", ".join(word.removeprefix("source:") for word in relevance.strongest(3)) or "nothing yet"
        state = "lowers" if learning_on else "would lower (settings learn on)"
        return (
            f"learned from {relevance.unwanted} not relevant and {relevance.wanted} relevant: "
            f"{state} stories with {marks}"
        )


def offer_text(offer: Proposal, topic: str) -> str:
    """The proposal in words, with the command that accepts it."""
    return (
        f"{offer.removes} of the {offer.unwanted} alerts marked not relevant mention “{offer.word}”, "
        f"none of the {offer.wanted} marked relevant. Exclude it from “{topic}”? "
        f"Reply: exclude {offer.word} from {topic}"
    )
