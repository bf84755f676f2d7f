"""Local Hugging Face models through transformers (CPU or CUDA).

Serves a model directory (``config.json`` + weights), a LoRA adapter directory on top of
its base model (what ``kefu train sft --lora`` writes), or a GGUF file dequantised by
transformers (``transformers:path/to/model.gguf``). Generation runs ``model.generate`` in
a worker thread and streams through ``TextIteratorStreamer``; a stopping criterion checks
the cancel token and the stop sequences between tokens.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kefu.errors import BackendError, ModelNotFoundError
from kefu.llm.base import CancelToken, Chunk, GenerationRequest, Message, Usage, find_stop, held_back
from kefu.llm.templates import render_chat


def pick_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _load_model(path: Path, adapter: Path | None, device: str, gguf_file: str | None) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    base = path
    if adapter is None and (path / "adapter_config.json").is_file():
        adapter = path
        cfg = json.loads((path / "adapter_config.json").read_text())
        base = Path(cfg.get("base_model_name_or_path") or "")
        if not (base / "config.json").is_file():
            raise ModelNotFoundError(
                f"LoRA adapter {path} names base model {str(base)!r}, which is not a local model directory",
                hint="pass the base with --model DIR and the adapter with --adapter ADAPTER_DIR",
            )
    kwargs: dict[str, Any] = {"dtype": dtype}
    if gguf_file:
        kwargs["gguf_file"] = gguf_file
    tok_src = adapter if adapter and (adapter / "tokenizer_config.json").is_file() else base
    tokenizer = AutoTokenizer.from_pretrained(str(tok_src), **({"gguf_file": gguf_file} if gguf_file else {}))
    model = AutoModelForCausalLM.from_pretrained(str(base), **kwargs)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    model.to(device)
    model.eval()
    return model, tokenizer


class TransformersLLM:
    """A causal LM loaded with ``AutoModelForCausalLM``."""

    def __init__(self, path: str | Path, *, adapter: str | Path | None = None, device: str = "auto",
                 threads: int | None = None, context_length: int | None = None,
                 model_id: str | None = None) -> None:
        import torch

        path = Path(path)
        gguf_file = None
        if path.suffix == ".gguf":
            if not path.is_file():
                raise ModelNotFoundError(f"GGUF file {path} not found")
            gguf_file, path = path.name, path.parent
        elif not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
            raise ModelNotFoundError(
                f"{path} is not a Hugging Face model directory (no config.json or adapter_config.json)",
                hint="point --model at a directory written by save_pretrained / kefu train",
            )
        if threads:
            torch.set_num_threads(threads)
        self.device = pick_device(device)
        try:
            self.model, self.tokenizer = _load_model(path, Path(adapter) if adapter else None, self.device,
                                                     gguf_file)
        except (OSError, ValueError) as e:
            raise ModelNotFoundError(f"transformers could not load {path}: {e}") from e
        self.model_id = model_id or (Path(adapter).name if adapter else path.name)
        declared = getattr(self.model.config, "max_position_embeddings", None) or 2048
        self.context_length = int(context_length or declared)
        self.chat_template: str | None = getattr(self.tokenizer, "chat_template", None)
        self._lock = threading.Lock()  # generate() and the global torch seed are not re-entrant

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def render(self, messages: Sequence[Message]) -> tuple[str, tuple[str, ...]]:
        if self.chat_template:
            text = self.tokenizer.apply_chat_template([m.to_dict() for m in messages], tokenize=False,
                                                      add_generation_prompt=True)
            return str(text), ()
        return render_chat(None, messages)

    def _prompt(self, request: GenerationRequest) -> tuple[list[int], tuple[str, ...]]:
        if request.messages is not None:
            text, stops = self.render(request.messages)
            # the chat template writes its own special tokens
            return self.tokenizer(text, add_special_tokens=False)["input_ids"], stops
        return self.tokenizer(request.prompt or "")["input_ids"], ()

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._prompt(GenerationRequest(messages=list(messages)))[0])

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[Chunk]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        ids, extra_stops = self._prompt(request)
        p = request.params
        stops = tuple(p.stop) + extra_stops
        max_new = min(p.max_tokens, max(1, self.context_length - len(ids)))
        stop_flag = threading.Event()

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return stop_flag.is_set() or bool(cancel and cancel.cancelled)

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        do_sample = p.temperature > 0
        gen_kwargs: dict[str, Any] = {
            "input_ids": torch.tensor([ids], device=self.device),
            "attention_mask": torch.ones(1, len(ids), dtype=torch.long, device=self.device),
            "max_new_tokens": max_new,
            "do_sample": do_sample,
            "repetition_penalty": p.repetition_penalty,
            "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([_Stop()]),
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if do_sample:
            gen_kwargs.update(temperature=p.temperature, top_p=p.top_p, top_k=p.top_k)
        else:  # silence "generation flags are not valid" warnings from the model's generation_config
            gen_kwargs.update(temperature=None, top_p=None, top_k=None)
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                with self._lock, torch.inference_mode():
                    if p.seed is not None:
                        torch.manual_seed(p.seed)
                    out = self.model.generate(**gen_kwargs)
                    result["n"] = int(out.shape[-1]) - len(ids)
            except Exception as e:  # surfaced to the consumer below
                result["error"] = e
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        emitted, pending = "", ""
        finish = "length"
        try:
            for piece in streamer:
                pending += piece
                cut = find_stop(pending, stops)
                if cut >= 0:
                    pending = pending[:cut]
                    finish = "stop"
                    stop_flag.set()
                keep = 0 if finish == "stop" else held_back(pending, stops)
                out_text, pending = pending[: len(pending) - keep], pending[len(pending) - keep:]
                if out_text:
                    emitted += out_text
                    yield Chunk(out_text)
                if finish == "stop":
                    break
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    break
        finally:
            stop_flag.set()
            worker.join()
        if "error" in result:
            raise BackendError(f"transformers failed while generating: {result['error']}")
        if pending and finish == "length":
            emitted += pending
            yield Chunk(pending)
        n = result.get("n", 0)
        if finish == "length" and n < max_new:
            finish = "stop"  # ended on EOS
        yield Chunk("", finish_reason=finish, usage=Usage(len(ids), n))  # type: ignore[arg-type]
