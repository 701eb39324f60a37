"""Multi-workspace Slack installs: Bolt's OAuth flow with installations kept in our database.

slack_sdk's SQLAlchemy stores do the reading and writing, on the tables our Alembic migrations
create (bot/store/schema.py); they are synchronous, so each call runs in a worker thread to keep
the event loop free.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.settings import Settings
from bot.store.db import Store

log = logging.getLogger(__name__)

BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "channels:history", "groups:history")
STATE_SECONDS = 600


class DatabaseInstallationStore(AsyncInstallationStore):
    """Installations and bots of every workspace, in the bot's own database."""

    def __init__(self, client_id: str, store: Store) -> None:
        self._sync = SQLAlchemyInstallationStore(client_id=client_id, engine=store.engine, logger=log)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._sync.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._sync.save_bot, bot)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found: Bot | None = await asyncio.to_thread(
            self._sync.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found: Installation | None = await asyncio.to_thread(
            self._sync.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self._sync.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self._sync.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class DatabaseStateStore(AsyncOAuthStateStore):
    """The one-time `state` values of OAuth flows in progress (CSRF protection)."""

    def __init__(self, store: Store) -> None:
        self._sync = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=store.engine, logger=log
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state: str = await asyncio.to_thread(self._sync.issue)
        return state

    async def async_consume(self, state: str) -> bool:
        consumed: bool = await asyncio.to_thread(self._sync.consume, state)
        return consumed


def oauth_settings(settings: Settings, store: Store) -> AsyncOAuthSettings | None:
    """Bolt's OAuth settings when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set, else None."""
    if not settings.slack_client_id or settings.slack_client_secret is None:
        return None
    base = settings.slack_api_url.rstrip("/")
    # Slack's authorize page lives beside its Web API; a proxy or test stand-in serves both.
    authorize = (
        "https://slack.com/oauth/v2/authorize" if "slack.com" in base else f"{base}/oauth/v2/authorize"
    )
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=DatabaseInstallationStore(settings.slack_client_id, store),
        state_store=DatabaseStateStore(store),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        authorization_url=authorize,
    )
