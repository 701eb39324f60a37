"""One exception hierarchy: every error the bot reports to a person derives from NewsbotError.

Its message is written for the person who reads it: what went wrong and how to fix it.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """An expected failure with a message fit to show a user."""


class ConfigError(NewsbotError):
    """Settings or a config file are missing or wrong."""


class FetchError(NewsbotError):
    """A feed or page could not be fetched (network, HTTP status, guard, cap)."""

    def __init__(self, message: str, *, kind: str = "error", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # short machine-readable reason: "timeout", "http_500", "private_address", ...
        self.retry_after = retry_after


class ParseError(NewsbotError):
    """A document is not a usable feed."""


class StoreError(NewsbotError):
    """The database cannot be reached or written."""


class CommandError(NewsbotError):
    """A chat or CLI command cannot be carried out as written."""


class ChannelUnavailable(NewsbotError):
    """A chat channel cannot take messages (archived, bot removed, kicked): its alerts wait, paused."""


class ChatUnavailable(NewsbotError):
    """The chat platform is busy or unreachable for now (rate limit, 5xx, network): nothing is wrong
    with the message, so it is retried until the platform answers, never given up.

    `retry_after` (seconds) is the platform's own wait, when it named one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
