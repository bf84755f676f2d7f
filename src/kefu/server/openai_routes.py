"""OpenAI-compatible routes, plus /health, /metrics and the ChatGLM-style /chat_with_history."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from kefu.errors import ModelNotFoundError
from kefu.llm.base import CancelToken, Chunk, GenerationRequest, Message, SamplingParams
from kefu.llm.chat import Fitted, fit_history  # noqa: F401  (Fitted: type of _Fit.fitted)
from kefu.server.app import AppState, get_state
from kefu.server.auth import require_api_key
from kefu.server.runtime import CancellingStreamingResponse, StreamStats, stream_in_thread
from kefu.server.schemas import ChatCompletionRequest, CompletionRequest, HistoryRequest, usage_dict

router = APIRouter()

# names any client may use for whatever model this server runs
MODEL_ALIASES = ("default", "kefu")


def _check_model(state: AppState, requested: str) -> str:
    served = state.require_llm().model_id
    if requested not in (served, *MODEL_ALIASES):
        raise ModelNotFoundError(f"the model {requested!r} does not exist on this server",
                                 hint=f"this server serves {served!r}; GET /v1/models lists it", param="model")
    return served


def _sse(data: Any) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _first_then_rest(gen: AsyncIterator[Any]) -> tuple[Any, AsyncIterator[Any]]:
    """Pull the first item before any header is sent, so errors (context overflow, a full
    queue, a backend failure) still become a proper JSON error response."""
    first = await gen.__anext__()

    async def rest() -> AsyncIterator[Any]:
        yield first
        async for item in gen:
            yield item

    return first, rest()


class _Fit:
    """Carries what history fitting did out of the worker thread."""

    fitted: Fitted | None = None


def _chat_producer(state: AppState, messages: list[Message], params: SamplingParams, fit: _Fit,
                   explicit_max_tokens: bool) -> Any:
    llm = state.require_llm()
    # An explicit max_tokens must fit beside the prompt (else: context_length_exceeded, as OpenAI
    # does). Without one, reserve a quarter of the window for the answer; the backend still
    # stops at the window's end.
    reserve = params.max_tokens if explicit_max_tokens else min(params.max_tokens, llm.context_length // 4)

    def produce(cancel: CancelToken) -> Iterator[Chunk]:
        fit.fitted = fit_history(llm, messages, reserve)
        yield from llm.stream(GenerationRequest(messages=fit.fitted.messages, params=params), cancel)

    return produce


def _record(state: AppState, last: Chunk, stats: StreamStats) -> None:
    if state.metrics is None:
        return
    if last.usage:
        state.metrics.tokens.labels("prompt").inc(last.usage.prompt_tokens)
        state.metrics.tokens.labels("completion").inc(last.usage.completion_tokens)
    if stats.first_token_at is not None:
        state.metrics.ttft.observe(stats.first_token_at - stats.started_at)


def _fit_info(fit: _Fit) -> dict[str, Any]:
    dropped = fit.fitted.dropped if fit.fitted else []
    return {"dropped_messages": len(dropped)}


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    state = get_state(request)
    q = state.queue
    return {
        "status": "ok" if state.llm is not None else "loading",
        "model": state.llm.model_id if state.llm else None,
        "queue": {"waiting": q.waiting if q else 0, "running": q.running if q else 0},
    }


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    m = get_state(request).metrics
    return Response(m.render() if m else b"", media_type="text/plain; version=0.0.4")


@router.get("/v1/models")
async def list_models(request: Request) -> dict[str, Any]:
    state = get_state(request)
    llm = state.require_llm()
    data = [{"id": llm.model_id, "object": "model", "created": 0, "owned_by": "kefu",
             "context_length": llm.context_length}]
    data += [{"id": m, "object": "model", "created": 0, "owned_by": "kefu"} for m in state.extras.get("models", [])]
    return {"object": "list", "data": data}


@router.post("/v1/chat/completions", dependencies=[Depends(require_api_key)])
async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
    state = get_state(request)
    handler = state.extras.get("chat_model_handlers", {}).get(body.model)
    if handler is not None:  # e.g. model "kefu-assistant": the full assistant (kefu.server.assistant_routes)
        return await handler(body, request)
    model = _check_model(state, body.model)
    params = body.sampling(state.sampling_defaults, body.max_completion_tokens or body.max_tokens)
    messages = [m.to_message() for m in body.messages]
    fit = _Fit()
    stats = StreamStats()
    explicit = (body.max_completion_tokens or body.max_tokens) is not None
    cancel = CancelToken()
    gen = stream_in_thread(state.queue, _chat_producer(state, messages, params, fit, explicit), stats, cancel)
    first, chunks = await _first_then_rest(gen)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    headers = {"X-Kefu-Dropped-Messages": str(len(fit.fitted.dropped if fit.fitted else []))}

    def frame(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        out = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if include_usage:
            out["usage"] = None
        return out

    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    if body.stream:
        async def events() -> AsyncIterator[bytes]:
            yield _sse(frame({"role": "assistant", "content": ""}, None))
            last = first
            async for c in chunks:
                last = c
                if c.text:
                    yield _sse(frame({"content": c.text}, None))
            _record(state, last, stats)
            yield _sse(frame({}, last.finish_reason or "stop"))
            if include_usage and last.usage:
                yield _sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                            "choices": [], "usage": usage_dict(last.usage.prompt_tokens,
                                                               last.usage.completion_tokens)})
            yield b"data: [DONE]\n\n"

        return CancellingStreamingResponse(events(), cancel, media_type="text/event-stream", headers=headers)
    parts, last = [], first
    async for c in chunks:
        parts.append(c.text)
        last = c
        if await request.is_disconnected():
            cancel.cancel()
    _record(state, last, stats)
    usage = last.usage
    return JSONResponse({
        "id": cid, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(parts)},
                     "logprobs": None, "finish_reason": last.finish_reason or "stop"}],
        "usage": usage_dict(usage.prompt_tokens, usage.completion_tokens) if usage else None,
        "kefu": _fit_info(fit),
    }, headers=headers)


@router.post("/v1/completions", dependencies=[Depends(require_api_key)])
async def completions(body: CompletionRequest, request: Request) -> Response:
    state = get_state(request)
    model = _check_model(state, body.model)
    llm = state.require_llm()
    params = body.sampling(state.sampling_defaults, body.max_tokens)
    prompt = body.text
    stats = StreamStats()

    def produce(cancel: CancelToken) -> Iterator[Chunk]:
        from kefu.errors import ContextOverflowError

        n = llm.count_tokens(prompt)
        if n >= llm.context_length:
            raise ContextOverflowError(f"the prompt takes {n} tokens but the model's context window is "
                                       f"{llm.context_length}", hint="shorten the prompt", param="prompt")
        yield from llm.stream(GenerationRequest(prompt=prompt, params=params), cancel)

    cancel = CancelToken()
    first, chunks = await _first_then_rest(stream_in_thread(state.queue, produce, stats, cancel))
    cid, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
    include_usage = bool(body.stream_options and body.stream_options.include_usage)

    def frame(text: str, finish: str | None) -> dict[str, Any]:
        return {"id": cid, "object": "text_completion", "created": created, "model": model,
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]}

    if body.stream:
        async def events() -> AsyncIterator[bytes]:
            if body.echo:
                yield _sse(frame(prompt, None))
            last = first
            async for c in chunks:
                last = c
                if c.text:
                    yield _sse(frame(c.text, None))
            _record(state, last, stats)
            yield _sse(frame("", last.finish_reason or "stop"))
            if include_usage and last.usage:
                yield _sse({"id": cid, "object": "text_completion", "created": created, "model": model,
                            "choices": [], "usage": usage_dict(last.usage.prompt_tokens,
                                                               last.usage.completion_tokens)})
            yield b"data: [DONE]\n\n"

        return CancellingStreamingResponse(events(), cancel, media_type="text/event-stream")
    parts, last = [prompt] if body.echo else [], first
    async for c in chunks:
        parts.append(c.text)
        last = c
        if await request.is_disconnected():
            cancel.cancel()
    _record(state, last, stats)
    u = last.usage
    choice = {"index": 0, "text": "".join(parts), "logprobs": None, "finish_reason": last.finish_reason or "stop"}
    return JSONResponse({"id": cid, "object": "text_completion", "created": created, "model": model,
                         "choices": [choice],
                         "usage": usage_dict(u.prompt_tokens, u.completion_tokens) if u else None})


@router.post("/chat_with_history", dependencies=[Depends(require_api_key)])
async def chat_with_history(body: HistoryRequest, request: Request) -> dict[str, Any]:
    """ChatGLM-style: ``{"input_text", "history": [[q, a], ...]}`` ->
    ``{"response", "history", "dropped_turns", "usage"}``."""
    state = get_state(request)
    defaults = state.sampling_defaults
    params = SamplingParams(
        max_tokens=body.max_length or defaults.max_tokens,
        temperature=defaults.temperature if body.temperature is None else body.temperature,
        top_p=body.top_p or defaults.top_p, top_k=defaults.top_k,
        repetition_penalty=defaults.repetition_penalty, seed=body.seed,
    )
    messages = [Message("system", body.system)] if body.system else []
    for q, a in body.history:
        messages += [Message("user", q), Message("assistant", a)]
    messages.append(Message("user", body.input_text))
    fit = _Fit()
    stats = StreamStats()
    parts: list[str] = []
    last = Chunk("")
    async for c in stream_in_thread(state.queue, _chat_producer(state, messages, params, fit,
                                                                body.max_length is not None), stats):
        parts.append(c.text)
        last = c
    _record(state, last, stats)
    response = "".join(parts)
    u = last.usage
    return {
        "response": response,
        "history": [*[[q, a] for q, a in body.history], [body.input_text, response]],
        "dropped_turns": sum(1 for m in (fit.fitted.dropped if fit.fitted else []) if m.role == "user"),
        "usage": usage_dict(u.prompt_tokens, u.completion_tokens) if u else None,
        "status": 200,
    }
