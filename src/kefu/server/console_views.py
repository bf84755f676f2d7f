"""JSON shapes of the console API (plain dicts built from kefu.store records) and the SSE
framing shared by the console's event streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any


def iso(v: datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def source_out(i: int, s: Any) -> dict[str, Any]:
    """One numbered source as the widget shows it: {n, title, source, text, url?}. Stored sources
    may be Hit dicts (kefu.knowledge) or already in this shape."""
    if not isinstance(s, dict):
        return {"n": i + 1, "title": str(s), "source": str(s), "text": ""}
    heading = s.get("heading_path") or []
    title = s.get("title") or (" > ".join(heading) if heading else None) or str(s.get("source", ""))
    out = {"n": s.get("n", i + 1), "title": title, "source": s.get("source", ""), "text": s.get("text", "")}
    if s.get("url"):
        out["url"] = s["url"]
    return out


def message_out(m: Any, feedback: Any = None) -> dict[str, Any]:
    """MessageOut of the HTTP contract (what the customer's widget understands)."""
    return {"id": m.id, "role": m.role, "text": m.text, "created_at": iso(m.created_at), "status": m.status,
            "intent": m.intent, "policy": m.policy,
            "sources": [source_out(i, s) for i, s in enumerate(m.sources or [])],
            "feedback": feedback.thumbs if feedback is not None else None}


def message_detail(m: Any, feedback: Any, corrections: list[Any]) -> dict[str, Any]:
    """Everything behind one message, for the console's conversation browser."""
    out = message_out(m, feedback)
    out.update(intent_score=m.intent_score, slots=m.slots, prompt=m.prompt, model=m.model, latency_ms=m.latency_ms,
               prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens, agent_id=m.agent_id,
               finished_at=iso(m.finished_at), raw_sources=m.sources,
               feedback_comment=feedback.comment if feedback is not None else None,
               corrections=[correction_out(c) for c in corrections])
    return out


def correction_out(c: Any) -> dict[str, Any]:
    return {"id": c.id, "message_id": c.message_id, "agent_id": c.agent_id, "corrected_text": c.corrected_text,
            "added_to_faq": c.added_to_faq, "created_at": iso(c.created_at)}


def conversation_out(c: Any) -> dict[str, Any]:
    return {"id": c.id, "channel": c.channel, "customer_ref": c.customer_ref, "language": c.language,
            "status": c.status, "satisfaction": c.satisfaction, "satisfaction_comment": c.satisfaction_comment,
            "created_at": iso(c.created_at), "updated_at": iso(c.updated_at), "closed_at": iso(c.closed_at)}


def ticket_out(t: Any) -> dict[str, Any]:
    return {"id": t.id, "conversation_id": t.conversation_id, "reason": t.reason, "note": t.note,
            "status": t.status, "agent_id": t.agent_id, "created_at": iso(t.created_at),
            "assigned_at": iso(t.assigned_at), "closed_at": iso(t.closed_at)}


def agent_out(a: Any) -> dict[str, Any]:
    return {"id": a.id, "username": a.username, "display_name": a.display_name, "role": a.role,
            "active": a.active, "last_login_at": iso(a.last_login_at)}


def webhook_out(w: Any, *, with_secret: bool = False) -> dict[str, Any]:
    out = {"id": w.id, "url": w.url, "events": w.events, "active": w.active, "created_at": iso(w.created_at),
           "secret_hint": w.secret[:4] + "…"}
    if with_secret:
        out["secret"] = w.secret
    return out


def preview(messages: list[Any], limit: int = 120) -> dict[str, Any]:
    """The last customer message and the message count, for queue and list rows."""
    last = next((m for m in reversed(messages) if m.role == "customer"), None)
    text = (last.text if last else "")[:limit]
    return {"last_customer_text": text, "messages": len(messages),
            "last_at": iso(messages[-1].created_at) if messages else None}


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


async def sse_stream(bus: Any, key: Any, ping_s: float = 15.0) -> AsyncIterator[str]:
    """EventBus events for ``key`` as SSE (``event: <type>``), with a ``: ping`` comment on silence."""
    yield ": connected\n\n"
    async for ev in bus.subscribe(key, ping_s=ping_s):
        if ev is None:
            yield ": ping\n\n"
        else:
            yield sse(str(ev.get("type", "message")), ev)
