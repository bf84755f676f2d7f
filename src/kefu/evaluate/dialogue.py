"""Dialogue evaluation: scripted multi-turn conversations replayed through the real Assistant,
checking what each turn should produce.

Script format (YAML; a list of conversations)::

    - name: order status, then a human
      turns:
        - say: Where is my order LM2026110009?
          expect: {intent: order_status, policy: order, slots: {order_no: LM2026110009}, contains: [ZTO]}
        - say: 我要人工客服
          expect: {handoff: true}

``expect`` keys (all optional): ``intent``, ``policy`` (exact), ``slots`` (each given slot must
equal the value carried after the turn), ``contains`` / ``not_contains`` (case-insensitive
substrings of the answer), ``handoff`` (bool), ``cites`` (bool: the answer has sources). A
conversation passes when every check of every turn passes.

    result = evaluate_dialogues(assistant, store, read_scripts("scripts.yaml"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kefu.errors import DataError
from kefu.evaluate.report import Report

CHECKS = ("intent", "policy", "slots", "contains", "not_contains", "handoff", "cites")


@dataclass
class Turn:
    say: str
    expect: dict[str, Any]


@dataclass
class Script:
    name: str
    turns: list[Turn]


@dataclass
class DialogueResult:
    scores: dict[str, float]
    rows: list[list[Any]] = field(default_factory=list)
    report: Report | None = None


def read_scripts(path: str | Path) -> list[Script]:
    """Parse and validate a YAML script file; errors name the conversation and turn."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DataError(f"{p}: cannot read the dialogue scripts: {e}") from e
    if not isinstance(data, list) or not data:
        raise DataError(f"{p}: expected a non-empty list of conversations")
    scripts = []
    for i, conv in enumerate(data, 1):
        where = f"{p}: conversation {i}"
        if not isinstance(conv, dict) or not isinstance(conv.get("turns"), list) or not conv["turns"]:
            raise DataError(f"{where}: needs 'turns', a non-empty list")
        turns = []
        for j, t in enumerate(conv["turns"], 1):
            if not isinstance(t, dict) or not isinstance(t.get("say"), str) or not t["say"].strip():
                raise DataError(f"{where}, turn {j}: needs 'say', the customer's text")
            expect = t.get("expect") or {}
            unknown = set(expect) - set(CHECKS)
            if not isinstance(expect, dict) or unknown:
                raise DataError(f"{where}, turn {j}: unknown expectation(s) {sorted(unknown)}",
                                hint=f"use {', '.join(CHECKS)}")
            turns.append(Turn(t["say"], expect))
        scripts.append(Script(str(conv.get("name") or f"conversation {i}"), turns))
    return scripts


def _check(kind: str, want: Any, meta: dict[str, Any], done: dict[str, Any], slots: dict[str, Any]) -> bool:
    text = ((done.get("message") or {}).get("text") or "").lower()
    if kind == "intent":
        return meta.get("intent") == want
    if kind == "policy":
        return meta.get("policy") == want or (done.get("message") or {}).get("policy") == want
    if kind == "slots":
        return all(str(slots.get(k, "")).upper() == str(v).upper() for k, v in dict(want).items())
    if kind == "contains":
        return all(str(w).lower() in text for w in ([want] if isinstance(want, str) else want))
    if kind == "not_contains":
        return not any(str(w).lower() in text for w in ([want] if isinstance(want, str) else want))
    if kind == "handoff":
        return bool(done.get("handoff")) == bool(want)
    return bool((done.get("message") or {}).get("sources")) == bool(want)  # cites


def evaluate_dialogues(assistant: Any, store: Any, scripts: list[Script], *, meta: dict[str, Any] | None = None
                       ) -> DialogueResult:
    """Replay each script in a new conversation of ``store`` through ``assistant.reply``."""
    from tqdm import tqdm

    rows: list[list[Any]] = []
    per_check: dict[str, list[bool]] = {k: [] for k in CHECKS}
    conv_ok: list[bool] = []
    for script in tqdm(scripts, desc="dialogues", unit="conv"):
        conv = store.create_conversation(channel="eval").id
        ok_all = True
        for n, turn in enumerate(script.turns, 1):
            events = list(assistant.reply(conv, turn.say))
            meta_ev, done = events[0].data, events[-1].data
            slots = (store.get_conversation(conv).state or {}).get("slots", {})
            failed = []
            for kind, want in turn.expect.items():
                passed = _check(kind, want, meta_ev, done, slots)
                per_check[kind].append(passed)
                if not passed:
                    failed.append(kind)
            ok_all &= not failed
            answer = ((done.get("message") or {}).get("text") or "")[:120]
            rows.append([script.name, n, turn.say, meta_ev.get("intent"), meta_ev.get("policy"), answer,
                         "ok" if not failed else "FAILED: " + ", ".join(failed)])
        conv_ok.append(ok_all)
    scores = {"conversation_success": sum(conv_ok) / len(conv_ok),
              "turn_checks_passed": sum(sum(v) for v in per_check.values()) / max(1, sum(len(v) for v in per_check.values()))}
    scores.update({f"{k}_accuracy": sum(v) / len(v) for k, v in per_check.items() if v})
    report = Report("Dialogue evaluation", meta=meta or {})
    report.metrics("Scores", {k: round(v, 4) for k, v in scores.items()})
    report.table("Turns", ["conversation", "turn", "customer", "intent", "policy", "answer", "result"], rows)
    return DialogueResult(scores, rows, report)
