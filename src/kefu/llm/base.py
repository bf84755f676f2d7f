"""The one interface every generation backend implements, and the values that cross it.

A backend turns a :class:`GenerationRequest` (chat messages *or* a raw prompt, plus
:class:`SamplingParams`) into a stream of :class:`Chunk` s. Everything else — history
fitting, server, dialogue — is written against :class:`LLM` and never against a
concrete backend, so llama.cpp, transformers, a remote OpenAI-compatible server and the
scripted fake used in tests are interchangeable.

Example::

    llm = load_llm("default")                 # kefu.llm.factory
    req = GenerationRequest(messages=[Message("user", "Hi!")],
                            params=SamplingParams(max_tokens=32, seed=1))
    text = "".join(c.text for c in llm.stream(req))
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from kefu.errors import InvalidRequestError

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidRequestError(
                f"unknown message role {self.role!r}", hint=f"use one of {', '.join(ROLES)}",
                param="messages",
            )
        if not isinstance(self.content, str):
            raise InvalidRequestError("message content must be a string", param="messages")

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. ``temperature == 0`` means greedy decoding.

    The same ``seed`` with the same settings, prompt and model gives the same output.
    """

    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        checks = [
            (self.max_tokens >= 1, "max_tokens", "must be at least 1"),
            (0.0 <= self.temperature <= 2.0, "temperature", "must be between 0 and 2"),
            (0.0 < self.top_p <= 1.0, "top_p", "must be in (0, 1]"),
            (self.top_k >= 0, "top_k", "must be >= 0 (0 disables top-k)"),
            (0.0 < self.repetition_penalty <= 10.0, "repetition_penalty", "must be in (0, 10]"),
            (len(self.stop) <= 8, "stop", "at most 8 stop sequences"),
        ]
        for ok, name, why in checks:
            if not ok:
                raise InvalidRequestError(f"{name} {why}", param=name)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Chunk:
    """A piece of generated text. The last chunk of a stream carries ``finish_reason`` and
    ``usage`` (its ``text`` may be empty)."""

    text: str
    finish_reason: FinishReason | None = None
    usage: Usage | None = None


@dataclass
class GenerationRequest:
    """Exactly one of ``messages`` (chat) or ``prompt`` (raw completion)."""

    messages: Sequence[Message] | None = None
    prompt: str | None = None
    params: SamplingParams = field(default_factory=SamplingParams)

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise InvalidRequestError("give either messages or prompt, not both or neither")
        if self.messages is not None and len(self.messages) == 0:
            raise InvalidRequestError("messages must not be empty", param="messages")


class CancelToken:
    """Set by whoever consumes a stream (e.g. the server when a client disconnects);
    backends check it between tokens and stop with ``finish_reason="cancelled"``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@runtime_checkable
class LLM(Protocol):
    """A generation backend.

    ``stream`` must be a generator: the caller may stop iterating (or cancel the token)
    at any time and generation must stop promptly. Implementations are not required to
    be thread-safe; callers serialise access (the server does, through its queue).
    """

    model_id: str
    context_length: int

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's vocabulary (no special tokens added)."""
        ...

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens the prompt for ``messages`` takes, chat template included."""
        ...

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[Chunk]:
        """Generate, yielding text pieces; the last chunk has finish_reason and usage."""
        ...


def collect(chunks: Iterator[Chunk]) -> tuple[str, Chunk]:
    """Join a stream: returns (full text, last chunk)."""
    parts: list[str] = []
    last = Chunk("")
    for chunk in chunks:
        parts.append(chunk.text)
        last = chunk
    return "".join(parts), last


def find_stop(text: str, stops: Sequence[str]) -> int:
    """Index of the earliest stop sequence in ``text`` or -1 (helper for backends that
    implement stop sequences themselves)."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(hits) if hits else -1


def held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters of ``text`` could still be the start of a stop
    sequence and must be held back before emitting (``"Hello\\nUs"`` with stop
    ``"\\nUser:"`` -> 3)."""
    keep = 0
    for s in stops:
        for n in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:n]):
                keep = max(keep, n)
                break
    return keep
