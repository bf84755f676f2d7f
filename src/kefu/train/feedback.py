"""Feedback -> training data: what a deployment collects becomes SFT examples and preference pairs.

Rules (each bot answer is judged in its context = the conversation before it):

* thumbs-up bot answer                       -> SFT example (context + answer);
* bot answer corrected by an agent           -> pair (chosen = agent's text, rejected = bot's)
                                                and an SFT example with the agent's text;
* thumbs-down answer and, in the same context -> pair (chosen = the better one, rejected = the
  (same conversation history), a thumbs-up      thumbs-down one). "Same context" means the same
  answer or an agent reply                      preceding messages, e.g. a regenerated answer.

Functions work on plain records (:class:`StoredMessage`), so they are testable without a database.

Reading the store (issue 4, ``kefu.store``): one ``StoredMessage`` per row of ``messages``
(``role`` user/assistant/agent/system, ``text``, ``conversation_id``, ordered by ``created_at``,
``id``), with ``thumbs`` from the ``feedback`` row of that message (unique per message) and
``corrections`` from its ``correction`` rows (``corrected_text``, oldest first). The CLI command
``kefu train export`` does that query and calls :func:`export_datasets`.

    >>> msgs = [StoredMessage(1, "c1", "user", "Refund?"), StoredMessage(2, "c1", "assistant", "30 days.", thumbs="up")]
    >>> build_datasets(msgs).sft
    [{'messages': [{'role': 'user', 'content': 'Refund?'}, {'role': 'assistant', 'content': '30 days.'}]}]
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: str
    role: str  # user | assistant (the bot) | agent (a human) | system
    text: str
    thumbs: str | None = None  # "up" | "down" | None
    corrections: tuple[str, ...] = ()  # agents' corrected versions of a bot answer, oldest first


@dataclass
class ExportedData:
    sft: list[dict[str, Any]] = field(default_factory=list)
    preferences: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"sft": len(self.sft), "preferences": len(self.preferences)}


def _turn(m: StoredMessage) -> dict[str, str]:
    role = "assistant" if m.role in ("assistant", "agent") else m.role
    return {"role": role, "content": m.text}


def _key(context: list[dict[str, str]]) -> str:
    return json.dumps(context, ensure_ascii=False, sort_keys=True)


def build_datasets(messages: Iterable[StoredMessage]) -> ExportedData:
    """Apply the rules above; duplicates (same context and text) are emitted once."""
    by_conv: dict[str, list[StoredMessage]] = defaultdict(list)
    for m in messages:
        by_conv[m.conversation_id].append(m)
    out = ExportedData()
    seen: set[str] = set()
    # context -> judged answers in it: (text, +1 good / -1 bad)
    judged: dict[str, list[tuple[str, int]]] = defaultdict(list)
    contexts: dict[str, list[dict[str, str]]] = {}

    def add(kind: str, row: dict[str, Any]) -> None:
        k = kind + json.dumps(row, ensure_ascii=False, sort_keys=True)
        if k not in seen:
            seen.add(k)
            (out.sft if kind == "sft" else out.preferences).append(row)

    for conv in by_conv.values():
        context: list[dict[str, str]] = []
        for m in conv:
            is_answer = m.role in ("assistant", "agent") and m.text.strip() != "" and any(
                t["role"] == "user" for t in context)
            if is_answer:
                key = _key(context)
                contexts[key] = list(context)
                better = m.corrections[-1] if m.role == "assistant" and m.corrections else None
                if better and better.strip() and better != m.text:
                    add("sft", {"messages": context + [{"role": "assistant", "content": better}]})
                    add("pref", {"prompt": list(context), "chosen": better, "rejected": m.text})
                elif m.thumbs == "down":
                    judged[key].append((m.text, -1))
                else:
                    if m.thumbs == "up":
                        add("sft", {"messages": context + [_turn(m)]})
                    if m.thumbs == "up" or m.role == "agent":  # an agent's reply counts as a good answer
                        judged[key].append((m.text, 1))
            # a thumbs-down answer stays out of the context, so that the next answer (a regenerated
            # one, or the agent's) is judged in the same context and can form a pair with it
            if not (is_answer and m.thumbs == "down"):
                context.append(_turn(m))
    for key, answers in judged.items():
        good = [t for t, s in answers if s > 0]
        bad = [t for t, s in answers if s < 0]
        for b in bad:
            for g in good:
                if g != b:
                    add("pref", {"prompt": contexts[key], "chosen": g, "rejected": b})
    return out


def export_datasets(messages: Iterable[StoredMessage], out_dir: str | Path) -> dict[str, Any]:
    """Write ``sft.jsonl`` and ``preferences.jsonl`` (kefu/TRL formats) to ``out_dir``."""
    data = build_datasets(messages)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("sft.jsonl", data.sft), ("preferences.jsonl", data.preferences)):
        with (out / name).open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return {"out_dir": str(out), **data.counts()}


_ROLE = {"customer": "user", "assistant": "assistant", "agent": "agent", "system": "system"}


def from_store(store: Any, *, page: int = 200) -> list[StoredMessage]:
    """Every stored message as a :class:`StoredMessage`, with its thumbs and agent corrections
    (kefu.store.Store; conversations in pages of ``page``)."""
    corrections: dict[int, list[tuple[int, str]]] = defaultdict(list)
    offset = 0
    while batch := store.list_corrections(limit=page, offset=offset):
        for c in batch:
            corrections[c.message_id].append((c.id, c.corrected_text))
        offset += page
    out: list[StoredMessage] = []
    offset = 0
    while convs := store.list_conversations(limit=page, offset=offset):
        for conv in convs:
            for m in store.messages(conv.id):
                fb = store.get_feedback(m.id) if m.role == "assistant" else None
                corr = tuple(text for _, text in sorted(corrections.get(m.id, [])))  # oldest first
                out.append(StoredMessage(m.id, conv.id, _ROLE.get(m.role, m.role), m.text, fb.thumbs if fb else None,
                                         corr))
        offset += page
    return out
