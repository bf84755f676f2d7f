"""`kefu train export` reads the conversation store itself (thumbs and agent corrections)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.store import open_store


def test_export_from_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    store = open_store(url)
    conv = store.create_conversation().id
    store.add_message(conv, "customer", "How long do refunds take?")
    good = store.add_message(conv, "assistant", "Refunds arrive within 5 working days [1].")
    store.add_feedback(good.id, "up")
    store.add_message(conv, "customer", "Can I return a used kettle?")
    bad = store.add_message(conv, "assistant", "No returns ever.")
    store.add_feedback(bad.id, "down")
    agent = store.create_agent("ada", "pw-123456")
    store.add_correction(bad.id, "Yes, within 30 days if it works and you have all parts.", agent.id)
    store.close()

    out = tmp_path / "data"
    r = CliRunner().invoke(app, ["train", "export", "--store", url, "-o", str(out)])
    assert r.exit_code == 0, r.output
    sft = [json.loads(line) for line in (out / "sft.jsonl").read_text().splitlines()]
    prefs = [json.loads(line) for line in (out / "preferences.jsonl").read_text().splitlines()]
    answers = [ex["messages"][-1]["content"] for ex in sft]
    assert "Refunds arrive within 5 working days [1]." in answers
    assert "Yes, within 30 days if it works and you have all parts." in answers
    assert len(prefs) == 1
    pair = prefs[0]
    assert "within 30 days" in json.dumps(pair["chosen"]) and "No returns ever." in json.dumps(pair["rejected"])
