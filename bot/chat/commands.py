"""One command grammar and its handlers for every platform: `/news …` on Slack, `!news …` on Matrix,
the same words typed into the console.

Handlers return a Reply; adapters only decide how to show it (ephemeral answer, notice, stdout).
Nothing is stored unless the whole command is valid.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.chat.learning import Learning
from bot.core.alerts import build_alert
from bot.core.folding import fold
from bot.core.matching import QueryError, match_batch, parse_topic
from bot.core.payload import alert_from_dict
from bot.core.render import plain_text, render
from bot.core.windows import (
    DEFAULT_DIGEST_AT,
    DIGEST_MODES,
    DeliveryPrefs,
    describe,
    parse_clock,
    parse_quiet_hours,
    zone,
)
from bot.errors import StoreError
from bot.model import Article, MatchResult, TopicQuery
from bot.redact import redact, site_of
from bot.store.ports import CommandStore
from bot.store.rows import RecentEntry, SubscriptionRow

MAX_COMMAND_LENGTH = 2000

HELP = """\
newsbot commands (type them after /news on Slack, !news on Matrix, or on their own in the console):
  subscribe <topic> [--threshold N] [--lang de|en]
                                      track a topic in this channel, e.g.
                                      subscribe Nordkorea | North Korea +Raketen -Südkorea
                                      ( | separates aliases, +word is required, -word excludes;
                                      --lang keeps only stories in that language)
  unsubscribe <topic>                 stop tracking a topic
  list                                the topics this channel tracks
  mute <topic> [for 2h|30m|3d]        no alerts for a topic for a while (or until unmute)
  unmute <topic>                      alerts for the topic again
  preview <topic>                     the best match among stories published in the last 3 days,
                                      as an alert
  why                                 why the alert (of this thread, else the latest one) matched
  relevant | not relevant             your verdict on that alert; after a few, the bot proposes an
                                      exclusion and (settings learn on) lowers stories like the
                                      rejected ones
  exclude <word> from <topic>         add -word to a topic (unexclude <word> from <topic> undoes it)
  forget <topic>                      drop the verdicts on a topic's alerts and what was learned
  feeds                               the feeds the bot polls, with their status
  feeds add <url>                     poll another feed (http or https)
  feeds remove <url>                  stop polling a feed
  feeds resume <url>                  poll a paused feed again
  settings                            this channel's settings
  settings threads thread|thread+broadcast|flat
                                      follow-ups in the first alert's thread (default), there and in
                                      the channel when they bring a new figure, or as new messages
  settings quiet 22:00-07:00 | off    alerts wait during these hours and follow when they end
  settings digest off|hourly|daily [08:00]
                                      one message an hour or a day instead of one per alert
  settings timezone Europe/Berlin     the time zone of quiet hours and the daily digest (UTC)
  settings learn on|off               lower stories that look like those marked not relevant
  settings breaking on|off            a notice in the channel when a story breaks
  leave                               (Matrix) the bot leaves this room and drops its topics
  help                                this text"""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str  # the answer for the person who typed the command
    announce: str | None = None  # for everyone in the channel, when the command changed its subscriptions
    ok: bool = True
    leave: bool = False  # the adapter takes the bot out of the channel once it has answered


@dataclass(frozen=True, slots=True)
class CommandContext:
    channel: str
    user: str | None
    now: datetime
    thread: str | None = None  # the platform message id of the alert whose thread the command is in
    can_leave: bool = False  # the platform can take the bot out of the channel (Matrix rooms)


def strip_prefix(text: str) -> str:
    """The command without its platform prefix, in any case: `/news list`, `!news list` and
    `/NEWS LIST` all name the `list` command."""
    text = text.strip()
    head = text[:6].lower()
    for prefix in ("/news", "!news"):
        if head == prefix:
            return ""
        if head in (prefix + " ", prefix + "\t"):
            return text[len(prefix) :].strip()
    return text


MUTATING_VERBS = frozenset(
    {"subscribe", "unsubscribe", "settings", "mute", "unmute", "exclude", "unexclude", "forget", "leave"}
)
SWITCHES = {"learn": "learning from feedback", "breaking": "notices of breaking stories"}
PREVIEW_WINDOW = timedelta(hours=72)
PREVIEW_MAX_ENTRIES = 5000
_DURATION_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400}
THREAD_MODES = ("thread", "thread+broadcast", "flat")
LANGUAGES = ("de", "en")
SETTINGS_USAGE = (
    "Usage: settings | settings threads thread|thread+broadcast|flat | settings quiet 22:00-07:00|off"
    " | settings digest off|hourly|daily [08:00] | settings timezone Europe/Berlin"
    " | settings learn on|off | settings breaking on|off"
)
MUTATING_FEED_ACTIONS = frozenset({"add", "remove", "resume"})
THRESHOLD_USAGE = "--threshold takes a number from 0 to 100, e.g. --threshold 80"
QUIET_USAGE = "Quiet hours are a span of two times, e.g. settings quiet 22:00-07:00"
DIGEST_TIME_USAGE = "A time goes with a daily digest only, e.g. settings digest daily 08:00"
CANNOT_LEAVE = (
    "I can leave Matrix rooms on request only; here, remove me the platform's way (on Slack: "
    "/remove @newsbot) and drop the topics with unsubscribe. Nothing changed."
)


def changes_settings(text: str) -> bool:
    """Whether a command would change what a channel receives or what the bot polls.

    Adapters check their platform's permission (Slack admins, Matrix power level) for these.
    """
    verb, _, rest = strip_prefix(text).partition(" ")
    verb = verb.lower()
    if verb == "feeds":
        return rest.strip().partition(" ")[0].lower() in MUTATING_FEED_ACTIONS
    if verb == "settings":
        return bool(rest.strip())  # showing the settings changes nothing
    return verb in MUTATING_VERBS


def _take_option(tokens: list[str], name: str) -> str | None:
    if name not in tokens:
        return None
    index = tokens.index(name)
    if index + 1 >= len(tokens):
        raise QueryError(f"{name} needs a value, e.g. {name} 80")
    value = tokens[index + 1]
    del tokens[index : index + 2]
    return value


def parse_threshold_option(raw: str) -> float:
    """The value of `--threshold`, a number from 0 to 100 (also what the Slack topic form checks)."""
    try:
        threshold = float(raw)
    except ValueError:
        raise QueryError(THRESHOLD_USAGE) from None
    if not 0 <= threshold <= 100:  # also rejects NaN
        raise QueryError(THRESHOLD_USAGE)
    return threshold


def parse_lang_option(raw: str) -> str:
    """The value of `--lang`: one of LANGUAGES."""
    lang = raw.lower()
    if lang not in LANGUAGES:
        raise QueryError(f"--lang takes {' or '.join(LANGUAGES)}, e.g. --lang de")
    return lang


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
            "feeds": lambda: self.feeds(rest, ctx),
            "settings": lambda: self.settings(rest, ctx),
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
            raw_threshold = _take_option(tokens, "--threshold")
            threshold = parse_threshold_option(raw_threshold) if raw_threshold is not None else None
            raw_lang = _take_option(tokens, "--lang")
            lang = parse_lang_option(raw_lang) if raw_lang is not None else None
            query_text = " ".join(tokens)
            query = parse_topic(query_text, threshold)
            existing = self.store.subscription(ctx.channel, query.name)
            if existing is not None:
                return self._resubscribe(existing, query, lang, ctx)
        except QueryError as exc:
            return Reply(str(exc), ok=False)
        self.store.add_subscription(
            ctx.channel, query.name, query_text, query.threshold, ctx.user, ctx.now, lang=lang
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
            aliases=_union(old.aliases, query.aliases),
            required=_union(old.required, query.required),
            excluded=_union(old.excluded, query.excluded),
            threshold=query.threshold if query.threshold is not None else old.threshold,
        )
        new_lang = lang if lang is not None else existing.lang
        changes = [
            *(f"alias {a}" for a in merged.aliases[len(old.aliases) :]),
            *(f"+{_term(t)}" for t in merged.required[len(old.required) :]),
            *(f"-{_term(t)}" for t in merged.excluded[len(old.excluded) :]),
        ]
        notes = [f"added {', '.join(changes)}"] if changes else []
        if merged.threshold != old.threshold:
            notes.append(f"threshold {_threshold(old.threshold)} → {_threshold(merged.threshold)}")
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
            ctx.channel, existing.name, text, merged.threshold, ctx.user, ctx.now, lang=new_lang
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

    def settings(self, rest: str, ctx: CommandContext) -> Reply:
        words = rest.split()
        prefs = self.store.delivery_prefs().get(ctx.channel, DeliveryPrefs())
        if not words:
            mode = self.store.thread_modes().get(ctx.channel, "thread")
            switches = self.store.channel_switches().get(ctx.channel, (False, False))
            lines = [
                f"Follow-ups: {mode}",
                *describe(prefs),
                f"Learning from feedback: {'on' if switches[0] else 'off'}",
                f"Notices of breaking stories: {'on' if switches[1] else 'off'}",
            ]
            return Reply("Settings of this channel:\n• " + "\n• ".join(lines) + f"\n{SETTINGS_USAGE}")
        what, values = words[0].lower(), [w.lower() for w in words[1:]]
        if what == "threads" and len(values) == 1 and values[0] in THREAD_MODES:
            self.store.set_thread_mode(ctx.channel, values[0])
            return self._changed(ctx, f"follow-ups in this channel to {values[0]}")
        if what == "quiet" and values == ["off"]:
            self.store.set_delivery_prefs(ctx.channel, quiet_start=None, quiet_end=None)
            return self._changed(ctx, "no quiet hours for this channel")
        if what == "quiet" and values:
            span = parse_quiet_hours(" ".join(values))
            if span is None:
                return Reply(QUIET_USAGE, ok=False)
            self.store.set_delivery_prefs(ctx.channel, quiet_start=span[0], quiet_end=span[1])
            return self._changed(
                ctx, f"quiet hours of this channel to {span[0]}–{span[1]} ({prefs.timezone}); alerts wait"
            )
        if what == "digest" and values and values[0] in DIGEST_MODES and len(values) <= 2:
            at = parse_clock(values[1]) if len(values) == 2 else DEFAULT_DIGEST_AT
            if at is None or (len(values) == 2 and values[0] != "daily"):
                return Reply(DIGEST_TIME_USAGE, ok=False)
            # the first digest comes at the next hour or day, with what arrives from now on
            self.store.set_delivery_prefs(
                ctx.channel,
                digest=values[0],
                digest_at=at,
                last_digest_at=ctx.now if values[0] != "off" else None,
            )
            shown = {"off": "off: every alert at once", "hourly": "hourly", "daily": f"daily at {at}"}
            return self._changed(ctx, f"the digest of this channel to {shown[values[0]]}")
        if what in SWITCHES and len(values) == 1 and values[0] in ("on", "off"):
            self.store.set_channel_switch(ctx.channel, **{what: values[0] == "on"})
            return self._changed(ctx, f"{SWITCHES[what]} in this channel {values[0]}")
        if what in ("timezone", "tz") and len(words) == 2:
            name = words[1]
            if zone(name) is None:
                return Reply(unknown_zone(name), ok=False)
            self.store.set_delivery_prefs(ctx.channel, timezone=name)
            return self._changed(ctx, f"the time zone of this channel to {name}")
        return Reply(SETTINGS_USAGE, ok=False)

    @staticmethod
    def _changed(ctx: CommandContext, what: str) -> Reply:
        who = f"{ctx.user} set" if ctx.user else "Set"
        return Reply(f"Set {what}.", announce=f"{who} {what}.")

    def _feed_list(self, ctx: CommandContext) -> Reply:
        """`feeds`: every polled feed with its status (a shared install shows sites, not URLs)."""
        rows = self.store.list_feeds()
        if not rows:
            return Reply("No feeds yet. Add one with: feeds add https://www.tagesschau.de/index~rss2.xml")
        # Feeds are shared by every workspace of an OAuth install: there a workspace sees which
        # sites are polled, not another workspace's URLs (paths and queries can hold tokens too).
        shared = "@" in ctx.channel.partition(":")[2]
        count = f"{len(rows)} feed{'s' if len(rows) != 1 else ''}"
        lines = [f"{count}, shared by every workspace:" if shared else f"{count}:"]
        for feed in rows:
            shown = site_of(feed.url) if shared else redact(feed.url)
            failing = feed.last_error and feed.status != "ok" and not shared  # errors quote the URL
            error = f" — {redact(_problem_of(feed.url, feed.last_error or ''))}" if failing else ""
            name = f"{feed.title} <{shown}>" if feed.title else f"<{shown}>"
            lines.append(f"• [{feed.status}] {name}{error}")
        return Reply("\n".join(lines))

    def feeds(self, rest: str, ctx: CommandContext) -> Reply:
        action, _, argument = rest.strip().partition(" ")
        action = action.lower()
        if action in ("", "list"):
            return self._feed_list(ctx)
        url = argument.strip()
        if action == "add":
            problem = check_feed_url(url)
            if problem:
                return Reply(problem, ok=False)
            _feed, added = self.store.add_feed(url, None, ctx.now)
            if not added:
                return Reply(f"I already poll {redact(url)}.")
            return Reply(f"Added feed {redact(url)}; it will be polled within the next minutes.")
        if action == "remove":
            if not url:
                return Reply("Which feed? Usage: feeds remove <url>", ok=False)
            if not self.store.remove_feed(url):
                return Reply(f"I don't poll {redact(url)}. See `feeds` for the list.", ok=False)
            return Reply(f"Removed feed {redact(url)}.")
        if action == "resume":
            if not url:
                return Reply("Which feed? Usage: feeds resume <url>", ok=False)
            if not self.store.resume_feed(url, ctx.now):
                return Reply(f"I don't poll {redact(url)}. See `feeds` for the list.", ok=False)
            return Reply(f"Resumed feed {redact(url)}; it will be polled within the next minutes.")
        return Reply("Usage: feeds | feeds add <url> | feeds remove <url> | feeds resume <url>", ok=False)


MUTE_FOREVER = 100 * 365 * 86400


def _problem_of(url: str, error: str) -> str:
    """A feed's last error without the URL it starts with: the listing names the feed once."""
    return error.removeprefix(f"{url}: ").removeprefix(url).strip() or error


def unknown_zone(name: str) -> str:
    """The answer to a time zone that is not one."""
    return f"“{name[:64]}” is not a time zone I know; use a name like Europe/Berlin or UTC."


def parse_duration(text: str) -> int | None:
    """Seconds in `2h`, `30m`, `3d`, `90 min`; None when it is not such a duration (max a year)."""
    value = text.strip().lower().replace(" ", "")
    number = value.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = value[len(number) :]
    if not number.isdigit() or len(number) > 6 or unit not in _DURATION_UNITS:
        return None
    seconds = int(number) * _DURATION_UNITS[unit]
    return seconds if 0 < seconds <= 366 * 86400 else None


def check_feed_url(url: str) -> str | None:
    """Why a URL cannot be a feed, or None when it can (http or https with a host)."""
    if not url:
        return "Which feed? Usage: feeds add <url>, e.g. feeds add https://www.tagesschau.de/index~rss2.xml"
    if len(url) > 2048:
        return "That URL is longer than 2048 characters."
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced [ in the host
        usable = False
    if not usable:
        return f"“{url[:100]}” is not an http or https URL; feeds must be fetched over the web."
    return None


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """`first`, then what `second` adds to it, compared case- and accent-insensitively."""
    seen = {fold(term) for term in first}
    added = []
    for term in second:
        if fold(term) not in seen:
            seen.add(fold(term))
            added.append(term)
    return (*first, *added)


def _term(term: str) -> str:
    """A term as typed in a query: phrases of several words in quotes."""
    return f'"{term}"' if any(ch.isspace() for ch in term) else term


def _threshold(value: float | None) -> str:
    return "default" if value is None else f"{value:g}"


def topic_text(query: TopicQuery) -> str:
    """The query as one would type it: `Nordkorea | North Korea +Raketen -Südkorea`."""
    aliases = [f'"{a}"' if any(w[0] in "+-~" for w in a.split()) else a for a in query.aliases]
    words = [f"+{_term(t)}" for t in query.required] + [f"-{_term(t)}" for t in query.excluded]
    return " ".join([" | ".join(aliases), *words])


def describe_topic(query: TopicQuery, lang: str | None) -> str:
    """The whole query with its exclusions, threshold and language, for a confirmation."""
    notes = [f"threshold {query.threshold:g}"] if query.threshold is not None else []
    if lang:
        notes.append(f"stories in {lang} only")
    return topic_text(query) + (f" ({', '.join(notes)})" if notes else "")
