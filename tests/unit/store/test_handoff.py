"""Handoff tickets drive the conversation status; corrections (both backends)."""

from __future__ import annotations

import pytest

from kefu.errors import InvalidRequestError
from kefu.store import NotFoundError, Store


def test_handoff_take_over_and_resolve(store: Store) -> None:
    agent = store.create_agent("alice", "correct horse", display_name="Alice")
    c = store.create_conversation()
    t = store.open_handoff(c.id, "asked", note="customer typed 转人工")
    assert (t.status, t.reason, store.get_conversation(c.id).status) == ("queued", "asked", "handoff")
    assert store.open_handoff(c.id, "complaint").id == t.id  # at most one active ticket
    assert store.active_ticket(c.id) == t
    assert [x.id for x in store.list_tickets()] == [t.id]
    t = store.assign(t.id, agent.id)
    assert (t.status, t.agent_id, t.assigned_at is not None) == ("assigned", agent.id, True)
    assert store.get_conversation(c.id).status == "agent"
    store.add_message(c.id, "agent", "您好，我是 Alice。", agent_id=agent.id)
    assert [x.id for x in store.list_tickets(agent_id=agent.id)] == [t.id]
    t = store.resolve(t.id)
    assert t.status == "resolved" and t.closed_at is not None
    conv = store.get_conversation(c.id)
    assert conv.status == "closed" and conv.closed_at is not None
    assert store.active_ticket(c.id) is None and store.list_tickets() == []
    with pytest.raises(InvalidRequestError, match="ticket .* is resolved"):
        store.assign(t.id, agent.id)


def test_return_to_bot_reopens_and_a_new_handoff_is_a_new_ticket(store: Store) -> None:
    agent = store.create_agent("bob", "password-123")
    c = store.create_conversation()
    t1 = store.open_handoff(c.id, "low_confidence")
    store.assign(t1.id, agent.id)
    assert store.return_to_bot(t1.id).status == "returned"
    assert store.get_conversation(c.id).status == "open"
    t2 = store.open_handoff(c.id, "repeated_failure")
    assert t2.id != t1.id and t2.status == "queued"
    assert store.resolve(t2.id, close_conversation=False).status == "resolved"
    assert store.get_conversation(c.id).status == "open"
    assert [x.id for x in store.list_tickets(status=("returned", "resolved"))] == [t1.id, t2.id]


def test_queue_is_oldest_first_and_rejects_inactive_agents(store: Store) -> None:
    agent = store.create_agent("carol", "password-123")
    tickets = [store.open_handoff(store.create_conversation().id, "asked") for _ in range(3)]
    assert [t.id for t in store.list_tickets()] == [t.id for t in tickets]
    store.set_agent_active(agent.id, False)
    with pytest.raises(InvalidRequestError, match="deactivated"):
        store.assign(tickets[0].id, agent.id)
    with pytest.raises(NotFoundError):
        store.assign(tickets[0].id, 424242)
    with pytest.raises(InvalidRequestError, match="status must be one of"):
        store.list_tickets(status=("waiting",))


def test_corrections_on_assistant_answers_only(store: Store) -> None:
    agent = store.create_agent("dave", "password-123")
    c = store.create_conversation()
    q = store.add_message(c.id, "customer", "How long is the warranty?")
    a = store.add_message(c.id, "assistant", "6 months.")
    corr = store.add_correction(a.id, "1 year for appliances; 3 years for brushless motors.", agent.id)
    assert (corr.message_id, corr.agent_id, corr.added_to_faq) == (a.id, agent.id, False)
    assert store.list_corrections(added_to_faq=False) == [corr]
    assert store.mark_added_to_faq(corr.id).added_to_faq is True
    assert store.list_corrections(added_to_faq=False) == []
    assert [x.id for x in store.list_corrections(added_to_faq=True)] == [corr.id]
    with pytest.raises(InvalidRequestError, match="only assistant answers"):
        store.add_correction(q.id, "x")
    with pytest.raises(InvalidRequestError, match="empty"):
        store.add_correction(a.id, "   ")


def test_deleting_a_conversation_removes_everything_that_hangs_off_it(store: Store) -> None:
    keep = store.create_conversation()
    store.add_message(keep.id, "customer", "stay")
    c = store.create_conversation()
    a = store.add_message(c.id, "assistant", "answer")
    store.add_feedback(a.id, "down")
    store.add_correction(a.id, "better answer")
    store.open_handoff(c.id, "asked")
    store.delete_conversation(c.id)
    with pytest.raises(NotFoundError):
        store.get_message(a.id)
    assert store.list_corrections() == [] and store.list_tickets() == [] and store.get_feedback(a.id) is None
    assert [m.text for m in store.messages(keep.id)] == ["stay"]
