"""The conversation store: one object the dialogue layer, server and trainers share.

>>> store = open_store("sqlite:////tmp/kefu-doc.db")      # migrates and sweeps interrupted answers
>>> conv = store.create_conversation(channel="web", language="en")
>>> q = store.add_message(conv.id, "customer", "Where is my order LM2026110003?")
>>> a = store.start_assistant_message(conv.id, intent="order_status", prompt=[{"role": "user", "content": "..."}])
>>> store.finish_message(a.id, "It shipped yesterday with SF Express.", latency_ms=850).status
'complete'

Every method is one short transaction and returns plain records (kefu.store.records).
Thread-safe (one Store per process; SQLAlchemy pools the connections).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from kefu.store.accounts import AccountOps
from kefu.store.analytics import AnalyticsOps
from kefu.store.conversations import ConversationOps
from kefu.store.db import make_engine
from kefu.store.handoff import HandoffOps

if TYPE_CHECKING:
    from kefu.config import Settings, StoreSettings


class Store(ConversationOps, HandoffOps, AccountOps, AnalyticsOps):
    """All store operations; see the mixin modules for each group's contract."""

    def __init__(self, engine: Engine | str) -> None:
        super().__init__(make_engine(engine) if isinstance(engine, str) else engine)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self) -> str:
        """Upgrade the schema to the newest revision; returns it."""
        from kefu.store.migrate import migrate

        rev = migrate(self.engine)
        assert rev is not None
        return rev


def engine_from_settings(settings: Settings | StoreSettings) -> Engine:
    """An engine for ``settings.store`` (or a StoreSettings); default: SQLite in data_dir."""
    from kefu.config import Settings

    section = settings.store if isinstance(settings, Settings) else settings
    data_dir = settings.data_dir if isinstance(settings, Settings) else None
    return make_engine(section.resolved_url(data_dir), echo=section.echo, pool_size=section.pool_size,
                       max_overflow=section.max_overflow, pool_timeout_s=section.pool_timeout_s,
                       pool_recycle_s=section.pool_recycle_s,
                       sqlite_busy_timeout_ms=section.sqlite_busy_timeout_ms)


def open_store(target: str | Engine | Settings | StoreSettings, *, migrate: bool = True,
               recover: bool = True) -> Store:
    """Open the store at a URL / engine / settings, migrate it to the newest schema, and mark
    answers left ``streaming`` by a previous process as ``interrupted`` (startup recovery).

    Pass ``recover=False`` when other processes may be streaming into the same database.
    """
    if isinstance(target, str | Engine):
        store = Store(target)
    else:
        store = Store(engine_from_settings(target))
    if migrate:
        store.migrate()
    if recover:
        store.recover_interrupted()
    return store
