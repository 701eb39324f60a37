"""What every command needs: its settings, with logging configured."""

from __future__ import annotations

import argparse

from bot.runtime import configure_logging
from bot.settings import Settings


def settings_of(args: argparse.Namespace) -> Settings:
    from bot.settings import load_settings

    settings = load_settings(args.config)
    configure_logging(settings.log_level if not args.verbose else "DEBUG", settings.log_format)
    return settings
