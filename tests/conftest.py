"""Shared fixtures: stores on real SQLite and real PostgreSQL.

PostgreSQL tests use the server at 127.0.0.1:5432 (database `test`, trust auth), each in a schema
of its own. Without the server they skip with a loud reason, unless NEWSBOT_REQUIRE_SERVICES is set
(CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.store.db import Store

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get(
    "NEWSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def require_service(name: str, reason: str) -> None:
    """Skip loudly, or fail when the environment says services must be there."""
    message = f"{name} is not available: {reason}"
    if os.environ.get("NEWSBOT_REQUIRE_SERVICES"):
        pytest.fail(message + " (NEWSBOT_REQUIRE_SERVICES is set, so this is a failure)")
    pytest.skip(message)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'data' / 'newsbot.sqlite'}")
    store.upgrade()
    yield store
    store.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema, dropped afterwards."""
    admin = create_engine(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        require_service("PostgreSQL at 127.0.0.1:5432", str(exc).splitlines()[0])
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[Store]:
    store = Store(postgres_url)
    store.upgrade()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Store:
    """The same test against both databases."""
    fixture: Store = request.getfixturevalue(f"{request.param}_store")
    return fixture
