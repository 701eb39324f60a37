"""A test run shows no warning of a dependency's own making, and still shows ours."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_standin import CLIENT_ID, CLIENT_SECRET, SlackStandin, slack_standin


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with slack_standin() as server:
        yield server


def test_slack_sdks_own_basic_auth_is_quiet_and_the_same_warning_elsewhere_is_not(
    standin: SlackStandin,
) -> None:
    async def exchange() -> None:
        # slack_sdk sends the app's credentials as aiohttp.BasicAuth, which aiohttp deprecates
        client = AsyncWebClient(base_url=standin.api_url)
        with pytest.raises(SlackApiError, match="invalid_code"):
            await client.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="unknown")

    with warnings.catch_warnings(record=True) as caught:  # under the project's warning filters
        asyncio.run(exchange())
        assert not [w for w in caught if "BasicAuth" in str(w.message)]
        aiohttp.BasicAuth("newsbot", "secret")  # the filter is for slack_sdk's call only
    assert any(issubclass(w.category, DeprecationWarning) and "BasicAuth" in str(w.message) for w in caught)
