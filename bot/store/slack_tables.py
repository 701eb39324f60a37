"""The tables of Slack workspaces that installed the app through OAuth, on the store's metadata.

They have the layout slack_sdk's SQLAlchemy stores read and write (bot/chat/slack_oauth.py uses
them). They live apart from `schema.py` because building them imports slack_sdk, which a process
that never serves Slack's OAuth flow (`run --once` from cron, a worker) should not pay for at start.

Import `metadata` from here where every table must be known (migrations, schema checks).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.store.schema import metadata

__all__ = ["metadata", "slack_bots", "slack_installations", "slack_oauth_states"]

slack_installations = SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
slack_bots = SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
