"""The plain data the core speaks.

Everything here is an immutable value: the core takes these in and hands these out, the
edges (ingest, store, chat) convert to and from them. No I/O, no framework types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Relation = Literal["new", "same", "followup"]
ThreadMode = Literal["thread", "thread+broadcast", "flat"]


@dataclass(frozen=True, slots=True)
class Article:
    """The text of one story as the analysis core sees it."""

    title: str
    summary: str = ""
    text: str = ""
    lang: str | None = None  # "de", "en" or None when unknown


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed, parsed and normalised."""

    key: str  # stable identity within its feed: guid, else normalised link, else content hash
    title: str
    link: str | None
    summary: str
    text: str
    published: datetime | None  # timezone-aware UTC, None when the feed gives no usable date
    content_hash: str  # changes when the text changes; an equal key with another hash is an update
    lang: str | None = None
    author: str | None = None

    def article(self) -> Article:
        return Article(title=self.title, summary=self.summary, text=self.text, lang=self.lang)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a parser made of a feed document."""

    title: str | None
    link: str | None
    lang: str | None
    entries: tuple[Entry, ...]
    ttl_seconds: int | None = None  # <ttl> or sy:updatePeriod/Frequency: a lower bound on the next poll
    problem: str | None = None  # a recovered defect (bozo) worth logging; None when clean


FeedStatus = Literal["ok", "failing", "paused"]


@dataclass(frozen=True, slots=True)
class FeedAnswer:
    """What a feed's full answer (a body, not a 304) says of itself; kept whole, None included,
    so that validators a feed stopped sending are forgotten."""

    etag: str | None
    last_modified: str | None
    ttl_seconds: int | None


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed after one poll, as the store keeps it (the poll's lease ends with it).

    The optional fields left None keep what the feed had (a failed poll keeps its pace and
    validators), except `error`: None clears the last error."""

    status: FeedStatus
    polled_at: datetime
    next_poll_at: datetime
    failures: int  # failed polls in a row
    error: str | None = None  # why the poll failed; None clears the last error
    succeeded: bool = False  # the feed answered: this poll is its last success
    rate_per_hour: float | None = None  # the schedule's estimate of new items an hour
    rate_basis: str | None = None  # what the estimate rests on
    answer: FeedAnswer | None = None
    hub: tuple[str | None, str | None] | None = None  # WebSub (hub, topic) advertised; None: not looked for
    title: str | None = None  # a title for a feed that had none
    url: str | None = None  # where the feed moved permanently


@dataclass(frozen=True, slots=True)
class TopicQuery:
    """A topic a channel tracks: `Nordkorea | North Korea +Raketen -Südkorea`."""

    name: str
    aliases: tuple[str, ...]  # every alternative, the name first
    required: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    threshold: float | None = None  # 0..100; None uses the default


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a topic matched: which alias met which word where."""

    alias: str
    word: str
    field: str  # "title", "summary" or "text"
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    topic: str
    score: float  # 0..100
    matched: bool
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Quote:
    text: str  # the quoted words without the quotation marks
    speaker: str | None = None  # a person's name where one is known
    role: str | None = None  # "stellvertretende Pentagon-Sprecherin"
    start: int = 0  # character offset in the analysed text
    fragment: bool = False  # scare quote or short fragment, not a full statement


@dataclass(frozen=True, slots=True)
class Figure:
    text: str  # as it reads in the article: "etwa 10.000 Soldaten"
    value: float  # 10000.0
    unit: str | None = None  # what it counts or measures: "Soldaten", "Prozent", "EUR"
    approx: str | None = None  # "etwa", "mehr als", "about"
    start: int = 0
    sentence: str = ""


@dataclass(frozen=True, slots=True)
class KeyPoints:
    """The key quote and key figure of an article, with every candidate found."""

    lang: str
    quote: Quote | None
    figure: Figure | None
    quotes: tuple[Quote, ...] = ()
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryItem:
    """An entry as story grouping sees it."""

    id: str
    title: str
    summary: str
    published: datetime | None
    source: str
    lang: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class StoryDecision:
    story: str  # id of the story the item belongs to (the id of its first item for a new story)
    relation: Relation
    similarity: float = 0.0  # to the best candidate, 0..1


@dataclass(frozen=True, slots=True)
class AlertContent:
    """Everything a chat adapter needs to render one alert; all text is untrusted feed text."""

    topic: str
    title: str
    link: str | None
    source: str
    published: datetime | None
    score: float
    figure: Figure | None
    quote: Quote | None
    evidence: tuple[Evidence, ...] = ()
    relation: Relation = "new"
    sources: tuple[str, ...] = field(default_factory=tuple)  # every outlet that reported the story so far
    updated: datetime | None = None  # when a later report last changed the story (parent edits)
    broadcast: bool = False  # a major follow-up that should also show in the channel (thread+broadcast)
    breaking: bool = False  # many outlets reported the story within a short time (bot/core/breaking.py)
    lang: str | None = None  # the language the article was read in ("de", "en")
    parent_title: str | None = None  # for a follow-up: the headline of the alert whose thread it is in


@dataclass(frozen=True, slots=True)
class ParentAlert:
    """A story's first alert in a channel, as it reads now (its latest edit): stored (`alert_id`) or
    queued in the same poll for the entry `entry_key`."""

    alert_id: int | None
    entry_key: str | None
    content: AlertContent


@dataclass(frozen=True, slots=True)
class JudgedAlert:
    """An alert as feedback learning reads it: a reader's verdict (None: unjudged) and its story."""

    relevant: bool | None
    title: str
    summary: str
    source: str
