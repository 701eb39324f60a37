"""Start-up of an already migrated database: no migration machinery, the same schema."""

from __future__ import annotations

import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.store.db import Store
from bot.store.revision import MIGRATIONS, head_revision


def test_the_newest_migration_is_read_from_the_files_as_alembic_reads_it() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert {head_revision()} == set(ScriptDirectory.from_config(config).get_heads())


def _upgrade_imports_alembic(url: str) -> bool:
    probe = (
        "import sys; from bot.store.db import Store; s = Store(sys.argv[1]); s.upgrade(); "
        "print('alembic' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, check=True)
    return result.stdout.strip() == "True"


def test_a_migrated_database_starts_without_importing_alembic(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    assert _upgrade_imports_alembic(url) is False
    with store.engine.begin() as conn:  # one migration behind: the next start applies it
        conn.execute(text("UPDATE alembic_version SET version_num = '0011'"))
        conn.execute(text("DROP INDEX ix_entries_story"))
    assert _upgrade_imports_alembic(url) is True
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    assert "ix_entries_story" in {index["name"] for index in inspect(store.engine).get_indexes("entries")}
