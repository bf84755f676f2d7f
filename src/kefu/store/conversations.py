"""Conversations, messages (with the streaming life cycle), feedback and ratings.

The crash-safety contract: the customer's message and an empty assistant message with status
``streaming`` are committed BEFORE the first token is sent (:meth:`start_assistant_message`);
partial text may be saved while streaming (:meth:`update_streaming_text`); the answer is
committed by :meth:`finish_message`. A process that dies in between leaves a ``streaming``
row that :meth:`recover_interrupted` (run at startup) turns into ``interrupted``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from kefu.errors import InvalidRequestError
from kefu.store.core import StoreCore
from kefu.store.models import (
    CONVERSATION_STATUS,
    MESSAGE_ROLES,
    MESSAGE_STATUS,
    THUMBS,
    Conversation,
    Feedback,
    Message,
    utcnow,
)
from kefu.store.records import ConversationRecord, FeedbackRecord, MessageRecord, to_record


class ConversationOps(StoreCore):
    # ---- conversations -------------------------------------------------------------------
    def create_conversation(self, *, channel: str = "web", customer_ref: str | None = None,
                            language: str | None = None, state: dict[str, Any] | None = None,
                            id: str | None = None) -> ConversationRecord:
        """Start a conversation (status ``open``); ``id`` defaults to a random 32-hex string."""
        with self._tx() as s:
            row = Conversation(id=id or uuid.uuid4().hex, channel=channel, customer_ref=customer_ref,
                               language=language, state=state, status="open")
            s.add(row)
            s.flush()
            return to_record(ConversationRecord, row)

    def get_conversation(self, conversation_id: str) -> ConversationRecord:
        with self._tx(write=False) as s:
            return to_record(ConversationRecord, self._get(s, Conversation, conversation_id, "conversation"))

    def update_conversation(self, conversation_id: str, *, language: str | None = None,
                            customer_ref: str | None = None,
                            state: dict[str, Any] | None = None) -> ConversationRecord:
        """Set the given fields (``None`` = leave unchanged); ``state`` replaces the whole dict."""
        with self._tx() as s:
            row = self._get(s, Conversation, conversation_id, "conversation")
            if language is not None:
                row.language = language
            if customer_ref is not None:
                row.customer_ref = customer_ref
            if state is not None:
                row.state = dict(state)
            row.updated_at = utcnow()
            return to_record(ConversationRecord, row)

    def set_status(self, conversation_id: str, status: str) -> ConversationRecord:
        """Set ``open`` / ``handoff`` / ``agent`` / ``closed`` (closing stamps ``closed_at``)."""
        self._check(status, CONVERSATION_STATUS, "status")
        with self._tx() as s:
            row = self._get(s, Conversation, conversation_id, "conversation")
            row.status = status
            row.updated_at = utcnow()
            row.closed_at = row.updated_at if status == "closed" else None
            return to_record(ConversationRecord, row)

    def close_conversation(self, conversation_id: str) -> ConversationRecord:
        return self.set_status(conversation_id, "closed")

    def list_conversations(self, *, status: str | None = None, channel: str | None = None,
                           customer_ref: str | None = None, since: datetime | None = None,
                           until: datetime | None = None, search: str | None = None,
                           limit: int = 50, offset: int = 0) -> list[ConversationRecord]:
        """Newest first (by last activity). ``search`` matches message text (case-insensitive)."""
        q = select(Conversation).order_by(Conversation.updated_at.desc(), Conversation.id)
        if status is not None:
            q = q.where(Conversation.status == self._check(status, CONVERSATION_STATUS, "status"))
        if channel is not None:
            q = q.where(Conversation.channel == channel)
        if customer_ref is not None:
            q = q.where(Conversation.customer_ref == customer_ref)
        if since is not None:
            q = q.where(Conversation.created_at >= since)
        if until is not None:
            q = q.where(Conversation.created_at < until)
        if search:
            literal = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            hits = select(Message.conversation_id).where(Message.text.ilike(f"%{literal}%", escape="\\"))
            q = q.where(Conversation.id.in_(hits))
        with self._tx(write=False) as s:
            rows = s.scalars(q.limit(limit).offset(offset)).all()
            return [to_record(ConversationRecord, r) for r in rows]

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation with its messages, feedback, corrections and tickets (data
        retention / erasure requests). Irreversible."""
        with self._tx() as s:
            s.delete(self._get(s, Conversation, conversation_id, "conversation"))

    def rate_conversation(self, conversation_id: str, rating: int,
                          comment: str | None = None) -> ConversationRecord:
        """The customer's satisfaction, 1 (bad) .. 5 (great); a later rating replaces it."""
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidRequestError(f"rating must be an integer 1..5; got {rating!r}", param="rating")
        with self._tx() as s:
            row = self._get(s, Conversation, conversation_id, "conversation")
            row.satisfaction, row.satisfaction_comment = rating, comment
            return to_record(ConversationRecord, row)

    # ---- messages ------------------------------------------------------------------------
    def add_message(self, conversation_id: str, role: str, text: str, *, status: str = "complete",
                    intent: str | None = None, intent_score: float | None = None,
                    policy: str | None = None, slots: dict[str, Any] | None = None,
                    sources: list[Any] | None = None, prompt: Any = None, model: str | None = None,
                    latency_ms: int | None = None, prompt_tokens: int | None = None,
                    completion_tokens: int | None = None, agent_id: int | None = None) -> MessageRecord:
        """Append a message (committed before this returns). Roles: customer, assistant, agent, system."""
        self._check(role, MESSAGE_ROLES, "role")
        self._check(status, MESSAGE_STATUS, "status")
        with self._tx() as s:
            conv = self._get(s, Conversation, conversation_id, "conversation")
            now = utcnow()
            row = Message(conversation_id=conversation_id, role=role, text=text, status=status,
                          intent=intent, intent_score=intent_score, policy=policy, slots=slots,
                          sources=sources, prompt=prompt, model=model, latency_ms=latency_ms,
                          prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                          agent_id=agent_id, created_at=now,
                          finished_at=None if status == "streaming" else now)
            s.add(row)
            conv.updated_at = now
            s.flush()
            return to_record(MessageRecord, row)

    def start_assistant_message(self, conversation_id: str, *, intent: str | None = None,
                                intent_score: float | None = None, policy: str | None = None,
                                slots: dict[str, Any] | None = None, sources: list[Any] | None = None,
                                prompt: Any = None, model: str | None = None) -> MessageRecord:
        """Store an empty assistant answer with status ``streaming`` before generation starts."""
        return self.add_message(conversation_id, "assistant", "", status="streaming", intent=intent,
                                intent_score=intent_score, policy=policy, slots=slots, sources=sources,
                                prompt=prompt, model=model)

    def update_streaming_text(self, message_id: int, text: str) -> None:
        """Save the text streamed so far (call every few tokens; kept if the process dies)."""
        with self._tx() as s:
            s.execute(update(Message).where(Message.id == message_id, Message.status == "streaming")
                      .values(text=text))

    def finish_message(self, message_id: int, text: str, *, latency_ms: int | None = None,
                       sources: list[Any] | None = None, prompt: Any = None, policy: str | None = None,
                       prompt_tokens: int | None = None, completion_tokens: int | None = None,
                       model: str | None = None) -> MessageRecord:
        """Commit the final text of a streaming message (status -> ``complete``).

        Given fields replace the stored ones (post-rules may change sources or the prompt after a
        regeneration); ``None`` keeps what :meth:`start_assistant_message` stored.
        """
        with self._tx() as s:
            row = self._get(s, Message, message_id, "message")
            if row.status == "complete":
                raise InvalidRequestError(f"message {message_id} is already complete", param="message_id")
            row.text, row.status, row.finished_at = text, "complete", utcnow()
            for name, value in (("latency_ms", latency_ms), ("sources", sources), ("prompt", prompt),
                                ("policy", policy), ("prompt_tokens", prompt_tokens),
                                ("completion_tokens", completion_tokens), ("model", model)):
                if value is not None:
                    setattr(row, name, value)
            return to_record(MessageRecord, row)

    def mark_interrupted(self, message_id: int, text: str | None = None,
                         latency_ms: int | None = None) -> MessageRecord:
        """The answer stopped early (client left, cancel, error); keeps ``text`` if given."""
        with self._tx() as s:
            row = self._get(s, Message, message_id, "message")
            row.status, row.finished_at = "interrupted", utcnow()
            if text is not None:
                row.text = text
            if latency_ms is not None:
                row.latency_ms = latency_ms
            return to_record(MessageRecord, row)

    def recover_interrupted(self, older_than: timedelta | None = None) -> int:
        """Mark leftover ``streaming`` messages ``interrupted``; returns how many.

        Run at startup (no answer can be in flight then). With ``older_than`` it is safe to run
        while serving: only answers started longer ago than that are swept.
        """
        now = utcnow()
        q = update(Message).where(Message.status == "streaming")
        if older_than is not None:
            q = q.where(Message.created_at < now - older_than)
        with self._tx() as s:
            return s.execute(q.values(status="interrupted", finished_at=now)).rowcount or 0

    def annotate_message(self, message_id: int, *, intent: str | None = None,
                         intent_score: float | None = None, slots: dict[str, Any] | None = None,
                         text: str | None = None) -> MessageRecord:
        """Record what was understood about a stored message (e.g. the customer's intent and slots,
        known only after the message was saved); ``None`` leaves a field unchanged."""
        with self._tx() as s:
            row = self._get(s, Message, message_id, "message")
            for name, value in (("intent", intent), ("intent_score", intent_score), ("slots", slots),
                                ("text", text)):
                if value is not None:
                    setattr(row, name, value)
            return to_record(MessageRecord, row)

    def get_message(self, message_id: int) -> MessageRecord:
        with self._tx(write=False) as s:
            return to_record(MessageRecord, self._get(s, Message, message_id, "message"))

    def messages(self, conversation_id: str, *, limit: int | None = None,
                 roles: tuple[str, ...] | None = None) -> list[MessageRecord]:
        """Messages of a conversation in order; ``limit`` keeps the most recent ones."""
        q = select(Message).where(Message.conversation_id == conversation_id)
        if roles:
            q = q.where(Message.role.in_(roles))
        with self._tx(write=False) as s:
            self._get(s, Conversation, conversation_id, "conversation")
            if limit is not None:
                rows = list(reversed(s.scalars(q.order_by(Message.id.desc()).limit(limit)).all()))
            else:
                rows = list(s.scalars(q.order_by(Message.id)).all())
            return [to_record(MessageRecord, r) for r in rows]

    # ---- feedback ------------------------------------------------------------------------
    def add_feedback(self, message_id: int, thumbs: str, comment: str | None = None) -> FeedbackRecord:
        """Thumbs ``up``/``down`` on a message; voting again replaces the earlier vote."""
        self._check(thumbs, THUMBS, "thumbs")
        with self._tx() as s:
            self._get(s, Message, message_id, "message")
            row = s.scalar(select(Feedback).where(Feedback.message_id == message_id))
            if row is None:
                row = Feedback(message_id=message_id, thumbs=thumbs, comment=comment)
                s.add(row)
            else:
                row.thumbs, row.comment, row.created_at = thumbs, comment, utcnow()
            s.flush()
            return to_record(FeedbackRecord, row)

    def get_feedback(self, message_id: int) -> FeedbackRecord | None:
        with self._tx(write=False) as s:
            row = s.scalar(select(Feedback).where(Feedback.message_id == message_id))
            return None if row is None else to_record(FeedbackRecord, row)
