"""Command-line entry point: `newsbot …` and `python -m bot …`.

The parser and the dispatch; each command lives with its kind (`articles`, `running`, `admin`), and
what a running bot is made of comes from the composition root (`bot.compose`). Every expected
failure ends as one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bot.cli.admin import cmd_channels, cmd_db, cmd_feeds
from bot.cli.articles import cmd_extract, cmd_match, cmd_preview, cmd_stories
from bot.cli.running import cmd_clock, cmd_run, cmd_serve
from bot.errors import NewsbotError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="News alerts for Slack, Matrix and the console."
    )
    parser.add_argument("--config", metavar="PATH", help="a TOML file with settings (or set NEWSBOT_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    match = sub.add_parser("match", help="score an article against topics")
    match.add_argument("--topic", action="append", required=True, help="topic query; repeat for several")
    match.add_argument("--json", action="store_true", help="print JSON")
    match.add_argument("--lang", choices=["de", "en", "auto"], default="auto")
    match.add_argument("file", help="article: first line headline, then text; - for stdin")
    match.set_defaults(handler=cmd_match)

    extract = sub.add_parser("extract", help="key quote and key figure of an article")
    extract.add_argument("--topic", help="the topic the alert is for")
    extract.add_argument("--json", action="store_true", help="print JSON")
    extract.add_argument("--lang", choices=["de", "en", "auto"], default="auto")
    extract.add_argument("--explain", action="store_true", help="show the features that decided")
    extract.add_argument("file", help="article: first line headline, then text; - for stdin")
    extract.set_defaults(handler=cmd_extract)

    stories = sub.add_parser("stories", help="group entries (JSON lines, in time order) into stories")
    stories.add_argument("--json", action="store_true", help="print JSON lines (the only format)")
    stories.add_argument(
        "--explain", action="store_true", help="add each entry's candidate stories with their scored features"
    )
    stories.add_argument("file", help="JSON lines file; - for stdin")
    stories.set_defaults(handler=cmd_stories)

    preview = sub.add_parser("preview", help="show an article's alert as each platform would")
    preview.add_argument("--topic", required=True, help="the topic the alert is for")
    preview.add_argument("source", help="article file (headline, then text), - for stdin, or an http(s) URL")
    preview.add_argument("--explain", action="store_true", help="say why the figure and quote were chosen")
    preview.set_defaults(handler=cmd_preview)

    run = sub.add_parser("run", help="poll feeds and post alerts (SQLite and the console by default)")
    run.add_argument("--once", action="store_true", help="poll every enabled feed once, deliver, exit")
    run.set_defaults(handler=cmd_run)

    serve = sub.add_parser("serve", help="run the bot and serve Slack's HTTP requests on /slack/events")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(handler=cmd_serve)

    clock = sub.add_parser(
        "clock", help="scale-out: the one scheduler, sending due work to Celery workers (PostgreSQL)"
    )
    clock.set_defaults(handler=cmd_clock)

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations")
    db.set_defaults(handler=cmd_db)

    feeds = sub.add_parser("feeds", help="manage the feeds the bot polls")
    feeds_sub = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    feeds_sub.add_parser("list", help="every feed with its status, last error and next poll")
    add = feeds_sub.add_parser("add", help="poll another feed")
    add.add_argument("url")
    add.add_argument("--title")
    add.add_argument(
        "--full-text",
        choices=("always", "never", "teasers"),
        help="fetch article pages for the full text: always, never, or for teasers only (default)",
    )
    feeds_sub.add_parser("remove", help="stop polling a feed").add_argument("url")
    feeds_sub.add_parser("resume", help="resume a paused feed").add_argument("url")
    feeds_sub.add_parser("import", help="add the feeds of an OPML file").add_argument("file")
    feeds_sub.add_parser("export", help="print every feed as OPML")
    feeds.set_defaults(handler=cmd_feeds)

    channels = sub.add_parser("channels", help="channels with subscriptions, and paused ones")
    channels_sub = channels.add_subparsers(dest="action", metavar="ACTION")
    channels_sub.add_parser("list", help="every channel with its status and topics (the default)")
    channels_sub.add_parser("resume", help="deliver to a paused channel again").add_argument("channel")
    channels.set_defaults(handler=cmd_channels, action="list")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
