"""The one rule for who may change what a channel receives, on every platform."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.chat.permissions import Access, may_change


def admin_answer(answer: bool | None, asked: list[int]) -> Callable[[], Awaitable[bool | None]]:
    """The platform's answer to "is this person an admin here?", counting how often it is asked."""

    async def is_admin() -> bool | None:
        asked.append(1)
        return answer

    return is_admin


def decide(*, everyone: bool = False, listed: bool = False, admin: bool | None = False) -> tuple[Access, int]:
    asked: list[int] = []
    access = asyncio.run(may_change(everyone=everyone, listed=listed, is_admin=admin_answer(admin, asked)))
    return access, len(asked)


@pytest.mark.parametrize("admin", [True, False, None])
def test_when_the_settings_let_everyone_the_platform_is_not_asked(admin: bool | None) -> None:
    assert decide(everyone=True, admin=admin) == (Access.ALLOWED, 0)


def test_a_listed_person_may_without_asking_the_platform() -> None:
    assert decide(listed=True, admin=False) == (Access.ALLOWED, 0)


def test_an_admin_of_the_place_may() -> None:
    assert decide(admin=True) == (Access.ALLOWED, 1)


def test_anyone_else_is_refused() -> None:
    assert decide(admin=False) == (Access.REFUSED, 1)


def test_when_the_platform_cannot_tell_the_answer_is_unknown_not_a_yes() -> None:
    assert decide(admin=None) == (Access.UNKNOWN, 1)
