"""Multi-turn chat on top of any backend: fit the history into the context window.

The rule (documented for users in docs/architecture.md): leading system messages and the
newest message are always kept; older turns are dropped oldest first, a user turn together
with the replies that follow it, until the templated prompt plus ``max_tokens`` fits the
window. What was dropped is reported, never silent. A newest message that cannot fit even
alone is a :class:`ContextOverflowError` that gives the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from kefu.errors import ContextOverflowError
from kefu.llm.base import LLM, CancelToken, Chunk, GenerationRequest, Message, SamplingParams


@dataclass
class Fitted:
    messages: list[Message]
    dropped: list[Message]
    prompt_tokens: int


def _turn_starts(body: Sequence[Message]) -> list[int]:
    """Indices where a droppable unit begins: each user message starts one."""
    starts = [i for i, m in enumerate(body) if m.role == "user"]
    return starts if starts and starts[0] == 0 else [0, *starts]


def fit_history(llm: LLM, messages: Sequence[Message], max_tokens: int) -> Fitted:
    """Keep as much recent history as fits ``llm.context_length - max_tokens``."""
    msgs = list(messages)
    n_sys = 0
    while n_sys < len(msgs) - 1 and msgs[n_sys].role == "system":
        n_sys += 1
    system, body = msgs[:n_sys], msgs[n_sys:]
    budget = llm.context_length - max_tokens
    full = llm.prompt_tokens(msgs)
    if full <= budget:
        return Fitted(msgs, [], full)
    # candidate cut points, oldest first; the last message alone is the final fallback
    cuts = [s for s in _turn_starts(body) if s > 0] + [len(body) - 1]
    cuts = sorted(set(cuts))
    # prompt size shrinks as the cut moves later: binary search for the earliest cut that fits
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        n = llm.prompt_tokens(system + body[cuts[mid]:])
        if n <= budget:
            best, hi = (cuts[mid], n), mid - 1
        else:
            lo = mid + 1
    if best is None:
        alone = llm.prompt_tokens(system + body[-1:])
        raise ContextOverflowError(
            f"the prompt needs {alone} tokens even with only the system message and the newest message, "
            f"and max_tokens={max_tokens} must fit as well, but the model's context window is "
            f"{llm.context_length} tokens",
            hint="shorten the message (or the system prompt), lower max_tokens, or use a model with a longer context",
            param="messages",
        )
    cut, n = best
    return Fitted(system + body[cut:], body[:cut], n)


@dataclass
class ChatReply:
    """A streamed reply plus what fitting did. Iterate it for chunks; afterwards ``text``,
    ``finish_reason`` and ``usage`` are filled in."""

    chunks: Iterator[Chunk]
    fitted: Fitted
    text: str = ""
    last: Chunk | None = field(default=None)

    def __iter__(self) -> Iterator[Chunk]:
        parts: list[str] = []
        for c in self.chunks:
            parts.append(c.text)
            self.last = c
            yield c
        self.text = "".join(parts)


def chat(llm: LLM, messages: Sequence[Message], params: SamplingParams,
         cancel: CancelToken | None = None, *, fit: bool = True) -> ChatReply:
    """Fit ``messages`` (unless ``fit=False``, then overflow is an error) and stream a reply."""
    if fit:
        fitted = fit_history(llm, messages, params.max_tokens)
    else:
        n = llm.prompt_tokens(messages)
        if n + params.max_tokens > llm.context_length:
            raise ContextOverflowError(
                f"this model's maximum context length is {llm.context_length} tokens; the messages take {n} "
                f"and max_tokens asks for {params.max_tokens} more",
                hint="shorten the messages or lower max_tokens", param="messages",
            )
        fitted = Fitted(list(messages), [], n)
    request = GenerationRequest(messages=fitted.messages, params=params)
    return ChatReply(llm.stream(request, cancel), fitted)


class Conversation:
    """History for an interactive session (``kefu chat``): append, reply, reset."""

    def __init__(self, llm: LLM, system: str | None = None) -> None:
        self.llm = llm
        self.system = system
        self.turns: list[Message] = []

    def reset(self) -> None:
        self.turns.clear()

    def messages(self) -> list[Message]:
        head = [Message("system", self.system)] if self.system else []
        return head + self.turns

    def say(self, text: str, params: SamplingParams, cancel: CancelToken | None = None) -> ChatReply:
        self.turns.append(Message("user", text))
        try:
            reply = chat(self.llm, self.messages(), params, cancel)
        except Exception:
            self.turns.pop()
            raise
        return _Recording(reply, self)


class _Recording(ChatReply):
    def __init__(self, inner: ChatReply, conv: Conversation) -> None:
        super().__init__(inner.chunks, inner.fitted)
        self._conv = conv

    def __iter__(self) -> Iterator[Chunk]:
        yield from super().__iter__()
        self._conv.turns.append(Message("assistant", self.text))
