"""Human handoff tickets and agent corrections.

Ticket life cycle and the conversation status it drives::

    open_handoff -> queued    (conversation: handoff; the bot tells the customer, then stays silent)
    assign       -> assigned  (conversation: agent; the agent replies with add_message(role="agent"))
    resolve      -> resolved  (conversation: closed, or open with close_conversation=False)
    return_to_bot-> returned  (conversation: open; the bot answers again)

A conversation has at most one active (queued/assigned) ticket: :meth:`open_handoff` on a
conversation that already has one returns that ticket instead of queueing a second.
"""

from __future__ import annotations

from sqlalchemy import select

from kefu.errors import InvalidRequestError
from kefu.store.core import StoreCore
from kefu.store.models import TICKET_STATUS, Agent, Conversation, Correction, HandoffTicket, Message, utcnow
from kefu.store.records import CorrectionRecord, TicketRecord, to_record

ACTIVE = ("queued", "assigned")


class HandoffOps(StoreCore):
    def open_handoff(self, conversation_id: str, reason: str, note: str | None = None) -> TicketRecord:
        """Queue the conversation for a human. ``reason``: e.g. asked, complaint, repeated_failure,
        low_confidence."""
        with self._tx() as s:
            conv = self._get(s, Conversation, conversation_id, "conversation")
            active = s.scalar(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation_id,
                                                          HandoffTicket.status.in_(ACTIVE)))
            if active is not None:
                return to_record(TicketRecord, active)
            row = HandoffTicket(conversation_id=conversation_id, reason=reason, note=note, status="queued")
            s.add(row)
            conv.status, conv.updated_at, conv.closed_at = "handoff", utcnow(), None
            s.flush()
            return to_record(TicketRecord, row)

    def assign(self, ticket_id: int, agent_id: int) -> TicketRecord:
        """An agent takes the ticket (also re-assigns an assigned one to another agent)."""
        with self._tx() as s:
            t = self._ticket(s, ticket_id, allowed=ACTIVE)
            agent = self._get(s, Agent, agent_id, "agent")
            if not agent.active:
                raise InvalidRequestError(f"agent {agent.username!r} is deactivated", param="agent_id")
            t.status, t.agent_id, t.assigned_at = "assigned", agent_id, utcnow()
            conv = self._get(s, Conversation, t.conversation_id, "conversation")
            conv.status, conv.updated_at = "agent", utcnow()
            return to_record(TicketRecord, t)

    def resolve(self, ticket_id: int, *, close_conversation: bool = True) -> TicketRecord:
        """The agent is done; the conversation is closed (or reopened for the bot)."""
        return self._finish(ticket_id, "resolved", "closed" if close_conversation else "open")

    def return_to_bot(self, ticket_id: int) -> TicketRecord:
        """Hand the conversation back to the assistant (status open)."""
        return self._finish(ticket_id, "returned", "open")

    def get_ticket(self, ticket_id: int) -> TicketRecord:
        with self._tx(write=False) as s:
            return to_record(TicketRecord, self._get(s, HandoffTicket, ticket_id, "ticket"))

    def active_ticket(self, conversation_id: str) -> TicketRecord | None:
        """The queued/assigned ticket of a conversation, if any."""
        with self._tx(write=False) as s:
            row = s.scalar(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation_id,
                                                       HandoffTicket.status.in_(ACTIVE)))
            return None if row is None else to_record(TicketRecord, row)

    def list_tickets(self, *, status: tuple[str, ...] = ACTIVE, agent_id: int | None = None,
                     limit: int = 100) -> list[TicketRecord]:
        """The handoff queue: oldest first, so the longest-waiting customer is served first."""
        for st in status:
            self._check(st, TICKET_STATUS, "status")
        q = select(HandoffTicket).where(HandoffTicket.status.in_(status))
        if agent_id is not None:
            q = q.where(HandoffTicket.agent_id == agent_id)
        with self._tx(write=False) as s:
            rows = s.scalars(q.order_by(HandoffTicket.created_at, HandoffTicket.id).limit(limit)).all()
            return [to_record(TicketRecord, r) for r in rows]

    def _ticket(self, s, ticket_id: int, allowed: tuple[str, ...]) -> HandoffTicket:  # type: ignore[no-untyped-def]
        t = self._get(s, HandoffTicket, ticket_id, "ticket")
        if t.status not in allowed:
            raise InvalidRequestError(f"ticket {ticket_id} is {t.status}; this needs one that is "
                                      f"{' or '.join(allowed)}", param="ticket_id")
        return t

    def _finish(self, ticket_id: int, ticket_status: str, conv_status: str) -> TicketRecord:
        with self._tx() as s:
            t = self._ticket(s, ticket_id, allowed=ACTIVE)
            now = utcnow()
            t.status, t.closed_at = ticket_status, now
            conv = self._get(s, Conversation, t.conversation_id, "conversation")
            conv.status, conv.updated_at = conv_status, now
            conv.closed_at = now if conv_status == "closed" else None
            return to_record(TicketRecord, t)

    # ---- corrections ---------------------------------------------------------------------
    def add_correction(self, message_id: int, corrected_text: str,
                       agent_id: int | None = None) -> CorrectionRecord:
        """An agent marks an assistant answer wrong and writes the right one."""
        if not corrected_text.strip():
            raise InvalidRequestError("the corrected text is empty", param="corrected_text")
        with self._tx() as s:
            msg = self._get(s, Message, message_id, "message")
            if msg.role != "assistant":
                raise InvalidRequestError(f"message {message_id} is a {msg.role} message; only assistant "
                                          "answers can be corrected", param="message_id")
            if agent_id is not None:
                self._get(s, Agent, agent_id, "agent")
            row = Correction(message_id=message_id, agent_id=agent_id, corrected_text=corrected_text)
            s.add(row)
            s.flush()
            return to_record(CorrectionRecord, row)

    def mark_added_to_faq(self, correction_id: int, added: bool = True) -> CorrectionRecord:
        with self._tx() as s:
            row = self._get(s, Correction, correction_id, "correction")
            row.added_to_faq = added
            return to_record(CorrectionRecord, row)

    def list_corrections(self, *, added_to_faq: bool | None = None, limit: int = 100,
                         offset: int = 0) -> list[CorrectionRecord]:
        """Newest first."""
        q = select(Correction).order_by(Correction.id.desc())
        if added_to_faq is not None:
            q = q.where(Correction.added_to_faq == added_to_faq)
        with self._tx(write=False) as s:
            return [to_record(CorrectionRecord, r) for r in s.scalars(q.limit(limit).offset(offset)).all()]
