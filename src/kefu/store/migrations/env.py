"""Alembic environment for kefu's store, run programmatically by :func:`kefu.store.migrate.migrate`.

The caller puts an open SQLAlchemy connection in ``config.attributes["connection"]``; there is
no alembic.ini. ``render_as_batch`` lets ALTERs work on SQLite (copy-and-move).
"""

from __future__ import annotations

from alembic import context

from kefu.store.migrate import VERSION_TABLE
from kefu.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations through kefu.store.migrate.migrate(url) or `kefu store migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
