"""The one command grammar every platform shares: what a command and its answer are, how its
words and options read, which commands change a channel, and how a topic is written back.

Handlers (`bot/chat/commands.py`, `bot/chat/channel_commands.py`) build on these; the Slack forms
check their fields with the same parsers, so a form and a typed command accept the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.core.folding import fold
from bot.core.matching import QueryError
from bot.model import TopicQuery

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


def take_option(tokens: list[str], name: str) -> str | None:
    """The value after option `name` (both taken out of `tokens`), None when it is not given."""
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


MUTE_FOREVER = 100 * 365 * 86400


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


def union_of(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """`first`, then what `second` adds to it, compared case- and accent-insensitively."""
    seen = {fold(term) for term in first}
    added = []
    for term in second:
        if fold(term) not in seen:
            seen.add(fold(term))
            added.append(term)
    return (*first, *added)


def term_text(term: str) -> str:
    """A term as typed in a query: phrases of several words in quotes."""
    return f'"{term}"' if any(ch.isspace() for ch in term) else term


def threshold_text(value: float | None) -> str:
    """A threshold as the answers name it."""
    return "default" if value is None else f"{value:g}"


def topic_text(query: TopicQuery) -> str:
    """The query as one would type it: `Nordkorea | North Korea +Raketen -Südkorea`."""
    aliases = [f'"{a}"' if any(w[0] in "+-~" for w in a.split()) else a for a in query.aliases]
    words = [f"+{term_text(t)}" for t in query.required] + [f"-{term_text(t)}" for t in query.excluded]
    return " ".join([" | ".join(aliases), *words])


def describe_topic(query: TopicQuery, lang: str | None) -> str:
    """The whole query with its exclusions, threshold and language, for a confirmation."""
    notes = [f"threshold {query.threshold:g}"] if query.threshold is not None else []
    if lang:
        notes.append(f"stories in {lang} only")
    return topic_text(query) + (f" ({', '.join(notes)})" if notes else "")
