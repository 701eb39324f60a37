"""Who may change what a channel receives: one rule for every platform.

The commands this guards are those `commands.changes_settings` names. Each adapter only gathers what
its platform knows of the person, in these neutral terms: whether the bot's settings let everyone,
whether they list this person, and whether the platform counts them an admin of the place (a Slack
workspace's admins and owners, a Matrix room's members with the configured power level, creators
included). The admin question may cost a request, so it is asked only when the answer matters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum


class Access(Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    UNKNOWN = "unknown"  # the platform could not say whether the person is an admin


async def may_change(
    *, everyone: bool, listed: bool, is_admin: Callable[[], Awaitable[bool | None]]
) -> Access:
    """Everyone when the settings say so, else the listed people and the place's admins.

    `is_admin` answers None when the platform cannot tell; it is not called when the settings
    already decide."""
    if everyone or listed:
        return Access.ALLOWED
    admin = await is_admin()
    if admin is None:
        return Access.UNKNOWN
    return Access.ALLOWED if admin else Access.REFUSED
