"""Convert the common training-data formats to two shapes: conversations and preference pairs.

Accepted record shapes (detected per record by their keys):

=================  ===============================================================
messages           ``{"messages": [{"role": "user", "content": "..."}, ...]}`` (OpenAI)
alpaca             ``{"instruction", "input"?, "output", "system"?, "history"?: [[q, a], ...]}``
ShareGPT           ``{"conversations": [{"from": "human"|"gpt"|"system", "value": "..."}]}``
prompt/response    ``{"prompt": "...", "response"|"completion": "..."}``
text               ``{"text": "..."}`` (pre-training only)
preference         ``{"prompt", "chosen", "rejected"}`` (strings or message lists)
ShareGPT DPO       ``{"conversations": [...], "chosen": {"from", "value"}, "rejected": {...}}`` (LLaMA-Factory)
hh-rlhf            ``{"chosen": "\\n\\nHuman: ...\\n\\nAssistant: ...", "rejected": "..."}``
ranked             ``{"prompt", "answers"|"responses"|"ranked": [best, ..., worst]}`` -> all K(K-1)/2 pairs
=================  ===============================================================

Limits: tool calls / images are not supported; a ShareGPT "observation"/"function" turn is an error.
Example::

    >>> normalize_conversation(Record({"instruction": "Hi", "output": "Hello!"}, "x.jsonl line 1"))
    [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello!'}]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from kefu.errors import DataError
from kefu.train.data.io import Record

Conversation = list[dict[str, str]]

_ROLES = {"system": "system", "user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant",
          "bot": "assistant", "model": "assistant"}


@dataclass(frozen=True)
class Preference:
    """A prompt (messages ending with a user turn) and two assistant answers, chosen better."""

    prompt: Conversation
    chosen: str
    rejected: str

    def to_trl(self) -> dict[str, Any]:
        """TRL's conversational preference shape (DPOTrainer, RewardTrainer)."""
        return {"prompt": self.prompt, "chosen": [{"role": "assistant", "content": self.chosen}],
                "rejected": [{"role": "assistant", "content": self.rejected}]}


def _fail(rec: Record, what: str) -> DataError:
    keys = ", ".join(sorted(rec.data)) or "none"
    return DataError(f"{rec.where}: {what} (keys present: {keys})",
                     hint="see docs/training.md#data-formats for the accepted shapes")


def _text(rec: Record, value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(rec, f"field {field!r} must be a string, got {type(value).__name__}")
    return value


def _messages(rec: Record, items: Any, field: str, role_key: str = "role", text_key: str = "content") -> Conversation:
    if not isinstance(items, list) or not items:
        raise _fail(rec, f"field {field!r} must be a non-empty list of turns")
    out: Conversation = []
    for i, m in enumerate(items):
        if not isinstance(m, dict) or role_key not in m or text_key not in m:
            raise _fail(rec, f"{field}[{i}] must be an object with {role_key!r} and {text_key!r}")
        role = _ROLES.get(str(m[role_key]).lower())
        if role is None:
            raise _fail(rec, f"{field}[{i}] has unknown {role_key} {m[role_key]!r} "
                             f"(use one of {', '.join(sorted(_ROLES))})")
        out.append({"role": role, "content": _text(rec, m[text_key], f"{field}[{i}].{text_key}")})
    return out


def _check_order(rec: Record, conv: Conversation, *, need_assistant: bool = True) -> Conversation:
    body = conv[1:] if conv and conv[0]["role"] == "system" else conv
    if any(m["role"] == "system" for m in body):
        raise _fail(rec, "a system message may only come first")
    if need_assistant and not any(m["role"] == "assistant" for m in body):
        raise _fail(rec, "the conversation has no assistant turn to learn from")
    if not all(m["content"].strip() for m in body):
        raise _fail(rec, "a turn has empty content")
    return conv


def _alpaca(rec: Record) -> Conversation:
    d = rec.data
    conv: Conversation = []
    if d.get("system"):
        conv.append({"role": "system", "content": _text(rec, d["system"], "system")})
    for i, turn in enumerate(d.get("history") or []):
        if not (isinstance(turn, list | tuple) and len(turn) == 2):
            raise _fail(rec, f"history[{i}] must be a [question, answer] pair")
        conv += [{"role": "user", "content": _text(rec, turn[0], f"history[{i}][0]")},
                 {"role": "assistant", "content": _text(rec, turn[1], f"history[{i}][1]")}]
    q = _text(rec, d["instruction"], "instruction")
    extra = d.get("input") or ""
    conv.append({"role": "user", "content": f"{q}\n{_text(rec, extra, 'input')}" if extra else q})
    if "output" not in d:
        raise _fail(rec, "alpaca record without 'output'")
    conv.append({"role": "assistant", "content": _text(rec, d["output"], "output")})
    return conv


def normalize_conversation(rec: Record) -> Conversation:
    """One SFT record (any conversation shape above) as OpenAI-style messages."""
    d = rec.data
    if "messages" in d:
        conv = _messages(rec, d["messages"], "messages")
    elif "conversations" in d:
        conv = _messages(rec, d["conversations"], "conversations", "from", "value")
    elif "instruction" in d:
        conv = _alpaca(rec)
    elif "prompt" in d and ("response" in d or "completion" in d):
        answer = d.get("response", d.get("completion"))
        conv = [{"role": "user", "content": _text(rec, d["prompt"], "prompt")},
                {"role": "assistant", "content": _text(rec, answer, "response")}]
    else:
        raise _fail(rec, "not a conversation: expected 'messages', 'conversations', 'instruction'/'output' "
                         "or 'prompt'/'response'")
    return _check_order(rec, conv)


def normalize_text(rec: Record) -> str:
    """A pre-training record: ``{"text": ...}``; a conversation is flattened to its contents."""
    if "text" in rec.data:
        return _text(rec, rec.data["text"], "text")
    return "\n".join(m["content"] for m in normalize_conversation(rec))


_HH_TURN = re.compile(r"\n\n(Human|Assistant): ")


def split_hh(text: str) -> tuple[Conversation, str] | None:
    """hh-rlhf dialogue text -> (prompt messages, final assistant answer); ``None`` if the text
    does not end with an ``\\n\\nAssistant: `` turn.

    ``split_hh("\\n\\nHuman: hi\\n\\nAssistant: hello")`` -> ``([{"role": "user", "content": "hi"}], "hello")``
    """
    parts = _HH_TURN.split("\n\n" + text.lstrip("\n") if not text.startswith("\n\n") else text)
    turns = [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    if not turns or turns[-1][0] != "Assistant":
        return None
    prompt = [{"role": "user" if who == "Human" else "assistant", "content": said.strip()} for who, said in turns[:-1]]
    return prompt, turns[-1][1].strip()


def _hh_split(rec: Record, text: str, field: str) -> tuple[Conversation, str]:
    split = split_hh(text)
    if split is None:
        raise _fail(rec, f"{field!r} must end with an '\\n\\nAssistant: ' turn (hh-rlhf format)")
    return split


def _answer(rec: Record, value: Any, field: str) -> str:
    """A chosen/rejected answer: a string, a {role/from, content/value} turn, or a one-turn list."""
    if isinstance(value, list):
        if len(value) != 1:
            raise _fail(rec, f"{field!r} as a list must hold exactly one assistant turn")
        value = value[0]
    if isinstance(value, dict):
        text = value.get("content", value.get("value"))
        return _text(rec, text, f"{field}.content")
    return _text(rec, value, field)


def normalize_preferences(rec: Record) -> list[Preference]:
    """One preference record -> pairs (a ranked list of K answers gives K(K-1)/2 pairs)."""
    d = rec.data
    if "conversations" in d:
        prompt = _messages(rec, d["conversations"], "conversations", "from", "value")
    elif "prompt" in d:
        prompt = (_messages(rec, d["prompt"], "prompt") if isinstance(d["prompt"], list)
                  else [{"role": "user", "content": _text(rec, d["prompt"], "prompt")}])
    elif "chosen" in d and "rejected" in d and isinstance(d["chosen"], str):
        prompt, chosen = _hh_split(rec, d["chosen"], "chosen")
        prompt_r, rejected = _hh_split(rec, d["rejected"], "rejected")
        if prompt_r != prompt:
            raise _fail(rec, "'chosen' and 'rejected' dialogues differ before the last answer")
        return [Preference(prompt, chosen, rejected)] if chosen != rejected else []
    else:
        raise _fail(rec, "not a preference record: expected 'prompt' or 'conversations' plus "
                         "'chosen'/'rejected' or a ranked 'answers' list")
    if not prompt or prompt[-1]["role"] != "user":
        raise _fail(rec, "the prompt must end with a user turn")
    ranked = next((d[k] for k in ("answers", "responses", "ranked") if k in d), None)
    if ranked is not None:
        if not isinstance(ranked, list) or len(ranked) < 2:
            raise _fail(rec, "a ranked list needs at least two answers, best first")
        answers = [_answer(rec, a, f"answers[{i}]") for i, a in enumerate(ranked)]
        return [Preference(prompt, a, b) for a, b in itertools.combinations(answers, 2) if a != b]
    if "chosen" not in d or "rejected" not in d:
        raise _fail(rec, "preference record needs both 'chosen' and 'rejected'")
    chosen, rejected = _answer(rec, d["chosen"], "chosen"), _answer(rec, d["rejected"], "rejected")
    if not chosen.strip() or not rejected.strip():
        raise _fail(rec, "'chosen' and 'rejected' must not be empty")
    return [Preference(prompt, chosen, rejected)]
