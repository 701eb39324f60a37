"""The safety nets of Slack's surfaces: every Home tab, form and shortcut request is acknowledged
and answered, whatever fails or whatever arrives (a malformed or out-of-date form), never a 5xx.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_bolt.response import BoltResponse

from bot.chat.slack_actions import SORRY
from bot.chat.slack_form_kit import notice_view

log = logging.getLogger("bot.chat.slack_surfaces")

UNKNOWN_FORM = (
    "I don't know this form any more (newsbot may have been updated since it opened). Close it and "
    "open it again from newsbot's Home tab."
)
Listener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]


def guard(listener: Listener) -> Listener:
    """Acknowledge at once, then run; a failure is logged, never a 5xx."""

    async def run(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        try:
            await listener(ack, body)
        except Exception:
            log.exception("Slack: a Home tab, form or shortcut request failed")

    return run


def guard_form(first_field: str, listener: Listener) -> Listener:
    """A form submission: the listener acknowledges; if it fails first, the error shows at a field."""

    async def run(ack: AsyncAck, body: dict[str, Any]) -> None:
        acked = False

        async def once(**kwargs: Any) -> None:
            nonlocal acked
            if not acked:
                acked = True
                await ack(**kwargs)

        try:
            await listener(once, body)  # type: ignore[arg-type]
        except Exception:
            log.exception("Slack: a form submission failed")
            await once(response_action="errors", errors={first_field: SORRY})
        await once()

    return run


async def malformed_forms(body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
    """A form submission without a view or callback_id would fail in Bolt's listener matching;
    it gets the same answer as an unknown form."""
    if body.get("type") in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            log.warning("Slack: a form submission without a view or callback_id")
            answer = {"response_action": "update", "view": notice_view("Form out of date", UNKNOWN_FORM)}
            return BoltResponse(
                status=200,
                body=json.dumps(answer) if body.get("type") == "view_submission" else "",
                headers={"content-type": ["application/json;charset=utf-8"]},
            )
    return await next()


async def on_unknown_form(ack: AsyncAck, body: dict[str, Any]) -> None:
    """A form whose callback_id this version does not know: say so instead of failing."""
    callback = str((body.get("view") or {}).get("callback_id") or "")[:80]
    log.warning("Slack: a form with the unknown callback_id %r was submitted", callback)
    await ack(response_action="update", view=notice_view("Form out of date", UNKNOWN_FORM))
