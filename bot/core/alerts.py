"""An alert's content from an article, the topic it is for and how the topic matched."""

from __future__ import annotations

from datetime import datetime

from bot.core.analysis import Analysis
from bot.core.keypoints import extract_keypoints
from bot.model import AlertContent, Article, MatchResult, Relation, TopicQuery


def build_alert(
    article: Article,
    topic: TopicQuery,
    match: MatchResult | None,
    *,
    link: str | None,
    source: str,
    published: datetime | None,
    relation: Relation = "new",
    analysis: Analysis | None = None,
) -> AlertContent:
    """The alert for `article` under `topic`: its key figure and key quote chosen for that topic.

    `match` is None for a report that joins a story the channel follows without naming the topic;
    `analysis` is the article's, read once for all its alerts.
    """
    points = extract_keypoints(article, topic, analysis=analysis)
    return AlertContent(
        topic=topic.name,
        title=article.title,
        link=link,
        source=source,
        published=published,
        score=match.score if match else 0.0,
        figure=points.figure,
        quote=points.quote,
        evidence=match.evidence if match else (),
        relation=relation,
        sources=(source,),
        lang=points.lang,
    )
