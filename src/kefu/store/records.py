"""Plain, immutable records the Store returns (never live ORM objects, so callers can keep
them across threads and after the session closes)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")


def as_utc(v: Any) -> Any:
    # SQLite hands back naive datetimes (stored as UTC); make every timestamp tz-aware UTC
    if isinstance(v, datetime) and v.tzinfo is None:
        return v.replace(tzinfo=UTC)
    return v


def to_record(cls: type[T], row: Any) -> T:
    """Copy the same-named attributes of an ORM row into the record ``cls``."""
    return cls(**{f.name: as_utc(getattr(row, f.name)) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: str
    channel: str
    customer_ref: str | None
    language: str | None
    status: str
    satisfaction: int | None
    satisfaction_comment: str | None
    state: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    conversation_id: str
    role: str
    text: str
    status: str
    intent: str | None
    intent_score: float | None
    policy: str | None
    slots: dict[str, Any] | None
    sources: list[Any] | None
    prompt: Any
    model: str | None
    latency_ms: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    agent_id: int | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    id: int
    message_id: int
    thumbs: str
    comment: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CorrectionRecord:
    id: int
    message_id: int
    agent_id: int | None
    corrected_text: str
    added_to_faq: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    conversation_id: str
    reason: str
    note: str | None
    status: str
    agent_id: int | None
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: int
    username: str
    display_name: str | None
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: int
    url: str
    secret: str
    events: list[Any]
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    webhook_id: int
    event: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DayVolume:
    day: str  # YYYY-MM-DD (UTC)
    conversations: int
    customer_messages: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Headline numbers for a time window (see :meth:`Store.summary` for definitions)."""

    conversations: int
    customer_messages: int
    assistant_messages: int
    handoffs: int
    handoff_rate: float
    resolution_rate: float
    thumbs_up: int
    thumbs_down: int
    avg_satisfaction: float | None
    interrupted: int


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    text: str
    count: int
    last_seen: datetime
    example_conversation_id: str


@dataclass(frozen=True, slots=True)
class FeedbackExample:
    """One rated answer for training: the turns before it, the answer, the vote."""

    conversation_id: str
    message_id: int
    context: list[dict[str, str]]  # [{"role": "customer"|"assistant"|"agent"|"system", "text": ...}]
    answer: str
    thumbs: str
    comment: str | None
    prompt: Any


@dataclass(frozen=True, slots=True)
class CorrectionExample:
    """One corrected answer for training: context, what the bot said, what the agent wrote."""

    conversation_id: str
    message_id: int
    correction_id: int
    context: list[dict[str, str]]
    bot_answer: str
    corrected: str
    agent_id: int | None
    prompt: Any
