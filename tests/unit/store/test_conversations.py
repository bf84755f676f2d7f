"""Conversations, messages and their streaming life cycle, feedback, ratings (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from kefu.errors import InvalidRequestError
from kefu.store import NotFoundError, Store
from kefu.store.models import Message, utcnow


def test_conversation_life_cycle(store: Store) -> None:
    c = store.create_conversation(channel="widget", customer_ref="13912340001", language="zh")
    assert (c.status, c.channel, c.language, len(c.id)) == ("open", "widget", "zh", 32)
    assert c.created_at.tzinfo is not None
    c2 = store.update_conversation(c.id, language="en", state={"slots": {"order_no": "LM2026110009"}})
    assert c2.language == "en" and c2.state == {"slots": {"order_no": "LM2026110009"}}
    assert c2.customer_ref == "13912340001"  # None leaves fields unchanged
    closed = store.close_conversation(c.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert store.set_status(c.id, "open").closed_at is None
    with pytest.raises(InvalidRequestError, match="status must be one of"):
        store.set_status(c.id, "archived")
    with pytest.raises(NotFoundError, match="conversation 'missing' not found"):
        store.get_conversation("missing")


def test_messages_keep_everything_needed_to_explain_an_answer(store: Store) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "customer", "我的订单 LM2026110009 到哪了？")
    prompt = [{"role": "system", "content": "You are Lumo Home's assistant."}, {"role": "user", "content": "..."}]
    sources = [{"id": 1, "doc": "policies/zh/shipping.md", "text": "16:00 前付款当天发货"}]
    a = store.add_message(c.id, "assistant", "已发货 [1]", intent="order_status", intent_score=0.93,
                          policy="order", slots={"order_no": "LM2026110009"}, sources=sources, prompt=prompt,
                          model="smollm2-135m", latency_ms=812, prompt_tokens=300, completion_tokens=20)
    got = store.get_message(a.id)
    assert got.prompt == prompt and got.sources == sources and got.slots == {"order_no": "LM2026110009"}
    assert (got.intent, got.intent_score, got.policy, got.model, got.latency_ms) == (
        "order_status", 0.93, "order", "smollm2-135m", 812)
    assert [m.id for m in store.messages(c.id)] == [q.id, a.id]
    assert [m.id for m in store.messages(c.id, limit=1)] == [a.id]
    assert [m.role for m in store.messages(c.id, roles=("customer",))] == ["customer"]
    annotated = store.annotate_message(q.id, intent="order_status", slots={"order_no": "LM2026110009"})
    assert annotated.intent == "order_status" and annotated.text == q.text
    with pytest.raises(InvalidRequestError, match="role must be one of"):
        store.add_message(c.id, "bot", "x")
    with pytest.raises(NotFoundError):
        store.add_message("nope", "customer", "x")


def test_streaming_message_is_stored_before_the_answer_and_finished_after(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "customer", "Is shipping free?")
    m = store.start_assistant_message(c.id, intent="faq", prompt="PROMPT", model="fake")
    assert (m.status, m.text, m.finished_at) == ("streaming", "", None)
    store.update_streaming_text(m.id, "Standard delivery is")
    assert store.get_message(m.id).text == "Standard delivery is"
    done = store.finish_message(m.id, "Standard delivery is free from ¥99.", latency_ms=120, completion_tokens=9)
    assert (done.status, done.latency_ms, done.prompt, done.completion_tokens) == ("complete", 120, "PROMPT", 9)
    assert done.finished_at is not None
    store.update_streaming_text(m.id, "late write")  # ignored: the message is no longer streaming
    assert store.get_message(m.id).text == "Standard delivery is free from ¥99."
    with pytest.raises(InvalidRequestError, match="already complete"):
        store.finish_message(m.id, "again")


def test_interrupted_answers_and_the_recovery_sweep(store: Store) -> None:
    c = store.create_conversation()
    stopped = store.start_assistant_message(c.id)
    assert store.mark_interrupted(stopped.id, text="partial").status == "interrupted"
    assert store.get_message(stopped.id).text == "partial"
    old = store.start_assistant_message(c.id)
    fresh = store.start_assistant_message(c.id)
    with store.engine.begin() as conn:  # pretend `old` started ten minutes ago
        conn.execute(update(Message).where(Message.id == old.id).values(created_at=utcnow() - timedelta(minutes=10)))
    assert store.recover_interrupted(older_than=timedelta(minutes=5)) == 1
    assert store.get_message(old.id).status == "interrupted"
    assert store.get_message(fresh.id).status == "streaming"
    assert store.recover_interrupted() == 1
    assert store.get_message(fresh.id).status == "interrupted"
    assert store.recover_interrupted() == 0


def test_feedback_is_one_vote_per_message_and_ratings_are_validated(store: Store) -> None:
    c = store.create_conversation()
    a = store.add_message(c.id, "assistant", "answer")
    assert store.get_feedback(a.id) is None
    store.add_feedback(a.id, "up")
    f = store.add_feedback(a.id, "down", "wrong price")
    assert (f.thumbs, f.comment) == ("down", "wrong price")
    assert store.get_feedback(a.id) == f
    with pytest.raises(InvalidRequestError, match="thumbs must be one of up, down"):
        store.add_feedback(a.id, "meh")
    with pytest.raises(NotFoundError):
        store.add_feedback(999_999, "up")
    assert store.rate_conversation(c.id, 4, "quick").satisfaction == 4
    for bad in (0, 6, 3.5):
        with pytest.raises(InvalidRequestError, match="rating must be an integer 1..5"):
            store.rate_conversation(c.id, bad)  # type: ignore[arg-type]


def test_list_conversations_filters_and_searches(store: Store) -> None:
    a = store.create_conversation(channel="web", customer_ref="u1")
    b = store.create_conversation(channel="api")
    store.add_message(a.id, "customer", "Where is my AirCrisp air fryer?")
    store.add_message(b.id, "customer", "退货运费谁出？")
    store.close_conversation(b.id)
    assert [c.id for c in store.list_conversations()] == [b.id, a.id]  # latest activity first
    assert [c.id for c in store.list_conversations(status="closed")] == [b.id]
    assert [c.id for c in store.list_conversations(channel="web")] == [a.id]
    assert [c.id for c in store.list_conversations(customer_ref="u1")] == [a.id]
    assert [c.id for c in store.list_conversations(search="aircrisp")] == [a.id]
    assert [c.id for c in store.list_conversations(search="运费")] == [b.id]
    assert len(store.list_conversations(limit=1, offset=1)) == 1
    assert store.list_conversations(search="%") == []  # wildcards are taken literally
    store.add_message(b.id, "customer", "100% sure")
    assert [c.id for c in store.list_conversations(search="0% s")] == [b.id]
