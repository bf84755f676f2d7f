"""Schema migrations, run from Python: ``migrate(url)`` upgrades a database to the newest schema.

Revisions are ordered, named files in ``kefu/store/migrations/versions`` (alembic). To add
one after changing :mod:`kefu.store.models`::

    python -c "from kefu.store.migrate import new_revision; new_revision('add x to messages')"

then read and fix the generated file (autogenerate misses renames and CHECK changes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

VERSION_TABLE = "kefu_schema_version"
SCRIPT_LOCATION = str(Path(__file__).with_name("migrations"))


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this version of kefu."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def migrate(target: Engine | str, revision: str = "head") -> str | None:
    """Upgrade the database (an engine or a URL) to ``revision``; returns the revision reached.

    Idempotent: on an up-to-date database it does nothing.
    """
    return _run(target, command.upgrade, revision)


def downgrade(target: Engine | str, revision: str) -> str | None:
    """Downgrade to ``revision`` ("base" drops every store table). Destroys data: for developers."""
    return _run(target, command.downgrade, revision)


def _run(target: Engine | str, step: Callable[[Config, str], None], revision: str) -> str | None:
    from kefu.store.db import make_engine

    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            step(_config(conn), revision)
        return current_revision(engine)
    finally:
        if isinstance(target, str):
            engine.dispose()


def new_revision(message: str, url: str = "sqlite:///./.kefu-data/revision.db") -> None:  # pragma: no cover
    """Developer helper: autogenerate a revision from the difference between models and ``url``."""
    from kefu.store.db import make_engine

    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
