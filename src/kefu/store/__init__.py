"""kefu's conversation store: SQLAlchemy models + alembic migrations + a typed Store API.

SQLite (WAL, foreign keys on) by default, PostgreSQL by URL (``postgresql+psycopg://...``).
Start with :func:`open_store`; the records it returns are in :mod:`kefu.store.records`.
"""

from kefu.store.core import NotFoundError
from kefu.store.migrate import current_revision, head_revision, migrate
from kefu.store.records import (
    AgentRecord,
    ApiKeyRecord,
    ConversationRecord,
    CorrectionExample,
    CorrectionRecord,
    DayVolume,
    DeliveryRecord,
    FeedbackExample,
    FeedbackRecord,
    MessageRecord,
    Summary,
    TicketRecord,
    UnansweredQuestion,
    WebhookRecord,
)
from kefu.store.store import Store, engine_from_settings, open_store

__all__ = [
    "AgentRecord", "ApiKeyRecord", "ConversationRecord", "CorrectionExample", "CorrectionRecord",
    "DayVolume", "DeliveryRecord", "FeedbackExample", "FeedbackRecord", "MessageRecord", "NotFoundError",
    "Store", "Summary", "TicketRecord", "UnansweredQuestion", "WebhookRecord", "current_revision",
    "engine_from_settings", "head_revision", "migrate", "open_store",
]
