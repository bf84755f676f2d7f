"""Console routes for the knowledge base, FAQ from corrections, analytics, webhooks and agents.

Admin only: KB changes (upload, re-ingest), webhooks, agent accounts. Any agent: KB search
test, analytics, "add this correction to the FAQ" (the review flow).

The assistant's knowledge base is ``state.extras["kb"].open(state.extras["kb_name"])``. A
correction becomes one FAQ *document* of its own (source ``kefu-console://corrections/<id>``)
added with ``KnowledgeBase.add_documents``: re-adding the same correction is a no-op
(same content hash), and other FAQ entries are never rewritten.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kefu.errors import InvalidRequestError
from kefu.server import console_views as v
from kefu.server.app import get_state
from kefu.server.console_auth import current_agent, require_admin
from kefu.server.webhooks import EVENTS

admin = APIRouter(prefix="/console/api", dependencies=[Depends(current_agent)])
FAQ_SOURCE = "kefu-console://corrections/"


class WebhookBody(BaseModel):
    url: str = Field(..., min_length=8, max_length=2000)
    events: list[str] = Field(default_factory=lambda: list(EVENTS))
    secret: str | None = Field(None, min_length=16, max_length=200)


class AgentBody(BaseModel):
    username: str = Field(..., min_length=2, max_length=64)
    password: str = Field(..., min_length=8, max_length=200)
    role: str = "agent"
    display_name: str | None = None


def _kb(request: Request) -> Any:
    state = get_state(request)
    reg = state.extras.get("kb")
    if reg is None:
        raise InvalidRequestError("no knowledge base service is configured", hint="start kefu with the knowledge extra")
    return reg.get_or_create(state.extras.get("kb_name") or state.settings.dialog.knowledge_base)


def _doc_out(d: Any) -> dict[str, Any]:
    return {"source": d.source, "name": Path(d.source).name if "://" not in d.source else d.source,
            "kind": d.kind, "chunks": d.n_chunks, "added_at": datetime.fromtimestamp(d.added_at, UTC).isoformat()}


# ---- knowledge base ----------------------------------------------------------------------
@admin.get("/kb")
async def kb_info(request: Request) -> dict[str, Any]:
    kb = await asyncio.to_thread(_kb, request)
    docs = await asyncio.to_thread(kb.documents)
    return {"name": kb.name, "stats": await asyncio.to_thread(kb.stats),
            "documents": [_doc_out(d) for d in sorted(docs, key=lambda d: d.source)]}


@admin.post("/kb/upload", dependencies=[Depends(require_admin)])
async def kb_upload(request: Request) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidRequestError("upload files as multipart/form-data in the field 'files'", param="files")
    form = await request.form()
    uploads = [f for f in form.getlist("files") if hasattr(f, "filename")]
    if not uploads:
        raise InvalidRequestError("no files uploaded", param="files", hint="send multipart field 'files'")
    from kefu.server.kb_routes import save_uploads

    kb = await asyncio.to_thread(_kb, request)
    paths = save_uploads(kb, uploads)
    summary = await asyncio.to_thread(kb.add, paths)
    return {"uploaded": [p.name for p in paths], **summary.to_dict()}


@admin.post("/kb/reingest", dependencies=[Depends(require_admin)])
async def kb_reingest(request: Request) -> dict[str, Any]:
    """Re-read every file-backed document: changed files are re-indexed, unchanged ones skipped.
    Documents whose file is gone are listed under ``missing`` (not removed)."""
    kb = await asyncio.to_thread(_kb, request)
    docs = await asyncio.to_thread(kb.documents)
    files = [d.source for d in docs if "://" not in d.source and Path(d.source).is_file()]
    missing = [d.source for d in docs if "://" not in d.source and not Path(d.source).is_file()]
    summary = await asyncio.to_thread(kb.add, files)
    return {**summary.to_dict(), "missing": missing}


@admin.get("/kb/search")
async def kb_search(request: Request, q: str, k: int = 5) -> dict[str, Any]:
    if not q.strip():
        raise InvalidRequestError("the search text is empty", param="q")
    kb = await asyncio.to_thread(_kb, request)

    def run() -> dict[str, Any]:
        faq = kb.faq_match(q)
        return {"query": q, "faq": faq.to_dict() if faq else None,
                "data": [{**h.to_dict(), "citation": h.citation} for h in kb.search(q, max(1, min(k, 20)))]}

    return await asyncio.to_thread(run)


@admin.post("/corrections/{correction_id}/faq")
async def correction_to_faq(correction_id: int, request: Request) -> dict[str, Any]:
    """Add the customer's question + the corrected answer to the knowledge base as an FAQ entry."""
    from kefu.knowledge.loaders import Document, FAQEntry
    from kefu.server.console_routes import _question_before

    store = get_state(request).extras["store"]
    c = next((x for x in await asyncio.to_thread(store.list_corrections, limit=100000) if x.id == correction_id), None)
    if c is None:
        from kefu.store import NotFoundError

        raise NotFoundError(f"no correction with id {correction_id}")
    m = await asyncio.to_thread(store.get_message, c.message_id)
    question = await asyncio.to_thread(_question_before, store, m)
    if not question.strip():
        raise InvalidRequestError(f"answer {m.id} has no customer question before it", param="correction_id")
    entry = FAQEntry(question.strip(), c.corrected_text.strip())
    digest = hashlib.sha256(f"{entry.question}\0{entry.answer}".encode()).hexdigest()
    doc = Document(f"{FAQ_SOURCE}{c.id}", "faq", digest, faqs=[entry])
    kb = await asyncio.to_thread(_kb, request)
    summary = await asyncio.to_thread(kb.add_documents, [doc])
    if summary.errors:
        raise InvalidRequestError(f"the FAQ entry was not added: {summary.errors[0].reason}")
    c = await asyncio.to_thread(store.mark_added_to_faq, c.id)
    return {"correction": v.correction_out(c), "faq": {"question": entry.question, "answer": entry.answer,
                                                        "source": doc.source}, "ingest": summary.to_dict()}


# ---- analytics ---------------------------------------------------------------------------
@admin.get("/analytics")
def analytics(request: Request, days: int = 14) -> dict[str, Any]:
    if not 1 <= days <= 366:
        raise InvalidRequestError("days must be 1..366", param="days")
    store = get_state(request).extras["store"]
    until = datetime.now(UTC)
    since = (until - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    s = store.summary(since, until)
    have = {d.day: d for d in store.volume_per_day(since, until)}
    volume = []  # every day of the window, zeros included, so the chart's x axis is even
    for i in range(days):
        day = (since + timedelta(days=i)).strftime("%Y-%m-%d")
        d = have.get(day)
        volume.append({"day": day, "conversations": d.conversations if d else 0,
                       "customer_messages": d.customer_messages if d else 0})
    intents = store.intent_counts(since, until)
    return {"days": days, "since": since.isoformat(), "until": until.isoformat(),
            "summary": {f: getattr(s, f) for f in s.__dataclass_fields__},
            "volume": volume,
            "intents": [{"intent": k, "count": n} for k, n in sorted(intents.items(), key=lambda kv: -kv[1])],
            "unanswered": [{"text": u.text, "count": u.count, "last_seen": v.iso(u.last_seen),
                            "conversation_id": u.example_conversation_id} for u in store.top_unanswered(10, since, until)]}


# ---- webhooks (admin) --------------------------------------------------------------------
@admin.get("/webhooks", dependencies=[Depends(require_admin)])
def webhooks(request: Request) -> dict[str, Any]:
    store = get_state(request).extras["store"]
    return {"object": "list", "events": list(EVENTS),
            "data": [v.webhook_out(w) for w in store.list_webhooks(active_only=False)]}


@admin.post("/webhooks", status_code=201, dependencies=[Depends(require_admin)])
def add_webhook(body: WebhookBody, request: Request) -> dict[str, Any]:
    unknown = [e for e in body.events if e not in EVENTS and e != "*"]
    if unknown:
        raise InvalidRequestError(f"unknown webhook event(s) {unknown}", param="events",
                                  hint=f"choose from {', '.join(EVENTS)} or '*'")
    store = get_state(request).extras["store"]
    # the secret is shown once, here: receivers need it to verify X-Kefu-Signature
    return {"webhook": v.webhook_out(store.add_webhook(body.url, body.events, body.secret), with_secret=True)}


@admin.delete("/webhooks/{webhook_id}", dependencies=[Depends(require_admin)])
def delete_webhook(webhook_id: int, request: Request) -> dict[str, Any]:
    get_state(request).extras["store"].remove_webhook(webhook_id)
    return {"id": webhook_id, "deleted": True}


# ---- agents (admin) ----------------------------------------------------------------------
@admin.get("/agents", dependencies=[Depends(require_admin)])
def agents(request: Request) -> dict[str, Any]:
    return {"object": "list", "data": [v.agent_out(a) for a in get_state(request).extras["store"].list_agents()]}


@admin.post("/agents", status_code=201, dependencies=[Depends(require_admin)])
def add_agent(body: AgentBody, request: Request) -> dict[str, Any]:
    a = get_state(request).extras["store"].create_agent(body.username, body.password, role=body.role,
                                                        display_name=body.display_name)
    return {"agent": v.agent_out(a)}
