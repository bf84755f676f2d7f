"""A scripted fake LLM: a first-class backend for tests of the layers above.

Queue answers with :meth:`FakeLLM.enqueue`; each ``stream`` call pops the next one (or
echoes the last user message when the queue is empty). Every request is recorded in
``requests`` so a test can assert on the exact prompt a layer sent. Tokens are
whitespace-separated words (CJK characters count one each).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from kefu.llm.base import CancelToken, Chunk, GenerationRequest, Message, Usage, find_stop

_TOKEN = re.compile(r"[\u3000-\u9fff]|[^\s\u3000-\u9fff]+\s*|\s+")


def fake_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


class FakeLLM:
    def __init__(self, answers: Sequence[str] = (), *, model_id: str = "fake", context_length: int = 4096) -> None:
        self.model_id = model_id
        self.context_length = context_length
        self._answers: list[str] = list(answers)
        self.requests: list[GenerationRequest] = []

    def enqueue(self, *answers: str) -> FakeLLM:
        self._answers.extend(answers)
        return self

    def count_tokens(self, text: str) -> int:
        return len([t for t in fake_tokens(text) if t.strip()])

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return sum(self.count_tokens(m.content) + 2 for m in messages)

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[Chunk]:
        self.requests.append(request)
        if self._answers:
            answer = self._answers.pop(0)
        elif request.messages:
            answer = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        else:
            answer = request.prompt or ""
        cut = find_stop(answer, request.params.stop)
        finish = "stop"
        if cut >= 0:
            answer = answer[:cut]
        pieces = fake_tokens(answer)
        if len([p for p in pieces if p.strip()]) > request.params.max_tokens:
            kept, n = [], 0
            for piece in pieces:
                n += bool(piece.strip())
                if n > request.params.max_tokens:
                    break
                kept.append(piece)
            pieces, finish = kept, "length"
        prompt_n = (self.prompt_tokens(request.messages) if request.messages is not None
                    else self.count_tokens(request.prompt or ""))
        out = 0
        for piece in pieces:
            if cancel is not None and cancel.cancelled:
                finish = "cancelled"
                break
            out += bool(piece.strip())
            yield Chunk(piece)
        yield Chunk("", finish_reason=finish, usage=Usage(prompt_n, out))  # type: ignore[arg-type]
