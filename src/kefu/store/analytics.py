"""Numbers for the console's analytics page, and plain records for training export.

Definitions (all over conversations/messages created in ``[since, until)``, UTC):
  * handoff rate    = conversations with at least one handoff ticket / conversations;
  * resolution rate = conversations with a customer message, no handoff ticket and no thumbs-down
                      / conversations with a customer message (the bot resolved it alone);
  * unanswered      = a customer message whose next assistant answer took one of the
                      ``policies`` (default: fallback, handoff) or received a thumbs-down.
Days are UTC calendar days (PostgreSQL sessions run in UTC, see kefu.store.db).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from kefu.store.core import StoreCore
from kefu.store.models import Conversation, Correction, Feedback, HandoffTicket, Message
from kefu.store.records import (
    CorrectionExample,
    DayVolume,
    FeedbackExample,
    Summary,
    UnansweredQuestion,
    as_utc,
)

Window = tuple[datetime | None, datetime | None]


def _within(q: Select[Any], col: Any, since: datetime | None, until: datetime | None) -> Select[Any]:
    if since is not None:
        q = q.where(col >= since)
    if until is not None:
        q = q.where(col < until)
    return q


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip("?？!！.。")


class AnalyticsOps(StoreCore):
    def volume_per_day(self, since: datetime | None = None, until: datetime | None = None) -> list[DayVolume]:
        """Conversations started and customer messages sent per UTC day, oldest day first."""
        cday = func.date(Conversation.created_at)
        mday = func.date(Message.created_at)
        with self._tx(write=False) as s:
            convs = s.execute(_within(select(cday, func.count()), Conversation.created_at, since, until)
                              .group_by(cday)).all()
            msgs = s.execute(_within(select(mday, func.count()).where(Message.role == "customer"),
                                     Message.created_at, since, until).group_by(mday)).all()
        days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for d, n in convs:
            days[str(d)][0] = n
        for d, n in msgs:
            days[str(d)][1] = n
        return [DayVolume(d, c, m) for d, (c, m) in sorted(days.items())]

    def summary(self, since: datetime | None = None, until: datetime | None = None) -> Summary:
        """Headline numbers for a window; see the module docstring for the definitions."""
        convs = _within(select(Conversation.id), Conversation.created_at, since, until).subquery()
        in_window = Conversation.id.in_(select(convs.c.id))
        with self._tx(write=False) as s:
            n_conv = s.scalar(select(func.count()).select_from(convs)) or 0

            def count_msgs(*where: Any) -> int:
                q = _within(select(func.count(Message.id)).where(*where), Message.created_at, since, until)
                return s.scalar(q) or 0

            n_cust = count_msgs(Message.role == "customer")
            n_asst = count_msgs(Message.role == "assistant", Message.status != "streaming")
            n_int = count_msgs(Message.status == "interrupted")
            handed = select(HandoffTicket.conversation_id)
            n_hand = s.scalar(select(func.count(distinct(HandoffTicket.conversation_id)))
                              .where(HandoffTicket.conversation_id.in_(select(convs.c.id)))) or 0
            downvoted = select(Message.conversation_id).join(Feedback).where(Feedback.thumbs == "down")
            engaged = select(Message.conversation_id).where(Message.role == "customer")
            n_engaged = s.scalar(select(func.count()).where(in_window, Conversation.id.in_(engaged))) or 0
            n_resolved = s.scalar(select(func.count()).where(
                in_window, Conversation.id.in_(engaged), Conversation.id.not_in(handed),
                Conversation.id.not_in(downvoted))) or 0
            votes = dict(s.execute(_within(select(Feedback.thumbs, func.count()).join(Message),
                                           Message.created_at, since, until).group_by(Feedback.thumbs)).all())
            avg = s.scalar(select(func.avg(Conversation.satisfaction)).where(in_window))
        return Summary(
            conversations=n_conv, customer_messages=n_cust, assistant_messages=n_asst, handoffs=n_hand,
            handoff_rate=n_hand / n_conv if n_conv else 0.0,
            resolution_rate=n_resolved / n_engaged if n_engaged else 0.0,
            thumbs_up=votes.get("up", 0), thumbs_down=votes.get("down", 0),
            avg_satisfaction=float(avg) if avg is not None else None, interrupted=n_int)

    def intent_counts(self, since: datetime | None = None, until: datetime | None = None, *,
                      role: str = "customer") -> dict[str, int]:
        """How often each intent was recorded on ``role`` messages, most frequent first."""
        q = _within(select(Message.intent, func.count()).where(Message.role == role, Message.intent.is_not(None)),
                    Message.created_at, since, until).group_by(Message.intent)
        with self._tx(write=False) as s:
            return dict(sorted(s.execute(q).all(), key=lambda kv: (-kv[1], kv[0])))

    def top_unanswered(self, limit: int = 20, since: datetime | None = None, until: datetime | None = None,
                       *, policies: tuple[str, ...] = ("fallback", "handoff"),
                       scan: int = 5000) -> list[UnansweredQuestion]:
        """The customer questions the bot failed on most often (grouped case/space-insensitively).

        Looks at the ``scan`` most recent failed answers in the window.
        """
        prev = aliased(Message)
        question_id = (select(func.max(prev.id)).where(prev.conversation_id == Message.conversation_id,
                                                       prev.role == "customer", prev.id < Message.id)
                       .scalar_subquery())
        failed = _within(select(question_id.label("qid")).select_from(Message)
                         .outerjoin(Feedback, Feedback.message_id == Message.id)
                         .where(Message.role == "assistant",
                                or_(Message.policy.in_(policies), Feedback.thumbs == "down")),
                         Message.created_at, since, until).order_by(Message.id.desc()).limit(scan).subquery()
        with self._tx(write=False) as s:
            rows = s.execute(select(Message.text, Message.created_at, Message.conversation_id)
                             .where(Message.id.in_(select(failed.c.qid)))).all()
        groups: dict[str, list[Any]] = {}
        for text, created, conv_id in rows:
            g = groups.setdefault(_norm(text), [text, 0, as_utc(created), conv_id])
            g[1] += 1
            if as_utc(created) > g[2]:
                g[0], g[2], g[3] = text, as_utc(created), conv_id
        out = [UnansweredQuestion(t, n, last, cid) for t, n, last, cid in groups.values()]
        return sorted(out, key=lambda u: (-u.count, -u.last_seen.timestamp()))[:limit]

    # ---- training export -----------------------------------------------------------------
    def feedback_examples(self, since: datetime | None = None, until: datetime | None = None, *,
                          thumbs: str | None = None) -> list[FeedbackExample]:
        """Every rated assistant answer with the conversation before it (oldest first)."""
        q = _within(select(Message, Feedback).join(Feedback, Feedback.message_id == Message.id)
                    .where(Message.role == "assistant"), Message.created_at, since, until)
        if thumbs is not None:
            q = q.where(Feedback.thumbs == thumbs)
        with self._tx(write=False) as s:
            pairs = s.execute(q.order_by(Message.id)).all()
            ctx = self._contexts(s, [m for m, _ in pairs])
            return [FeedbackExample(m.conversation_id, m.id, ctx[m.id], m.text, f.thumbs, f.comment, m.prompt)
                    for m, f in pairs]

    def correction_examples(self, since: datetime | None = None,
                            until: datetime | None = None) -> list[CorrectionExample]:
        """Every agent correction with its context and the bot answer it replaces (oldest first)."""
        q = _within(select(Message, Correction).join(Correction, Correction.message_id == Message.id),
                    Correction.created_at, since, until)
        with self._tx(write=False) as s:
            pairs = s.execute(q.order_by(Correction.id)).all()
            ctx = self._contexts(s, [m for m, _ in pairs])
            return [CorrectionExample(m.conversation_id, m.id, c.id, ctx[m.id], m.text, c.corrected_text,
                                      c.agent_id, m.prompt) for m, c in pairs]

    @staticmethod
    def _contexts(s: Session, answers: list[Message]) -> dict[int, list[dict[str, str]]]:
        """For each answer, the finished messages before it in its conversation (one query)."""
        conv_ids = {m.conversation_id for m in answers}
        by_conv: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        if conv_ids:
            rows = s.execute(select(Message.conversation_id, Message.id, Message.role, Message.text)
                             .where(Message.conversation_id.in_(conv_ids), Message.status != "streaming")
                             .order_by(Message.id)).all()
            for cid, mid, role, text in rows:
                by_conv[cid].append((mid, role, text))
        return {m.id: [{"role": r, "text": t} for mid, r, t in by_conv[m.conversation_id] if mid < m.id]
                for m in answers}
