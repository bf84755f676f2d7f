"""Knowledge-base REST routes under ``/v1/kb`` (thin: the work is in kefu.knowledge).

=======  ====================================  ==========================================
method   path                                  does
=======  ====================================  ==========================================
GET      /v1/kb                                list knowledge bases with their stats
POST     /v1/kb                                create ``{"name": "support"}``
GET      /v1/kb/{name}                         stats and documents
DELETE   /v1/kb/{name}                         delete the knowledge base
POST     /v1/kb/{name}/documents               add by upload (multipart ``files``) or ``{"paths": [...]}``
DELETE   /v1/kb/{name}/documents?source=PATH   remove one document
POST     /v1/kb/{name}/search                  ``{"query", "k"?, "where"?, "mode"?}`` -> hits (+ faq)
=======  ====================================  ==========================================
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kefu.errors import InvalidRequestError
from kefu.server.app import AppState, get_state
from kefu.server.auth import require_api_key

router = APIRouter(prefix="/v1/kb", dependencies=[Depends(require_api_key)])


class CreateRequest(BaseModel):
    name: str


class AddPathsRequest(BaseModel):
    paths: list[str] = Field(..., min_length=1, description="Files, directories or globs on the server's disk.")


class SearchRequest(BaseModel):
    query: str = Field(..., min_length=1)
    k: int | None = Field(None, ge=1, le=100)
    where: dict[str, Any] | None = None
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"


def save_uploads(kb: Any, uploads: list[Any]) -> list[Path]:
    """Write uploaded files into the knowledge base's ``uploads/`` folder (file names only: a
    client never picks a directory); returns their paths, ready for ``kb.add``."""
    folder = kb.dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for up in uploads:
        dest = folder / Path(str(up.filename or "upload")).name
        with dest.open("wb") as out:
            shutil.copyfileobj(up.file, out)
        paths.append(dest)
    return paths


def attach(app: Any, state: AppState) -> None:
    from kefu.knowledge.bm25 import warm_up
    from kefu.knowledge.registry import KnowledgeBaseRegistry

    warm_up()  # jieba's dictionary: load it at startup, not on the first search
    embedder = state.extras.get("embedder")  # loaded by embeddings_routes.attach (it runs first)
    state.extras["kb"] = KnowledgeBaseRegistry(state.settings, embedder)


def _registry(request: Request) -> Any:
    state = get_state(request)
    if "kb" not in state.extras:
        attach(request.app, state)
    return state.extras["kb"]


@router.get("")
async def list_kbs(request: Request) -> dict[str, Any]:
    reg = _registry(request)
    return {"object": "list", "data": [await asyncio.to_thread(lambda n=n: reg.open(n).stats()) for n in reg.names()]}


@router.post("", status_code=201)
async def create_kb(body: CreateRequest, request: Request) -> dict[str, Any]:
    reg = _registry(request)
    kb = await asyncio.to_thread(reg.create, body.name)
    return kb.stats()


@router.get("/{name}")
async def kb_stats(name: str, request: Request) -> dict[str, Any]:
    kb = await asyncio.to_thread(_registry(request).open, name)
    docs = [{"source": d.source, "kind": d.kind, "chunks": d.n_chunks, "content_hash": d.content_hash,
             "added_at": d.added_at} for d in kb.documents()]
    return {**kb.stats(), "documents_list": docs}


@router.delete("/{name}")
async def delete_kb(name: str, request: Request) -> dict[str, Any]:
    await asyncio.to_thread(_registry(request).delete, name)
    return {"name": name, "deleted": True}


@router.post("/{name}/documents")
async def add_documents(name: str, request: Request) -> dict[str, Any]:
    kb = await asyncio.to_thread(_registry(request).open, name)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        uploads = [f for f in form.getlist("files") if hasattr(f, "filename")]
        if not uploads:
            raise InvalidRequestError("no files uploaded", param="files", hint="send multipart field 'files'")
        paths = save_uploads(kb, uploads)
    else:
        try:
            body = AddPathsRequest(**json.loads(await request.body() or b"{}"))
        except (ValueError, TypeError) as e:
            raise InvalidRequestError(f"expected multipart 'files' or JSON {{\"paths\": [...]}}: {e}") from e
        paths = [Path(p) for p in body.paths]
    summary = await asyncio.to_thread(kb.add, paths)
    return summary.to_dict()


@router.delete("/{name}/documents")
async def remove_document(name: str, source: str, request: Request) -> dict[str, Any]:
    kb = await asyncio.to_thread(_registry(request).open, name)
    if not await asyncio.to_thread(kb.remove, source):
        raise InvalidRequestError(f"{source!r} is not in knowledge base {name!r}", param="source",
                                  hint=f"GET /v1/kb/{name} lists its documents")
    return {"source": source, "removed": True}


@router.post("/{name}/search")
async def search(name: str, body: SearchRequest, request: Request) -> dict[str, Any]:
    kb = await asyncio.to_thread(_registry(request).open, name)

    def run() -> dict[str, Any]:
        faq = kb.faq_match(body.query)
        hits = kb.search(body.query, body.k, body.where, mode=body.mode)
        return {"query": body.query, "faq": faq.to_dict() if faq else None, "data": [h.to_dict() for h in hits]}

    return await asyncio.to_thread(run)
