"""Whether the database is already at the newest migration, without importing Alembic.

Every start (`run`, `run --once` from cron, each restarted worker) applies pending migrations.
Alembic's import and script scan cost a few hundred milliseconds; when nothing is pending, the
revision stamped in `alembic_version` and the newest revision among the migration files answer the
question with one query and a directory listing. Anything unexpected (no stamp, several heads, an
unknown revision) is left to Alembic itself.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Connection, inspect, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*(.+)$", re.MULTILINE)


def head_revision(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The one revision no migration file names as its parent; None when there is not exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        lines = _REVISION_LINE.findall(script.read_text())
        fields = {name: value.strip().strip("\"'") for name, value in lines}
        if "revision" not in fields:
            continue
        revisions.add(fields["revision"])
        if fields.get("down_revision", "None") != "None":
            parents.add(fields["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stamped_revisions(conn: Connection) -> set[str]:
    """The revisions recorded in `alembic_version` (empty for a new database)."""
    if not inspect(conn).has_table("alembic_version"):
        return set()
    return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def at_head(conn: Connection) -> bool:
    """True when the database is stamped with exactly the newest migration."""
    head = head_revision()
    return head is not None and stamped_revisions(conn) == {head}
