"""Customer-facing routes of the assistant (the HTTP contract is in docs/api.md).

``attach`` builds the services once at startup (store, knowledge base with the demo loaded on
first start, intents, orders database, the Assistant, the event bus) and registers the model
``kefu-assistant`` so any OpenAI client can talk to the full assistant.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kefu.errors import InvalidRequestError
from kefu.llm.base import CancelToken
from kefu.server.app import AppState, get_state
from kefu.server.events import EventBus
from kefu.server.ratelimit import RateLimiter
from kefu.server.runtime import CancellingStreamingResponse, stream_in_thread
from kefu.server.schemas import ChatCompletionRequest, usage_dict

router = APIRouter()
ASSISTANT_MODEL = "kefu-assistant"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewConversation(_Body):
    channel: str = Field("web", max_length=32)
    customer_ref: str | None = Field(None, max_length=128)
    language: Literal["zh", "en"] | None = None


class NewMessage(_Body):
    text: str = Field(min_length=1, max_length=4000)
    stream: bool = True


class FeedbackIn(_Body):
    thumb: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)


class RatingIn(_Body):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class HandoffIn(_Body):
    reason: str | None = Field(None, max_length=200)


def attach(app: FastAPI, state: AppState) -> None:
    if not state.settings.dialog.enabled:
        return
    from kefu.dialog.setup import build_services

    events = EventBus()
    llm = state.require_llm()
    services = build_services(state.settings, llm, notify=events.publish)
    state.extras.update(store=services.store, kb=services.registry, kb_name=state.settings.dialog.knowledge_base,
                        assistant=services.assistant, events=events, services=services,
                        limiter=RateLimiter(state.settings.server.rate_limit_per_minute))
    state.extras.setdefault("models", []).append(ASSISTANT_MODEL)
    state.extras.setdefault("chat_model_handlers", {})[ASSISTANT_MODEL] = _openai_assistant


def _services(request: Request) -> tuple[AppState, Any, Any]:
    state = get_state(request)
    if "assistant" not in state.extras:
        raise InvalidRequestError("the assistant is not enabled on this server",
                                  hint="start kefu with dialog.enabled: true")
    return state, state.extras["assistant"], state.extras["store"]


def _limit(state: AppState, request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    state.extras["limiter"].check(client)


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


@router.post("/v1/conversations", status_code=201)
async def create_conversation(body: NewConversation, request: Request) -> dict[str, Any]:
    state, _, store = _services(request)
    _limit(state, request)
    conv = store.create_conversation(channel=body.channel, customer_ref=body.customer_ref, language=body.language)
    return {"id": conv.id, "status": conv.status, "created_at": conv.created_at.isoformat()}


@router.get("/v1/conversations/{conv_id}")
async def get_conversation(conv_id: str, request: Request) -> dict[str, Any]:
    from kefu.dialog.assistant import conversation_messages

    _, _, store = _services(request)
    conv = store.get_conversation(conv_id)
    return {"id": conv.id, "status": conv.status, "language": conv.language,
            "messages": conversation_messages(store, conv_id)}


@router.post("/v1/conversations/{conv_id}/messages", response_model=None)
async def post_message(conv_id: str, body: NewMessage, request: Request) -> Response:
    state, assistant, store = _services(request)
    _limit(state, request)
    store.get_conversation(conv_id)  # 404 before anything is queued
    cancel = CancelToken()
    gen = stream_in_thread(state.queue, lambda c: assistant.reply(conv_id, body.text, c), cancel=cancel)
    if body.stream:
        async def events() -> AsyncIterator[bytes]:
            async for ev in gen:
                yield _sse(ev.kind, ev.data)

        return CancellingStreamingResponse(events(), cancel, media_type="text/event-stream")
    out: dict[str, Any] = {}
    async for ev in gen:
        if ev.kind == "meta":
            out["customer_message"] = ev.data["customer_message"]
        elif ev.kind == "done":
            out.update(message=ev.data["message"], handoff=ev.data["handoff"], silent=ev.data["silent"])
    return JSONResponse(out)


@router.get("/v1/conversations/{conv_id}/events")
async def conversation_events(conv_id: str, request: Request) -> Response:
    state, _, store = _services(request)
    store.get_conversation(conv_id)
    bus: EventBus = state.extras["events"]

    async def stream() -> AsyncIterator[bytes]:
        yield b": connected\n\n"
        async for event in bus.subscribe(conv_id):
            if await request.is_disconnected():
                return
            yield b": ping\n\n" if event is None else _sse(event.get("type", "message"), event)

    return CancellingStreamingResponse(stream(), CancelToken(), media_type="text/event-stream",
                                       headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/v1/messages/{message_id}/feedback")
async def feedback(message_id: int, body: FeedbackIn, request: Request) -> dict[str, Any]:
    state, _, store = _services(request)
    _limit(state, request)
    msg = store.get_message(message_id)
    if msg.role != "assistant":
        raise InvalidRequestError("feedback is for the assistant's answers", param="message_id")
    store.add_feedback(message_id, body.thumb, body.comment)
    store.enqueue_event("feedback.created", {"conversation_id": msg.conversation_id, "message_id": message_id,
                                             "thumb": body.thumb, "comment": body.comment})
    return {"ok": True}


@router.post("/v1/conversations/{conv_id}/rating")
async def rating(conv_id: str, body: RatingIn, request: Request) -> dict[str, Any]:
    state, _, store = _services(request)
    _limit(state, request)
    store.rate_conversation(conv_id, body.rating, body.comment)
    return {"ok": True}


@router.post("/v1/conversations/{conv_id}/handoff")
async def handoff(conv_id: str, body: HandoffIn, request: Request) -> dict[str, Any]:
    state, _, store = _services(request)
    _limit(state, request)
    ticket = store.open_handoff(conv_id, "asked", body.reason)
    store.enqueue_event("handoff.created", {"conversation_id": conv_id, "ticket_id": ticket.id, "reason": "asked"})
    state.extras["events"].publish(conv_id, {"type": "status", "status": "handoff"})
    return {"ticket_id": ticket.id, "status": ticket.status}


async def _openai_assistant(body: ChatCompletionRequest, request: Request) -> Response:
    """``model: kefu-assistant`` on /v1/chat/completions: the newest user message goes to the
    assistant. The conversation is named by the ``X-Kefu-Conversation-Id`` header; without
    one, a conversation is created and the earlier messages of the request are stored in it
    as its history. The response carries the id (header and ``kefu.conversation_id``)."""
    state, assistant, store = _services(request)
    _limit(state, request)
    messages = [m.to_message() for m in body.messages]
    if messages[-1].role != "user":
        raise InvalidRequestError("the last message must be the customer's (role user)", param="messages")
    conv_id = request.headers.get("x-kefu-conversation-id")
    if conv_id:
        store.get_conversation(conv_id)
    else:
        conv_id = store.create_conversation(channel="api").id
        for m in messages[:-1]:
            if m.role in ("user", "assistant") and m.content:
                store.add_message(conv_id, "customer" if m.role == "user" else "assistant", m.content)
    cancel = CancelToken()
    gen = stream_in_thread(state.queue, lambda c: assistant.reply(conv_id, messages[-1].content, c), cancel=cancel)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    headers = {"X-Kefu-Conversation-Id": conv_id}

    def frame(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": ASSISTANT_MODEL,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    if body.stream:
        async def events() -> AsyncIterator[bytes]:
            yield f"data: {json.dumps(frame({'role': 'assistant', 'content': ''}, None))}\n\n".encode()
            async for ev in gen:
                if ev.kind == "token":
                    yield f"data: {json.dumps(frame({'content': ev.data['text']}, None), ensure_ascii=False)}\n\n".encode()
                elif ev.kind == "done":
                    last = frame({}, "stop")
                    last["kefu"] = _kefu_info(conv_id, ev.data)
                    yield f"data: {json.dumps(last, ensure_ascii=False, default=str)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return CancellingStreamingResponse(events(), cancel, media_type="text/event-stream", headers=headers)
    done: dict[str, Any] = {}
    async for ev in gen:
        if ev.kind == "done":
            done = ev.data
    text = (done.get("message") or {}).get("text", "")
    return JSONResponse({
        "id": cid, "object": "chat.completion", "created": created, "model": ASSISTANT_MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                     "finish_reason": "stop"}],
        "usage": usage_dict(0, 0), "kefu": _kefu_info(conv_id, done)}, headers=headers)


def _kefu_info(conv_id: str, done: dict[str, Any]) -> dict[str, Any]:
    msg = done.get("message") or {}
    return {"conversation_id": conv_id, "policy": msg.get("policy"), "intent": msg.get("intent"),
            "sources": msg.get("sources", []), "handoff": done.get("handoff", False),
            "silent": done.get("silent", False), "final_text": msg.get("text")}

