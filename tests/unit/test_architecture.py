"""The core is pure: it imports nothing of the store, HTTP or chat edges."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"
ALLOWED_PROJECT_MODULES = ("bot.model", "bot.core")
FORBIDDEN_LIBRARIES = (
    "sqlalchemy",
    "aiohttp",
    "slack_bolt",
    "slack_sdk",
    "nio",
    "alembic",
    "requests",
    "httpx",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_import_only_the_model_the_core_and_pure_libraries() -> None:
    modules = sorted(CORE.glob("*.py"))
    assert len(modules) > 3
    for module in modules:
        for name in _imports(module):
            if name.startswith("bot"):
                assert name.startswith(ALLOWED_PROJECT_MODULES), f"{module.name} imports {name}"
            assert not name.startswith(FORBIDDEN_LIBRARIES), f"{module.name} imports {name}"
