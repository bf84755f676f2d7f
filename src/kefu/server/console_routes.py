"""The agent console: login, handoff queue, live takeover, conversation browser, review — and
the static web UI (``/`` demo shop, ``/widget.js``, ``/console``).

Every ``/console/api/*`` route but login needs the session cookie (see
:mod:`kefu.server.console_auth`); admin-only routes (KB, webhooks, agents) are in
:mod:`kefu.server.console_admin`. Conversation changes are pushed to the customer's widget
through the EventBus (``state.extras["events"]``): ``{"type": "status", ...}`` and
``{"type": "message", "message": MessageOut}``.

    curl -c jar -H 'content-type: application/json' -d '{"username":"admin","password":"..."}' \\
         http://127.0.0.1:8000/console/api/login
    curl -b jar http://127.0.0.1:8000/console/api/queue
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from kefu.errors import AuthError, InvalidRequestError
from kefu.server import console_views as v
from kefu.server.app import AppState, get_state
from kefu.server.console_auth import COOKIE, ConsoleAuth, bootstrap_admin, current_agent, session_secret

log = logging.getLogger("kefu.console")
STATIC = Path(__file__).parent / "static"

Agent = Annotated[Any, Depends(current_agent)]  # the logged-in AgentRecord

router = APIRouter()
api = APIRouter(prefix="/console/api", dependencies=[Depends(current_agent)])
public = APIRouter(prefix="/console/api")

_TEXT = {  # system messages the customer sees, by conversation language
    "take": {"en": "{name} has joined the conversation.", "zh": "人工客服 {name} 已接入，为您服务。"},
    "return": {"en": "You are talking to the assistant again.", "zh": "已为您转回智能助手。"},
    "resolve": {"en": "The agent closed this conversation. Thank you!", "zh": "客服已结束本次会话，感谢您的咨询！"},
}


class LoginBody(BaseModel):
    username: str = Field(..., min_length=1)
    password: str = Field(..., min_length=1)


class TextBody(BaseModel):
    text: str = Field(..., min_length=1, max_length=8000)


# ---- startup -----------------------------------------------------------------------------
def attach(app: Any, state: AppState) -> None:
    """Create the console's services: session signer, first admin, webhook worker."""
    from kefu.server.webhooks import WebhookWorker

    settings = state.settings
    if "store" not in state.extras:  # assistant_routes normally opens it (it runs first)
        from kefu.store import open_store

        state.extras["store"] = open_store(settings)
    if "events" not in state.extras:
        from kefu.server.events import EventBus

        state.extras["events"] = EventBus()
    store = state.extras["store"]
    state.extras["console_auth"] = ConsoleAuth(session_secret(settings), settings.console.session_hours)
    bootstrap_admin(store, settings)
    c = settings.console
    old = state.extras.get("webhook_worker")
    if old is not None:
        old.stop()
    state.extras["webhook_worker"] = WebhookWorker(
        store, timeout_s=c.webhook_timeout_s, max_attempts=c.webhook_max_attempts, backoff_s=c.webhook_backoff_s,
        poll_s=c.webhook_poll_s, alive=lambda: _app_running(state)).start()


def _app_running(state: AppState) -> bool:
    # the app's lifespan shuts its generation executor down on exit; a shut-down executor refuses
    # new work (public behaviour), which tells the worker thread to stop with the app
    if state.queue is None:
        return True
    try:
        state.queue.executor.submit(lambda: None)
    except RuntimeError:
        return False
    return True


def detach(state: AppState) -> None:
    """Stop the webhook worker (tests and embedders call this; the worker also stops by itself
    once the app has shut down)."""
    worker = state.extras.pop("webhook_worker", None)
    if worker is not None:
        worker.stop()


def services(request: Request) -> tuple[AppState, Any]:
    state = get_state(request)
    return state, state.extras["store"]


def publish(state: AppState, conv_id: str, event: dict[str, Any]) -> None:
    bus = state.extras.get("events")
    if bus is not None:
        bus.publish(conv_id, event)


def _say(state: AppState, store: Any, conv_id: str, key: str, **kw: Any) -> dict[str, Any]:
    """Store a system message for the customer and push it to their widget."""
    conv = store.get_conversation(conv_id)
    lang = "zh" if (conv.language or "").startswith("zh") else "en"
    out = v.message_out(store.add_message(conv_id, "system", _TEXT[key][lang].format(**kw)))
    publish(state, conv_id, {"type": "message", "message": out})
    return out


# ---- static web UI -----------------------------------------------------------------------
def _static(name: str, media: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type=media, headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
def demo_shop() -> FileResponse:
    return _static("index.html", "text/html; charset=utf-8")


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return _static("widget.js", "application/javascript; charset=utf-8")


@router.get("/console", include_in_schema=False)
def console_page() -> FileResponse:
    return _static("console.html", "text/html; charset=utf-8")


_ASSETS = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
           ".svg": "image/svg+xml", ".html": "text/html; charset=utf-8"}


@router.get("/static/{name}", include_in_schema=False)
def static_asset(name: str) -> FileResponse:
    path = STATIC / Path(name).name  # a bare file name: never a path outside static/
    if path.suffix not in _ASSETS or not path.is_file():
        from kefu.store import NotFoundError

        raise NotFoundError(f"no static file {name!r}")
    return _static(path.name, _ASSETS[path.suffix])


# ---- session -----------------------------------------------------------------------------
@public.post("/login")
async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    state, store = services(request)
    agent = await asyncio.to_thread(store.authenticate, body.username, body.password)
    if agent is None:
        raise AuthError("wrong username or password", hint="check both; an admin can reset a password",
                        code="invalid_credentials")
    auth: ConsoleAuth = state.extras["console_auth"]
    response.set_cookie(COOKIE, auth.issue(agent.id), max_age=int(auth.ttl_s), httponly=True, samesite="strict",
                        secure=state.settings.console.secure_cookie, path="/")
    return {"agent": v.agent_out(agent)}


@public.post("/logout")
def logout(request: Request, response: Response) -> dict[str, Any]:
    auth: ConsoleAuth | None = get_state(request).extras.get("console_auth")
    if auth is not None:
        auth.revoke(request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path="/")
    return {"ok": True}


@api.get("/me")
def me(agent: Agent) -> dict[str, Any]:
    return {"agent": v.agent_out(agent)}


# ---- handoff queue and takeover ---------------------------------------------------------
@api.get("/queue")
def queue(request: Request) -> dict[str, Any]:
    _, store = services(request)
    names = {a.id: a.display_name or a.username for a in store.list_agents()}
    rows = []
    for t in store.list_tickets():
        conv = store.get_conversation(t.conversation_id)
        rows.append({**v.ticket_out(t), "agent_name": names.get(t.agent_id), "conversation": v.conversation_out(conv),
                     **v.preview(store.messages(t.conversation_id))})
    return {"object": "list", "data": rows}


@api.post("/tickets/{ticket_id}/take")
def take(ticket_id: int, request: Request, agent: Agent) -> dict[str, Any]:
    state, store = services(request)
    t = store.assign(ticket_id, agent.id)
    publish(state, t.conversation_id, {"type": "status", "status": "agent", "agent": agent.display_name or
                                       agent.username})
    _say(state, store, t.conversation_id, "take", name=agent.display_name or agent.username)
    return {"ticket": v.ticket_out(t)}


@api.post("/tickets/{ticket_id}/return")
def hand_back(ticket_id: int, request: Request) -> dict[str, Any]:
    state, store = services(request)
    t = store.return_to_bot(ticket_id)
    publish(state, t.conversation_id, {"type": "status", "status": "open"})
    _say(state, store, t.conversation_id, "return")
    return {"ticket": v.ticket_out(t)}


@api.post("/tickets/{ticket_id}/resolve")
def resolve(ticket_id: int, request: Request, agent: Agent) -> dict[str, Any]:
    state, store = services(request)
    t = store.resolve(ticket_id)
    _say(state, store, t.conversation_id, "resolve")
    publish(state, t.conversation_id, {"type": "status", "status": "closed"})
    store.enqueue_event("conversation.closed", {"conversation_id": t.conversation_id, "ticket_id": t.id,
                                                "resolved_by": agent.username, "reason": "resolved"})
    _wake_webhooks(state)
    return {"ticket": v.ticket_out(t)}


def _wake_webhooks(state: AppState) -> None:
    worker = state.extras.get("webhook_worker")
    if worker is not None:
        worker.wake()


@api.post("/conversations/{conv_id}/reply")
def reply(conv_id: str, body: TextBody, request: Request, agent: Agent) -> dict[str, Any]:
    state, store = services(request)
    ticket = store.active_ticket(conv_id)
    if ticket is None:
        raise InvalidRequestError(f"conversation {conv_id} is not handed off to a human",
                                  hint="the customer is talking to the bot; take a ticket from the queue first",
                                  param="conversation_id", code="not_taken_over")
    if ticket.status == "queued":  # replying to a waiting customer takes the ticket
        take(ticket.id, request, agent)
    msg = store.add_message(conv_id, "agent", body.text.strip(), agent_id=agent.id)
    out = v.message_out(msg)
    out["agent_name"] = agent.display_name or agent.username
    publish(state, conv_id, {"type": "message", "message": out})
    return {"message": out}


# ---- conversation browser -----------------------------------------------------------------
@api.get("/conversations")
def conversations(request: Request, status: str | None = None, search: str | None = None, limit: int = 50,
                  offset: int = 0) -> dict[str, Any]:
    _, store = services(request)
    if not 1 <= limit <= 200:
        raise InvalidRequestError("limit must be 1..200", param="limit")
    rows = store.list_conversations(status=status or None, search=search or None, limit=limit, offset=offset)
    return {"object": "list", "data": [{**v.conversation_out(c), **v.preview(store.messages(c.id))} for c in rows]}


@api.get("/conversations/{conv_id}")
def conversation(conv_id: str, request: Request) -> dict[str, Any]:
    _, store = services(request)
    conv = store.get_conversation(conv_id)
    msgs = store.messages(conv_id)
    ids = {m.id for m in msgs if m.role == "assistant"}
    corrections: dict[int, list[Any]] = {}
    for c in store.list_corrections(limit=5000):
        if c.message_id in ids:
            corrections.setdefault(c.message_id, []).append(c)
    ticket = store.active_ticket(conv_id)
    return {**v.conversation_out(conv), "ticket": v.ticket_out(ticket) if ticket else None,
            "messages": [v.message_detail(m, store.get_feedback(m.id) if m.role == "assistant" else None,
                                          corrections.get(m.id, [])) for m in msgs]}


@api.get("/conversations/{conv_id}/events")
async def conversation_events(conv_id: str, request: Request) -> StreamingResponse:
    state, store = services(request)
    await asyncio.to_thread(store.get_conversation, conv_id)  # 404 for an unknown id
    return StreamingResponse(v.sse_stream(state.extras["events"], conv_id), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---- review -------------------------------------------------------------------------------
@api.post("/messages/{message_id}/correction", status_code=201)
def correction(message_id: int, body: TextBody, request: Request,
               agent: Agent) -> dict[str, Any]:
    _, store = services(request)
    return {"correction": v.correction_out(store.add_correction(message_id, body.text.strip(), agent.id))}


@api.get("/corrections")
def corrections(request: Request, added_to_faq: bool | None = None, limit: int = 100) -> dict[str, Any]:
    _, store = services(request)
    rows = []
    for c in store.list_corrections(added_to_faq=added_to_faq, limit=limit):
        m = store.get_message(c.message_id)
        rows.append({**v.correction_out(c), "conversation_id": m.conversation_id, "bot_answer": m.text,
                     "question": _question_before(store, m)})
    return {"object": "list", "data": rows}


def _question_before(store: Any, m: Any) -> str:
    """The customer message the answer ``m`` replied to."""
    before = [x for x in store.messages(m.conversation_id) if x.id < m.id and x.role == "customer"]
    return before[-1].text if before else ""


router.include_router(public)
router.include_router(api)
from kefu.server.console_admin import admin  # noqa: E402  (admin routes reuse the helpers above)

router.include_router(admin)
