"""What a new user sets up from the shipped files matches what the bot needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.chat.commands import changes_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_slack_manifest_grants_the_scope_that_slack_managers_admins_needs() -> None:
    # slack_managers = ["admins"] asks users.info whether a member is an admin or owner
    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yml").read_text(encoding="utf-8"))
    assert "users:read" in manifest["oauth_config"]["scopes"]["bot"]


def test_the_matrix_guide_names_every_command_that_needs_the_power_level() -> None:
    guide = (ROOT / "docs" / "matrix.md").read_text(encoding="utf-8")
    row = next(line for line in guide.splitlines() if line.startswith("| `matrix_command_power_level`"))
    named = set(re.findall(r"`(\w+)", row))
    needing = {
        verb for verb in ("subscribe", "unsubscribe", "mute", "unmute") if changes_settings(verb + " x")
    }
    assert changes_settings("settings quiet off") and not changes_settings("settings")
    assert needing | {"settings", "feeds", "leave"} <= named
