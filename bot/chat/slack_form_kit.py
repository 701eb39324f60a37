"""The pieces every Slack form is built of, and how a submitted form's state is read back.

Block Kit's input blocks, text inputs and selects with Slack's length limits, the private metadata a
form carries (which channel, which version), and the values and files of a submitted view.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.chat.slack_blocks import Block

VALUE = "value"  # the action_id of every form field
METADATA_LIMIT = 3000  # Slack's limit for private_metadata


@dataclass(frozen=True, slots=True)
class FormResult:
    """What a submitted form asks for: commands to run in order, or errors by field (block id)."""

    commands: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def plain(text: str, limit: int = 2000) -> dict[str, Any]:
    """A plain-text object, cut to the limit of the place it goes."""
    return {"type": "plain_text", "text": text[:limit], "emoji": False}


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """A labelled form field; every field's element answers to the action id VALUE."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {"action_id": VALUE, **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def text_input(initial: str | None, *, max_length: int, placeholder: str | None = None) -> dict[str, Any]:
    """A one-line text field, its initial value cut to what it accepts."""
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def option(value: str, label: str | None = None) -> dict[str, Any]:
    """One choice of a select."""
    return {"text": plain(label or value, 75), "value": value}


def select(choices: Sequence[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    """A select of (value, label) choices, `initial` chosen when it is one of them."""
    options = [option(value, label) for value, label in choices]
    element: dict[str, Any] = {"type": "static_select", "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def metadata(**values: Any) -> str:
    """private_metadata: what the form needs to know when it comes back (which channel, which version)."""
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    if len(text) > METADATA_LIMIT:
        raise ValueError("a form's private metadata is longer than Slack allows")
    return text


def read_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The form's private_metadata, or {} when it is missing or not ours."""
    try:
        value = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def state_values(view: dict[str, Any]) -> dict[str, str | None]:
    """Each field's value by block id (None when empty or missing), from a submitted view's state."""
    state = view.get("state") or {}
    values = state.get("values") if isinstance(state, dict) else None
    found: dict[str, str | None] = {}
    if not isinstance(values, dict):
        return found
    for block_id, actions in values.items():
        action = actions.get(VALUE) if isinstance(actions, dict) else None
        if not isinstance(action, dict):
            continue
        value = action.get("value")
        if value is None and isinstance(action.get("selected_option"), dict):
            value = action["selected_option"].get("value")
        found[str(block_id)] = str(value).strip() if value is not None and str(value).strip() else None
    return found


def modal(callback_id: str, title: str, submit: str, blocks: list[Block], private: str) -> dict[str, Any]:
    """A form that comes back to the listener of `callback_id` with `private` as its metadata."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
        "private_metadata": private,
    }


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal with only a message (a form that cannot be used any more, say why)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text[:3000], "emoji": False}}],
    }


def for_channel(target: str) -> Block:
    """Which channel a form changes, as Slack shows a channel: by its name."""
    channel = target.partition("@")[0]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"For <#{channel}>"}]}


def state_files(view: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    """The files uploaded in a file field of a submitted view."""
    values = (view.get("state") or {}).get("values") or {}
    action = (values.get(block_id) or {}).get(VALUE) if isinstance(values, dict) else None
    files = action.get("files") if isinstance(action, dict) else None
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []
