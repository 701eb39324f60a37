"""The SQL store's engine, transactions and migrations, shared by every aggregate's tables."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Table, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import StoreError
from bot.store.revision import MIGRATIONS, at_head

T = TypeVar("T")

IN_CHUNK = 500  # values per `IN (…)` of a batched read, well below every driver's parameter limit


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per row dataclass, its fields' names


def row_as(cls: type[T], row: Any, **given: Any) -> T:
    """A result row as the row dataclass `cls`: each field from the column of its name (datetimes
    made aware), except the fields `given`."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in dataclasses.fields(cast(Any, cls)))
    values = dict(given)
    for name in names:
        if name not in values:
            value = row[name]
            values[name] = aware(value) if isinstance(value, datetime) else value
    return cls(**values)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _describe(url: str) -> str:
    """The database URL without its password, fit for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


class StoreBase:
    """An engine on SQLite (WAL mode) or PostgreSQL; each aggregate's method is one short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        try:
            if self.is_sqlite:
                self._prepare_sqlite_dir(url)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _set_sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot use database {_describe(url)}: {exc}") from exc

    @staticmethod
    def _prepare_sqlite_dir(url: str) -> None:
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path or path == ":memory:":
            return
        directory = Path(path).parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {directory}: {exc.strerror or exc}") from exc
        if not os.access(directory, os.W_OK):
            raise StoreError(
                f"data directory {directory} is not writable; fix its permissions or set data_dir"
            )

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"database {_describe(self.url)} unavailable: {reason}") from exc

    def upgrade(self) -> None:
        """Apply every pending Alembic migration (Alembic is imported only when one is pending)."""
        with self._tx() as conn:
            if at_head(conn):
                return
            from alembic import command
            from alembic.config import Config

            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def ping(self) -> None:
        """Raise StoreError unless the database answers."""
        with self._tx() as conn:
            conn.execute(select(1))

    def close(self) -> None:
        self.engine.dispose()

    def _insert(self, table: Table) -> Any:
        """INSERT for this database's dialect, which offers ON CONFLICT DO NOTHING."""
        return sqlite_insert(table) if self.is_sqlite else postgresql_insert(table)
