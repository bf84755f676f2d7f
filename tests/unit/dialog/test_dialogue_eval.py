"""`kefu eval dialogue`'s runner on the scripted parts (real store / KB / orders, fake LLM)."""

from __future__ import annotations

import pytest

from kefu.errors import DataError
from kefu.evaluate.dialogue import evaluate_dialogues, read_scripts


def test_scripts_pass_and_fail_where_they_should(parts, tmp_path):
    a, store, _, _ = parts
    f = tmp_path / "s.yaml"
    f.write_text("""
- name: ok
  turns:
    - say: where is my order?
      expect: {policy: order, contains: [order number]}
    - say: it's LM2026110003
      expect: {policy: order, slots: {order_no: LM2026110003}, contains: [LM2026110003]}
- name: wrong expectation
  turns:
    - say: hello
      expect: {intent: complaint, handoff: false}
""")
    res = evaluate_dialogues(a, store, read_scripts(f))
    assert res.scores["conversation_success"] == 0.5
    assert res.scores["intent_accuracy"] == 0.0 and res.scores["policy_accuracy"] == 1.0
    assert res.rows[-1][-1] == "FAILED: intent"
    paths = res.report.write(tmp_path / "out")
    assert "conversation_success" in paths["markdown"].read_text()


def test_bad_scripts_name_the_place(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("- name: x\n  turns:\n    - say: hi\n      expect: {mood: happy}\n")
    with pytest.raises(DataError, match="conversation 1, turn 1: unknown expectation"):
        read_scripts(f)
    f.write_text("- turns: []\n")
    with pytest.raises(DataError, match="non-empty list"):
        read_scripts(f)
