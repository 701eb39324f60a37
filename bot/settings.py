"""Typed settings: `config/default.toml`, then a user TOML, then `NEWSBOT_*` environment variables.

One Settings object is built at start-up (`load_settings`) and passed to whatever needs it;
nothing reads the environment later. Nested tables map to `NEWSBOT_<TABLE>__<KEY>` variables,
e.g. `NEWSBOT_FETCH__TIMEOUT_SECONDS=10`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.toml"


class FetchSettings(BaseModel):
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot/newsbot)"
    timeout_seconds: float = Field(30.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    allow_private_hosts: list[str] = Field(default_factory=list)
    concurrency: int = Field(64, gt=0)
    per_host: int = Field(8, gt=0)
    full_text_below_chars: int = Field(400, ge=0)
    parse_processes: int = Field(0, ge=0)  # 0: one per core
    max_items_per_poll: int = Field(500, gt=0)  # the newest items taken from one feed document


class ScheduleSettings(BaseModel):
    tick_seconds: float = Field(30.0, gt=0)
    min_interval_seconds: float = Field(300.0, gt=0)
    max_interval_seconds: float = Field(3600.0, gt=0)
    max_failures: int = Field(5, gt=0)
    feed_lease_seconds: float | None = Field(None, gt=0)


class AlertSettings(BaseModel):
    first_poll_window_seconds: float = Field(0.0, ge=0)
    max_age_days: float = Field(7.0, gt=0)
    story_window_hours: float = Field(72.0, gt=0)
    edit_interval_seconds: float = Field(60.0, ge=0)


class FeedConfig(BaseModel):
    url: str
    title: str | None = None
    category: str | None = None  # a folder, as in OPML ("News/World")
    # fetch each entry's article page for the full text: always, never, or teasers (the default:
    # only entries shorter than fetch.full_text_below_chars)
    full_text: Literal["always", "never", "teasers"] | None = None


class SubscriptionConfig(BaseModel):
    channel: str = "console"
    topic: str
    threshold: float | None = None
    lang: Literal["de", "en"] | None = None  # only stories in this language


class Settings(BaseSettings):
    """Every setting of the bot; the comments in config/default.toml explain each one."""

    model_config = SettingsConfigDict(env_prefix="NEWSBOT_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Path("data")
    database_url: str | None = None
    broker_url: str | None = None  # Celery broker for scale-out: redis://… or amqp://…
    celery_queue: str = "newsbot"  # the queue of newsbot's tasks (deliveries go to "<queue>.deliver")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    feeds: list[FeedConfig] = Field(default_factory=list)
    feeds_opml: list[Path] = Field(default_factory=list)
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)

    # Slack, under Slack's own variable names; secrets never appear in logs or reprs.
    slack_api_url: str = "https://slack.com/api/"
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_client_id: str | None = Field(
        None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "slack_client_id")
    )
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "slack_client_secret")
    )
    # Who may change a channel's subscriptions and settings: empty lets every member; else Slack
    # user ids, and "admins" for the workspace's admins and owners.
    slack_managers: list[str] = Field(default_factory=list)

    # Matrix: NEWSBOT_MATRIX_HOMESERVER, NEWSBOT_MATRIX_USER and a password or an access token.
    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None
    matrix_command_power_level: int = 50
    matrix_allowed_inviters: list[str] = Field(
        default_factory=list
    )  # user ids or ":server" suffixes; empty: all

    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None or self.slack_client_id is not None

    def matrix_enabled(self) -> bool:
        return bool(self.matrix_homeserver and self.matrix_user)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    def resolved_database_url(self) -> str:
        """The configured URL, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'newsbot.sqlite').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML layers arrive as init kwargs (see load_settings); environment variables win over them.
        return (env_settings, init_settings)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path} (check --config or NEWSBOT_CONFIG)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; everything else (lists included) is replaced by the override."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(config_path: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from the shipped defaults, the user's TOML (argument or NEWSBOT_CONFIG), the environment."""
    layers: dict[str, Any] = _read_toml(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else {}
    user_path = config_path or os.environ.get("NEWSBOT_CONFIG")
    if user_path:
        layers = _merge(layers, _read_toml(Path(user_path)))
    try:
        return Settings(**layers)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
