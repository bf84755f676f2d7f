"""GGUF models through llama-cpp-python: the default backend on CPU.

The prompt is rendered with the GGUF's own chat template (``tokenizer.chat_template``),
tokenised once (so the count we report and the tokens we run are the same), and generated
with ``Llama.create_completion(stream=True)``; llama.cpp keeps the KV cache of the longest
common prefix between calls, so a multi-turn conversation only pays for its new turn.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from kefu.errors import BackendError, ModelNotFoundError
from kefu.llm.base import CancelToken, Chunk, GenerationRequest, Message, Usage
from kefu.llm.templates import render_chat


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp prints its load log on fd 2 from C; silence it unless KEFU_DEBUG is set."""
    if os.environ.get("KEFU_DEBUG"):
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LlamaCppLLM:
    """A GGUF file run by llama.cpp."""

    def __init__(self, path: str | Path, *, threads: int | None = None, context_length: int | None = None,
                 gpu_layers: int = 0, model_id: str | None = None) -> None:
        path = Path(path)
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF file {path} not found",
                                     hint="give the path of an existing .gguf file to --model")
        try:
            from llama_cpp import Llama
        except ImportError as e:  # pragma: no cover - install problem
            raise BackendError("llama-cpp-python is not installed",
                               hint="run `make install` (or pip install llama-cpp-python)") from e
        self.path = path
        self.model_id = model_id or path.stem
        threads = threads or os.cpu_count() or 1
        try:
            with _quiet_stderr():
                self._llama = Llama(
                    model_path=str(path), n_ctx=context_length or 0, n_threads=threads,
                    n_threads_batch=threads, n_gpu_layers=gpu_layers, verbose=False,
                )
        except (ValueError, RuntimeError) as e:
            raise ModelNotFoundError(f"llama.cpp could not load {path}: {e}",
                                     hint="is it a complete, uncorrupted GGUF file?") from e
        self.context_length = self._llama.n_ctx()
        meta = self._llama.metadata
        self.chat_template: str | None = meta.get("tokenizer.chat_template")
        self._bos = self._token_text(self._llama.token_bos())
        self._eos = self._token_text(self._llama.token_eos())
        self._add_bos = meta.get("tokenizer.ggml.add_bos_token", "true") == "true"

    def _token_text(self, token_id: int) -> str:
        if token_id < 0:
            return ""
        return self._llama.detokenize([token_id], special=True).decode("utf-8", errors="ignore")

    def _tokenize(self, text: str, *, add_bos: bool) -> list[int]:
        return self._llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def render(self, messages: Sequence[Message]) -> tuple[str, tuple[str, ...]]:
        return render_chat(self.chat_template, messages, bos_token=self._bos, eos_token=self._eos)

    def _prompt_ids(self, request: GenerationRequest) -> tuple[list[int], tuple[str, ...]]:
        if request.messages is not None:
            text, stops = self.render(request.messages)
            # a template that writes the BOS itself must not get a second one
            add_bos = self._add_bos and not (self._bos and text.startswith(self._bos))
        else:
            text, stops = request.prompt or "", ()
            add_bos = self._add_bos
        return self._tokenize(text, add_bos=add_bos), stops

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._prompt_ids(GenerationRequest(messages=list(messages)))[0])

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[Chunk]:
        ids, extra_stops = self._prompt_ids(request)
        p = request.params
        max_new = min(p.max_tokens, max(1, self.context_length - len(ids)))
        parts: list[str] = []
        finish: str = "length"
        pieces = None
        if p.seed is not None:
            # A reused KV-cache prefix is evaluated token by token instead of in one batch,
            # which changes the logits in the last bits: enough to change a sampled token.
            # Seeded requests start cold so the same seed always gives the same output.
            self._llama.reset()
        try:
            pieces = self._llama.create_completion(
                ids, max_tokens=max_new, temperature=p.temperature, top_p=p.top_p, top_k=p.top_k,
                min_p=0.0, repeat_penalty=p.repetition_penalty, stop=list(p.stop + extra_stops) or None,
                seed=p.seed, stream=True,
            )
            for piece in pieces:
                choice = piece["choices"][0]
                text = choice.get("text") or ""
                if text:
                    parts.append(text)
                    yield Chunk(text)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    break
        except (RuntimeError, ValueError) as e:
            raise BackendError(f"llama.cpp failed while generating: {e}") from e
        finally:
            if pieces is not None:
                pieces.close()  # stops llama.cpp at once when the consumer goes away
        # streamed pieces are not always one per token: count the text's tokens
        yield Chunk("", finish_reason=finish,  # type: ignore[arg-type]
                    usage=Usage(len(ids), self.count_tokens("".join(parts))))
