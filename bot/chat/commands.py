"""One command grammar and its handlers for every platform: `/news …` on Slack, `!news …` on Matrix,
the same words typed into the console.

Handlers return a Reply; adapters only decide how to show it (ephemeral answer, notice, stdout).
Nothing is stored unless the whole command is valid.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.chat import channel_commands
from bot.chat.command_grammar import (
    CANNOT_LEAVE,
    DIGEST_TIME_USAGE,
    HELP,
    LANGUAGES,
    MAX_COMMAND_LENGTH,
    MUTE_FOREVER,
    PREVIEW_MAX_ENTRIES,
    PREVIEW_WINDOW,
    QUIET_USAGE,
    SETTINGS_USAGE,
    THREAD_MODES,
    CommandContext,
    Reply,
    changes_settings,
    check_feed_url,
    describe_topic,
    parse_duration,
    parse_lang_option,
    parse_threshold_option,
    strip_prefix,
    take_option,
    term_text,
    threshold_text,
    topic_text,
    union_of,
    unknown_zone,
)
from bot.chat.learning import Learning
from bot.core.alerts import build_alert
from bot.core.matching import QueryError, match_batch, parse_topic
from bot.core.payload import alert_from_dict
from bot.core.render import plain_text, render
from bot.errors import StoreError
from bot.model import Article, MatchResult, TopicQuery
from bot.store.ports import CommandStore
from bot.store.rows import NewSubscription, RecentEntry, SubscriptionRow


class CommandHandler:
    def __init__(self, store: CommandStore) -> None:
        self.store = store
        self.learning = Learning(store)

    def handle(self, text: str, ctx: CommandContext) -> Reply:
        """Carry out one command; every failure is an answer, never an exception."""
        if len(text) > MAX_COMMAND_LENGTH:
            return Reply(
                f"That command is {len(text)} characters long; the limit is {MAX_COMMAND_LENGTH}.", ok=False
            )
        body = strip_prefix(text)
        verb, _, rest = body.partition(" ")
        verb = verb.lower()
        try:
            if self.store.resume_channel(ctx.channel):
                reply = self.handle(text, ctx)
                note = (
                    "I can post in this channel again, so its alerts are back on (the waiting ones follow)."
                )
                return replace(reply, text=f"{note}\n\n{reply.text}")
            route = self._route(verb, rest, ctx)
            if route is not None:
                return route()
        except StoreError as exc:
            return Reply(f"Sorry, I could not do that: {exc}. Please try again shortly.", ok=False)
        shown = verb if len(verb) <= 40 else verb[:40] + "…"
        return Reply(f"I don't know the command “{shown}”.\n\n{HELP}", ok=False)

    def _route(self, verb: str, rest: str, ctx: CommandContext) -> Callable[[], Reply] | None:
        """The handler a command's first word names (`not relevant` is two words), ready to run."""
        if verb == "not" and rest.lower() == "relevant":
            verb = "not-relevant"
        routes: dict[str, Callable[[], Reply]] = {
            "": lambda: Reply(HELP),
            "help": lambda: Reply(HELP),
            "subscribe": lambda: self.subscribe(rest, ctx),
            "unsubscribe": lambda: self.unsubscribe(rest, ctx),
            "list": lambda: self.list(ctx),
            "feeds": lambda: channel_commands.feeds(self.store, rest, ctx),
            "settings": lambda: channel_commands.settings(self.store, rest, ctx),
            "mute": lambda: self.mute(rest, ctx, unmute=False),
            "unmute": lambda: self.mute(rest, ctx, unmute=True),
            "preview": lambda: self.preview(rest, ctx),
            "why": lambda: self.why(ctx),
            "relevant": lambda: self.verdict(ctx, relevant=True),
            "not-relevant": lambda: self.verdict(ctx, relevant=False),
            "exclude": lambda: self.exclude(rest, ctx, undo=False),
            "unexclude": lambda: self.exclude(rest, ctx, undo=True),
            "forget": lambda: self.forget(rest, ctx),
            "leave": lambda: self.leave(ctx),
        }
        return routes.get(verb)

    def subscribe(self, rest: str, ctx: CommandContext) -> Reply:
        tokens = rest.split()
        try:
            raw_threshold = take_option(tokens, "--threshold")
            threshold = parse_threshold_option(raw_threshold) if raw_threshold is not None else None
            raw_lang = take_option(tokens, "--lang")
            lang = parse_lang_option(raw_lang) if raw_lang is not None else None
            query_text = " ".join(tokens)
            query = parse_topic(query_text, threshold)
            existing = self.store.subscription(ctx.channel, query.name)
            if existing is not None:
                return self._resubscribe(existing, query, lang, ctx)
        except QueryError as exc:
            return Reply(str(exc), ok=False)
        self.store.add_subscription(
            NewSubscription(ctx.channel, query.name, query_text, query.threshold, ctx.user, lang=lang),
            ctx.now,
        )
        who = f"{ctx.user} subscribed" if ctx.user else "Subscribed"
        return Reply(
            f"Subscribed this channel to “{query.name}”: {describe_topic(query, lang)}.",
            announce=f"{who} this channel to news about “{query.name}”.",
        )

    def _resubscribe(
        self, existing: SubscriptionRow, query: TopicQuery, lang: str | None, ctx: CommandContext
    ) -> Reply:
        """Subscribing to a tracked topic again adds to it (aliases, +/- words) and changes only the
        threshold or language given; nothing it had is dropped, and the answer says what changed."""
        old = parse_topic(existing.query, existing.threshold)
        merged = TopicQuery(
            name=existing.name,
            aliases=union_of(old.aliases, query.aliases),
            required=union_of(old.required, query.required),
            excluded=union_of(old.excluded, query.excluded),
            threshold=query.threshold if query.threshold is not None else old.threshold,
        )
        new_lang = lang if lang is not None else existing.lang
        changes = [
            *(f"alias {a}" for a in merged.aliases[len(old.aliases) :]),
            *(f"+{term_text(t)}" for t in merged.required[len(old.required) :]),
            *(f"-{term_text(t)}" for t in merged.excluded[len(old.excluded) :]),
        ]
        notes = [f"added {', '.join(changes)}"] if changes else []
        if merged.threshold != old.threshold:
            notes.append(f"threshold {threshold_text(old.threshold)} → {threshold_text(merged.threshold)}")
        if new_lang != existing.lang:
            notes.append(f"language {existing.lang or 'any'} → {new_lang}")
        if not notes:
            return Reply(
                f"This channel already tracks “{existing.name}”: {describe_topic(old, existing.lang)}. "
                "Nothing changed; to drop an alias or a word, "
                f"unsubscribe {existing.name} and subscribe again."
            )
        text = topic_text(merged)
        parse_topic(text, merged.threshold)  # still a valid topic (not too many terms)
        self.store.add_subscription(
            NewSubscription(ctx.channel, existing.name, text, merged.threshold, ctx.user, lang=new_lang),
            ctx.now,
        )
        return Reply(
            f"This channel already tracks “{existing.name}”; {'; '.join(notes)}. "
            f"Now: {describe_topic(merged, new_lang)}."
        )

    def unsubscribe(self, rest: str, ctx: CommandContext) -> Reply:
        name = rest.strip()
        if not name:
            return Reply(
                "Which topic? Usage: unsubscribe <topic>. See `list` for this channel's topics.", ok=False
            )
        with contextlib.suppress(QueryError):  # else remove by the name as typed
            name = parse_topic(name).name
        existing = self.store.subscription(ctx.channel, name)
        if existing is None or not self.store.remove_subscription(ctx.channel, existing.name):
            return Reply(f"This channel does not track “{name}”. See `list` for its topics.", ok=False)
        name = existing.name
        who = f"{ctx.user} unsubscribed" if ctx.user else "Unsubscribed"
        return Reply(
            f"Unsubscribed this channel from “{name}”.", announce=f"{who} this channel from “{name}”."
        )

    def list(self, ctx: CommandContext) -> Reply:
        subs = self.store.list_subscriptions(ctx.channel)
        if not subs:
            return Reply("This channel tracks no topics yet. Try: subscribe Nordkorea | North Korea")
        lines = [f"This channel tracks {len(subs)} topic{'s' if len(subs) != 1 else ''}:"]
        not_relevant = self.store.feedback_counts(ctx.channel)
        learning_on = self.store.channel_switches().get(ctx.channel, (False, False))[0]
        for sub in subs:
            notes = []
            if sub.threshold is not None:
                notes.append(f"threshold {sub.threshold:g}")
            if sub.lang:
                notes.append(f"{sub.lang} only")
            if sub.muted(ctx.now):
                notes.append("muted")
            if not_relevant.get(sub.name):
                notes.append(f"{not_relevant[sub.name]} alerts marked not relevant")
            lines.append(f"• {sub.query}" + (f" ({', '.join(notes)})" if notes else ""))
            learned = self._learned(ctx.channel, sub.query, sub.threshold, learning_on, ctx.now)
            if learned:
                lines.append(f"  {learned}")
        return Reply("\n".join(lines))

    def _learned(
        self, channel: str, query: str, threshold: float | None, learning_on: bool, now: datetime
    ) -> str | None:
        try:
            topic = parse_topic(query, threshold)
        except QueryError:
            return None
        return self.learning.describe(channel, topic, learning_on, now)

    def verdict(self, ctx: CommandContext, *, relevant: bool) -> Reply:
        """`relevant` / `not relevant`: the reader's verdict on the thread's alert, else the latest."""
        message_id = self.store.latest_alert_message(ctx.channel, ctx.thread)
        if message_id is None:
            where = "this thread's alert" if ctx.thread else "an alert in this channel"
            return Reply(f"I can't find {where} to take your verdict on.", ok=False)
        outcome = self.learning.record(ctx.channel, message_id, ctx.user, relevant, ctx.now)
        return Reply(outcome.text, ok=outcome.recorded)

    def exclude(self, rest: str, ctx: CommandContext, *, undo: bool) -> Reply:
        """`exclude WORD from TOPIC`: the one-click change a proposal offers, as a command."""
        word, sep, topic = rest.strip().partition(" from ")
        word, topic = word.strip().strip('"'), topic.strip()
        verb = "unexclude" if undo else "exclude"
        if not sep or not word or not topic:
            return Reply(f"Usage: {verb} <word> from <topic>, e.g. {verb} Obst from Apple", ok=False)
        try:
            query = self.learning.exclude(ctx.channel, word, topic, ctx.now, undo=undo)
        except QueryError as exc:
            return Reply(str(exc), ok=False)
        if query is None:
            return Reply(f"This channel does not track “{topic}”. See `list` for its topics.", ok=False)
        what = "no longer excludes" if undo else "now excludes"
        who = ctx.user or "Someone"
        undo_hint = "" if undo else f" Undo: unexclude {word} from {topic}"
        return Reply(
            f"“{topic}” {what} “{word}”: {query}.{undo_hint}",
            announce=f"{who} changed “{topic}”: it {what} “{word}”.",
        )

    def forget(self, rest: str, ctx: CommandContext) -> Reply:
        topic = rest.strip()
        if not topic:
            return Reply("Which topic? Usage: forget <topic>", ok=False)
        dropped = self.store.forget_feedback(ctx.channel, topic)
        return Reply(
            f"Forgot {dropped} verdict{'s' if dropped != 1 else ''} on “{topic}” "
            "and what was learned from them."
        )

    def leave(self, ctx: CommandContext) -> Reply:
        """Drop the channel's topics and ask the adapter to leave; where it cannot, change nothing."""
        if not ctx.can_leave:
            return Reply(CANNOT_LEAVE, ok=False)
        topics = self.store.list_subscriptions(ctx.channel)
        for sub in topics:
            self.store.remove_subscription(ctx.channel, sub.name)
        count = len(topics)
        dropped = (
            f"its {count} topic{'s are' if count != 1 else ' is'} dropped"
            if count
            else "it tracked no topics"
        )
        who = f" as {ctx.user} asked" if ctx.user else ""
        return Reply(f"Goodbye: leaving this channel{who}; {dropped}. Invite me again any time.", leave=True)

    def mute(self, rest: str, ctx: CommandContext, *, unmute: bool) -> Reply:
        name, _, duration = rest.strip().partition(" for ")
        name = name.strip()
        if not name:
            return Reply("Which topic? Usage: mute <topic> [for 2h] | unmute <topic>", ok=False)
        until: datetime | None = None
        if not unmute:
            seconds = parse_duration(duration) if duration.strip() else MUTE_FOREVER
            if seconds is None:
                return Reply(
                    f"“{duration.strip()[:40]}” is not a duration; try: mute {name} for 2h", ok=False
                )
            until = ctx.now + timedelta(seconds=seconds)
        existing = self.store.subscription(ctx.channel, name)
        if existing is None or not self.store.mute_subscription(ctx.channel, existing.name, until):
            return Reply(f"This channel does not track “{name}”. See `list` for its topics.", ok=False)
        name = existing.name
        who = ctx.user or "Someone"
        if unmute:
            return Reply(f"Alerts for “{name}” are on again.", announce=f"{who} unmuted “{name}” here.")
        when = "until unmuted" if not duration.strip() else f"until {until:%d.%m.%Y %H:%M} UTC"
        return Reply(f"Muted “{name}” {when}.", announce=f"{who} muted “{name}” in this channel {when}.")

    def preview(self, rest: str, ctx: CommandContext) -> Reply:
        """The best match among the stories of the last days: by when an entry was published, or
        first seen where its feed gives no date (an old article first seen today is not recent)."""
        try:
            topic = parse_topic(rest.strip())
        except QueryError as exc:
            return Reply(str(exc), ok=False)
        found = self.recent_matches(topic, ctx.now)
        if not found:
            return Reply(
                f"No story published in the last {PREVIEW_WINDOW.days} days (or first seen then, for "
                f"entries without a date) matches “{topic.name}”."
            )
        entry, article, result = found[0]
        alert = build_alert(
            article, topic, result, link=entry.link, source=entry.source, published=entry.published
        )
        when = (
            f"published {entry.published:%d.%m.%Y %H:%M} UTC"
            if entry.published
            else f"first seen {entry.first_seen_at:%d.%m.%Y %H:%M} UTC (its feed gives no date)"
        )
        heading = f"The best match for “{topic.name}” of the last {PREVIEW_WINDOW.days} days, {when}:"
        return Reply(f"{heading}\n{plain_text(render(alert))}")

    def recent_matches(
        self, topic: TopicQuery, now: datetime, lang: str | None = None
    ) -> Sequence[tuple[RecentEntry, Article, MatchResult]]:
        """Stored entries of the preview window the topic matches, best (then newest) first.

        `preview` shows the first; the Slack topic form lists several. `lang` keeps one language only,
        as a subscription with `--lang` would."""
        since = now - PREVIEW_WINDOW
        recent = [
            e
            for e in self.store.recent_entries(since)[-PREVIEW_MAX_ENTRIES:]
            if (e.published or e.first_seen_at) >= since  # published in the window, not only seen
        ]
        if lang is not None:
            recent = [e for e in recent if e.lang == lang]
        articles = [Article(title=e.title, summary=e.summary, text=e.text, lang=e.lang) for e in recent]
        results = [row[0] for row in match_batch(articles, [topic])] if articles else []
        ranked = sorted(
            (i for i, result in enumerate(results) if result.matched),
            key=lambda i: (results[i].score, i),
            reverse=True,
        )
        return [(recent[i], articles[i], results[i]) for i in ranked]

    def why(self, ctx: CommandContext) -> Reply:
        payload = self.store.last_alert(ctx.channel, ctx.thread)
        if payload is None:
            where = "this thread's alert" if ctx.thread else "an alert in this channel"
            return Reply(f"I can't find {where} to explain yet.", ok=False)
        alert = alert_from_dict(payload)
        lines = [f"“{alert.title}” matched “{alert.topic}” with score {alert.score:.0f} of 100:"]
        for evidence in alert.evidence:
            lines.append(
                f"• “{evidence.word}” in the {evidence.field} for “{evidence.alias}” ({evidence.score:.0f})"
            )
        if not alert.evidence:
            lines.append("• it belongs to a story this channel was already following")
        if alert.breaking:
            lines.append("• it is marked BREAKING: many outlets reported it within a short time")
        learning_on = self.store.channel_switches().get(ctx.channel, (False, False))[0]
        sub = self.store.subscription(ctx.channel, alert.topic)
        if sub is not None:
            learned = self._learned(ctx.channel, sub.query, sub.threshold, learning_on, ctx.now)
            if learned:
                lines.append(f"• {learned}")
        return Reply("\n".join(lines))


__all__ = [  # the grammar's names, imported from here by the adapters and tests too
    "DIGEST_TIME_USAGE",
    "LANGUAGES",
    "PREVIEW_WINDOW",
    "QUIET_USAGE",
    "SETTINGS_USAGE",
    "THREAD_MODES",
    "CommandContext",
    "CommandHandler",
    "Reply",
    "changes_settings",
    "check_feed_url",
    "parse_lang_option",
    "parse_threshold_option",
    "strip_prefix",
    "unknown_zone",
]
