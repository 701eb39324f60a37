"""Redacting URL credentials: what is hidden, and what is left alone."""

from __future__ import annotations

import logging

import pytest

from bot.redact import RedactingFilter, redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:pw@example.org/feed", "https://***@example.org/feed"),
        ("fetch https://tok3n@example.org/a failed; see http://a:b@c.example/x", None),
        ("HTTPS://User:Pw@Example.org", "HTTPS://***@Example.org"),
        ("https://example.org/@someone/feed", "https://example.org/@someone/feed"),  # @ in the path
        ("https://example.org/feed?mail=a@b.example", "https://example.org/feed?mail=a@b.example"),
        ("write to a@b.example", "write to a@b.example"),
    ],
)
def test_userinfo_is_replaced_and_nothing_else(text: str, shown: str | None) -> None:
    if shown is None:
        assert redact(text) == "fetch https://***@example.org/a failed; see http://***@c.example/x"
    else:
        assert redact(text) == shown


def test_the_log_filter_redacts_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("bot", logging.WARNING, __file__, 1, "%s: %s", ("https://u:pw@h/f", 500), None)
    try:
        raise ValueError("cannot open https://u:pw@h/f")
    except ValueError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "https://***@h/f: 500"
    assert record.exc_text is not None and "u:pw" not in record.exc_text and "***@h/f" in record.exc_text
