"""Any OpenAI-compatible server: vLLM, Ollama, llama-server, TGI, OpenAI, another kefu.

This is how kefu scales past one machine: run the model on a GPU server (vLLM with tensor
parallelism, say) and point ``--model openai:NAME@http://gpu-host:8000/v1`` at it. Uses the
official ``openai`` client, streaming included. The remote server applies the chat
template; token counts here are an estimate (see :func:`estimate_tokens`) unless the
server reports usage, which the last chunk then carries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

from kefu.errors import BackendError, ContextOverflowError, ModelNotFoundError
from kefu.llm.base import CancelToken, Chunk, GenerationRequest, Message, Usage

_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A conservative estimate for a vocabulary we cannot see: one token per CJK character
    and about four characters of other text per token."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


class OpenAICompatLLM:
    """Chat and completions against ``base_url`` with the official client."""

    def __init__(self, model: str, base_url: str, *, api_key: str | None = None, context_length: int | None = None,
                 timeout_s: float = 120.0, check: bool = True) -> None:
        import openai

        self.model_id = model
        self.base_url = base_url
        self.context_length = context_length or 8192
        self._openai = openai
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "none",
                                     timeout=timeout_s, max_retries=1)
        if check:
            self._check_model()

    def _check_model(self) -> None:
        try:
            ids = [m.id for m in self._client.models.list()]
        except self._openai.APIConnectionError as e:
            raise BackendError(f"cannot reach the OpenAI-compatible server at {self.base_url}: {e}",
                               hint="is the server running, and is the URL right (it usually ends in /v1)?") from e
        except self._openai.APIStatusError as e:
            raise BackendError(f"{self.base_url} answered {e.status_code} to GET /models: {e.message}",
                               hint="check the API key (--api-key or OPENAI_API_KEY)") from e
        if ids and self.model_id not in ids:
            raise ModelNotFoundError(f"{self.base_url} does not serve model {self.model_id!r}",
                                     hint=f"it serves: {', '.join(ids[:20])}")

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return sum(estimate_tokens(m.content) + 4 for m in messages) + 2

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[Chunk]:
        p = request.params
        common: dict[str, Any] = {
            "model": self.model_id, "max_tokens": p.max_tokens, "temperature": p.temperature, "top_p": p.top_p,
            "stream": True, "stream_options": {"include_usage": True},
        }
        if p.stop:
            common["stop"] = list(p.stop)
        if p.seed is not None:
            common["seed"] = p.seed
        extra: dict[str, Any] = {}
        if p.top_k:
            extra["top_k"] = p.top_k  # vLLM, llama-server and kefu accept these two
        if p.repetition_penalty != 1.0:
            extra["repetition_penalty"] = p.repetition_penalty
        if extra:
            common["extra_body"] = extra
        try:
            if request.messages is not None:
                stream = self._client.chat.completions.create(messages=[m.to_dict() for m in request.messages],
                                                              **common)
            else:
                stream = self._client.completions.create(prompt=request.prompt or "", **common)
        except self._openai.NotFoundError as e:
            raise ModelNotFoundError(f"{self.base_url}: {e.message}") from e
        except self._openai.BadRequestError as e:
            if "context" in str(e.message).lower():
                raise ContextOverflowError(f"{self.base_url}: {e.message}") from e
            raise BackendError(f"{self.base_url} rejected the request: {e.message}") from e
        except self._openai.APIError as e:
            raise BackendError(f"{self.base_url} failed: {e}") from e
        finish, usage, parts = "length", None, []
        try:
            for event in stream:
                if event.usage is not None:
                    usage = Usage(event.usage.prompt_tokens, event.usage.completion_tokens)
                for choice in event.choices or []:
                    text = (choice.delta.content if request.messages is not None else choice.text) or ""
                    if text:
                        parts.append(text)
                        yield Chunk(text)
                    if choice.finish_reason:
                        finish = choice.finish_reason
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    break
        except self._openai.APIError as e:
            raise BackendError(f"{self.base_url} failed mid-stream: {e}") from e
        finally:
            stream.close()  # closes the HTTP response: the remote server sees the disconnect
        if usage is None:
            prompt_n = (self.prompt_tokens(request.messages) if request.messages is not None
                        else estimate_tokens(request.prompt or ""))
            usage = Usage(prompt_n, estimate_tokens("".join(parts)))
        if finish not in ("stop", "length", "cancelled"):
            finish = "stop"
        yield Chunk("", finish_reason=finish, usage=usage)  # type: ignore[arg-type]
