"""Settings come from config/default.toml, then the user's TOML, then NEWSBOT_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import DEFAULT_CONFIG, Settings, load_settings


def test_shipped_defaults_match_the_documented_ones() -> None:
    # config/default.toml is what people read; the code's own defaults must say the same
    assert load_settings() == Settings()
    assert DEFAULT_CONFIG.exists()


def test_user_toml_overrides_defaults_and_environment_overrides_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "my.toml"
    config.write_text(
        'data_dir = "/srv/newsbot"\n'
        '[fetch]\nallow_private_hosts = ["127.0.0.1"]\n'
        "[schedule]\ntick_seconds = 2\nmin_interval_seconds = 1\n"
        '[[feeds]]\nurl = "http://127.0.0.1:8000/feed.xml"\n'
        '[[subscriptions]]\nchannel = "console"\ntopic = "Nordkorea"\n'
    )
    monkeypatch.setenv("NEWSBOT_SCHEDULE__TICK_SECONDS", "5")
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "postgresql+psycopg://db/newsbot")
    settings = load_settings(config)
    assert settings.data_dir == Path("/srv/newsbot")
    assert settings.fetch.allow_private_hosts == ["127.0.0.1"]
    assert settings.fetch.timeout_seconds == 30.0  # untouched default survives the merge
    assert settings.schedule.tick_seconds == 5.0
    assert settings.schedule.min_interval_seconds == 1.0
    assert settings.resolved_database_url() == "postgresql+psycopg://db/newsbot"
    assert settings.feeds[0].url == "http://127.0.0.1:8000/feed.xml"
    assert settings.subscriptions[0].topic == "Nordkorea"


def test_newsbot_config_variable_names_the_user_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "env.toml"
    config.write_text('log_level = "debug"\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    assert load_settings().log_level == "DEBUG"


def test_sqlite_in_the_data_dir_is_the_default_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path.resolve()}/newsbot.sqlite"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("data_dir = [", "not valid TOML"),
        ("[schedule]\ntick_seconds = -1\n", "schedule.tick_seconds"),
        ("no_such_setting = 1\n", "no_such_setting"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_a_missing_config_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[alerts]\nfirst_poll_window = 3600\n",
            "alerts.first_poll_window: unknown setting; did you mean alerts.first_poll_window_seconds?",
        ),
        ("[fetch]\ntimeout = 10\n", "fetch.timeout: unknown setting; did you mean fetch.timeout_seconds?"),
        (
            '[websub]\ncallbak_url = "https://bot.example/"\n',
            "websub.callbak_url: unknown setting; did you mean websub.callback_url?",
        ),
        (
            '[[feeds]]\nurl = "https://example.org/rss"\ntitel = "X"\n',
            "feeds.0.titel: unknown setting; did you mean feeds.0.title?",
        ),
        (
            '[[subscriptions]]\ntopic = "Nordkorea"\nchanel = "console"\n',
            "did you mean subscriptions.0.channel?",
        ),
        ('log_levle = "DEBUG"\n', "log_levle: unknown setting; did you mean log_level?"),
    ],
)
def test_an_unknown_key_in_any_table_is_an_error_naming_the_nearest_valid_one(
    tmp_path: Path, content: str, message: str
) -> None:
    config = tmp_path / "typo.toml"
    config.write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert message in str(raised.value)
