"""Typed settings: `config/default.toml`, then a user TOML, then `NEWSBOT_*` environment variables.

One Settings object is built at start-up (`load_settings`) and passed to whatever needs it;
nothing reads the environment later. Nested tables map to `NEWSBOT_<TABLE>__<KEY>` variables,
e.g. `NEWSBOT_FETCH__TIMEOUT_SECONDS=10`.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.toml"


class _Table(BaseModel):
    """A table of the config: a key it does not know is a typo, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class FetchSettings(_Table):
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot/newsbot)"
    timeout_seconds: float = Field(30.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    allow_private_hosts: list[str] = Field(default_factory=list)
    concurrency: int = Field(64, gt=0)
    per_host: int = Field(8, gt=0)
    host_requests_per_minute: float = Field(30.0, gt=0)  # to one host, all its feeds together
    full_text_below_chars: int = Field(400, ge=0)
    parse_processes: int = Field(0, ge=0)  # 0: one per core
    max_items_per_poll: int = Field(500, gt=0)  # the newest items taken from one feed document


class ScheduleSettings(_Table):
    tick_seconds: float = Field(30.0, gt=0)
    min_interval_seconds: float = Field(300.0, gt=0)
    max_interval_seconds: float = Field(3600.0, gt=0)
    max_failures: int = Field(5, gt=0)
    feed_lease_seconds: float | None = Field(None, gt=0)
    floor_rate_per_hour: float = Field(1.25, gt=0)  # a feed publishing this often is polled at the floor


class WebSubSettings(_Table):
    callback_url: str | None = None  # public base URL of `newsbot serve`; None: no WebSub
    lease_seconds: int = Field(864_000, gt=0)  # asked of the hub; it may grant another
    renew_before_seconds: float = Field(3600.0, gt=0)  # renew this long before the lease ends
    poll_interval_seconds: float = Field(21_600.0, gt=0)  # safety-net polls of a pushed feed
    confirm_timeout_seconds: float = Field(600.0, gt=0)  # a hub that never confirms: poll as before


class AlertSettings(_Table):
    first_poll_window_seconds: float = Field(0.0, ge=0)
    max_age_days: float = Field(7.0, gt=0)
    story_window_hours: float = Field(72.0, gt=0)
    edit_interval_seconds: float = Field(60.0, ge=0)
    # a story is breaking when this many different outlets report it within breaking_minutes, and
    # at least breaking_factor times as many as the topic's stories usually reach in that time
    breaking_minutes: float = Field(60.0, gt=0)
    breaking_outlets: int = Field(4, ge=2)
    breaking_factor: float = Field(2.0, ge=1)


class FeedConfig(_Table):
    url: str
    title: str | None = None
    category: str | None = None  # a folder, as in OPML ("News/World")
    # fetch each entry's article page for the full text: always, never, or teasers (the default:
    # only entries shorter than fetch.full_text_below_chars)
    full_text: Literal["always", "never", "teasers"] | None = None


class SubscriptionConfig(_Table):
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
    websub: WebSubSettings = Field(default_factory=WebSubSettings)
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
    # End-to-end encryption (docs/matrix.md, "Encrypted rooms"): which members' devices get the
    # room keys. "tofu" trusts each device the first time it is seen; "verified" only the devices
    # listed in matrix_verified_devices ("@user:server DEVICEID [ed25519 key]").
    matrix_device_trust: Literal["tofu", "verified"] = "tofu"
    matrix_verified_devices: list[str] = Field(default_factory=list)
    # Encrypts the keys at rest in data_dir/matrix-crypto; unset: a random key kept beside them.
    matrix_store_passphrase: SecretStr | None = None
    # Scale-out: the `web` process (which owns the keys) that workers hand encrypted-room sends to,
    # e.g. http://web.internal:3000; unset, workers post nothing in encrypted rooms.
    matrix_relay_url: str | None = None

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
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc


def _problem(error: Any) -> str:
    """One validation error as the user's key path and what is wrong, with the nearest valid key
    for an unknown one (`alerts.first_poll_window` -> `first_poll_window_seconds`)."""
    loc = [str(part) for part in error["loc"]]
    where = ".".join(loc) or "settings"
    if error["type"] != "extra_forbidden":
        return f"{where}: {error['msg']}"
    known = _keys_at([part for part in error["loc"][:-1] if not isinstance(part, int)])
    nearest = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.5)
    hint = f"; did you mean {'.'.join([*loc[:-1], nearest[0]])}?" if nearest else ""
    return f"{where}: unknown setting{hint}"


def _keys_at(path: list[str]) -> list[str]:
    """The valid keys of the table at `path` (list items such as one [[feeds]] entry skipped)."""
    model: type[BaseModel] | None = Settings
    for name in path:
        field = model.model_fields.get(name) if model is not None else None
        annotation = field.annotation if field is not None else None
        model = next(
            (
                candidate
                for candidate in (annotation, *getattr(annotation, "__args__", ()))
                if isinstance(candidate, type) and issubclass(candidate, BaseModel)
            ),
            None,
        )
    return list(model.model_fields) if model is not None else []
