"""Feedback -> datasets, on in-memory store records."""

import json

from kefu.train.data import normalize_conversation, normalize_preferences, read_records
from kefu.train.feedback import StoredMessage as M
from kefu.train.feedback import build_datasets, export_datasets

U = {"role": "user", "content": "Where is my order?"}


def test_thumbs_up_becomes_sft_and_thumbs_down_is_not():
    d = build_datasets([M(1, "a", "user", "Where is my order?"), M(2, "a", "assistant", "It shipped.", thumbs="up"),
                        M(3, "b", "user", "Refund?"), M(4, "b", "assistant", "No.", thumbs="down")])
    assert d.sft == [{"messages": [U, {"role": "assistant", "content": "It shipped."}]}]
    assert d.preferences == []  # a thumbs-down alone gives no pair


def test_agent_correction_becomes_pair_agent_chosen_bot_rejected():
    d = build_datasets([M(1, "a", "user", "Where is my order?"),
                        M(2, "a", "assistant", "I don't know.", corrections=("It shipped on Monday.",))])
    assert d.preferences == [{"prompt": [U], "chosen": "It shipped on Monday.", "rejected": "I don't know."}]
    assert d.sft[0]["messages"][-1]["content"] == "It shipped on Monday."


def test_thumbs_down_then_better_answer_in_same_context_gives_pair():
    d = build_datasets([M(1, "a", "user", "Where is my order?"), M(2, "a", "assistant", "Bad.", thumbs="down"),
                        M(3, "a", "agent", "Order 7 shipped yesterday."),
                        M(4, "b", "user", "Where is my order?"), M(5, "b", "assistant", "Good one.", thumbs="up")])
    pairs = {(p["chosen"], p["rejected"]) for p in d.preferences}
    # the agent's reply (same conversation) and a thumbs-up answer in another conversation with the same context
    assert pairs == {("Order 7 shipped yesterday.", "Bad."), ("Good one.", "Bad.")}
    assert all(p["prompt"] == [U] for p in d.preferences)


def test_export_writes_files_the_trainers_read(tmp_path):
    res = export_datasets([M(1, "a", "user", "Hi"), M(2, "a", "assistant", "Hello!", thumbs="up"),
                           M(3, "a", "user", "Refund?"), M(4, "a", "assistant", "No.", corrections=("Yes, 30 days.",))],
                          tmp_path)
    assert res["sft"] == 2 and res["preferences"] == 1
    convs = [normalize_conversation(r) for r in read_records(tmp_path / "sft.jsonl")]
    assert convs[1][-2:] == [{"role": "user", "content": "Refund?"}, {"role": "assistant", "content": "Yes, 30 days."}]
    pairs = [p for r in read_records(tmp_path / "preferences.jsonl") for p in normalize_preferences(r)]
    assert pairs[0].prompt[-1]["content"] == "Refund?" and json.loads((tmp_path / "preferences.jsonl").read_text())
