"""Analytics numbers on a small scripted history, and the training-export records (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from kefu.store import Store
from kefu.store.models import Conversation, Message


def _turn(store: Store, conv: str, question: str, answer: str, policy: str, intent: str = "faq") -> int:
    q = store.add_message(conv, "customer", question)
    store.annotate_message(q.id, intent=intent)
    a = store.start_assistant_message(conv, intent=intent, policy=policy, prompt=[{"role": "user", "content": question}])
    return store.finish_message(a.id, answer).id


def _history(store: Store) -> dict[str, object]:
    # c1: resolved by the bot, thumbs up, rated 5
    c1 = store.create_conversation().id
    a1 = _turn(store, c1, "Is shipping free?", "Free from ¥99.", "faq")
    store.add_feedback(a1, "up")
    store.rate_conversation(c1, 5)
    # c2: fallback twice on the same question (different spelling), then handoff
    c2 = store.create_conversation().id
    _turn(store, c2, "Do you sell TVs?", "I don't know.", "fallback", "out_of_scope")
    _turn(store, c2, "do you sell   tvs", "Let me get a colleague.", "handoff", "out_of_scope")
    store.open_handoff(c2, "repeated_failure")
    store.rate_conversation(c2, 2)
    # c3: answered but thumbs down, then corrected by an agent
    c3 = store.create_conversation().id
    a3 = _turn(store, c3, "How long is the warranty?", "6 months.", "kb", "warranty")
    store.add_feedback(a3, "down", "wrong")
    corr = store.add_correction(a3, "1 year.")
    # c4: no customer message at all (opened the widget only); c5 has an answer still streaming
    c4 = store.create_conversation().id
    c5 = store.create_conversation().id
    store.add_message(c5, "customer", "hello")
    store.start_assistant_message(c5)
    # move c1 (and its messages) to yesterday
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with store.engine.begin() as conn:
        conn.execute(update(Conversation).where(Conversation.id == c1).values(created_at=yesterday))
        conn.execute(update(Message).where(Message.conversation_id == c1).values(created_at=yesterday))
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "a1": a1, "a3": a3, "corr": corr}


def test_summary_and_volume(store: Store) -> None:
    _history(store)
    s = store.summary()
    assert (s.conversations, s.customer_messages, s.assistant_messages) == (5, 5, 4)
    assert (s.handoffs, s.thumbs_up, s.thumbs_down, s.interrupted) == (1, 1, 1, 0)
    assert s.handoff_rate == 1 / 5
    assert s.resolution_rate == 2 / 4  # c1 and c5 of the 4 with a customer message
    assert s.avg_satisfaction == 3.5
    today = datetime.now(UTC).date()
    vol = store.volume_per_day()
    assert [(v.day, v.conversations, v.customer_messages) for v in vol] == [
        (str(today - timedelta(days=1)), 1, 1), (str(today), 4, 4)]
    since = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    assert store.summary(since=since).conversations == 4
    assert [v.day for v in store.volume_per_day(since=since)] == [str(today)]
    assert store.intent_counts() == {"out_of_scope": 2, "faq": 1, "warranty": 1}


def test_top_unanswered_groups_spellings_and_counts_thumbs_down(store: Store) -> None:
    h = _history(store)
    top = store.top_unanswered()
    assert [(u.text, u.count) for u in top] == [("do you sell   tvs", 2), ("How long is the warranty?", 1)]
    assert top[0].example_conversation_id == h["c2"]
    assert [u.text for u in store.top_unanswered(policies=())] == ["How long is the warranty?"]


def test_training_exports(store: Store) -> None:
    h = _history(store)
    fb = store.feedback_examples()
    assert [(e.message_id, e.thumbs) for e in fb] == [(h["a1"], "up"), (h["a3"], "down")]
    assert fb[0].context == [{"role": "customer", "text": "Is shipping free?"}]
    assert fb[0].answer == "Free from ¥99." and fb[0].prompt == [{"role": "user", "content": "Is shipping free?"}]
    assert [e.message_id for e in store.feedback_examples(thumbs="down")] == [h["a3"]]
    (corr,) = store.correction_examples()
    assert (corr.bot_answer, corr.corrected, corr.correction_id) == ("6 months.", "1 year.", h["corr"].id)
    assert corr.context == [{"role": "customer", "text": "How long is the warranty?"}]
