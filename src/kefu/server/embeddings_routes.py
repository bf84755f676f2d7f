"""``POST /v1/embeddings`` in OpenAI's shape (``encoding_format`` float or base64).

The embedder named by ``knowledge.embedder`` is loaded once at startup (:func:`attach`) and
shared with the knowledge-base routes. Inputs are embedded as documents ("passage:" role for
e5); send ``"input_type": "query"`` (a kefu extension) for search queries.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kefu.errors import InvalidRequestError, KefuError, ModelNotFoundError
from kefu.server.app import AppState, get_state
from kefu.server.auth import require_api_key

router = APIRouter()


class EmbeddingRequest(BaseModel):
    input: str | list[str] = Field(..., description="A text or a list of texts.")
    model: str = "default"
    encoding_format: Literal["float", "base64"] = "float"
    input_type: Literal["document", "query"] = "document"
    user: str | None = None


def attach(app: Any, state: AppState) -> None:
    from kefu.knowledge.embeddings import load_embedder

    state.extras["embedder"] = load_embedder(state.settings.knowledge.embedder)


def get_embedder(state: AppState) -> Any:
    emb = state.extras.get("embedder")
    if emb is None:
        raise KefuError("the embedding model is not loaded", hint="retry in a few seconds")
    return emb


@router.post("/v1/embeddings", dependencies=[Depends(require_api_key)])
async def embeddings(body: EmbeddingRequest, request: Request) -> dict[str, Any]:
    emb = get_embedder(get_state(request))
    if body.model not in ("default", "kefu", emb.model_id):
        raise ModelNotFoundError(f"the embedding model {body.model!r} does not exist on this server",
                                 hint=f"this server embeds with {emb.model_id!r}", param="model")
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or any(not isinstance(t, str) or not t for t in texts):
        raise InvalidRequestError("input must be a non-empty string or list of non-empty strings", param="input")
    if len(texts) > 2048:
        raise InvalidRequestError("at most 2048 inputs per request", param="input")
    fn = emb.embed_queries if body.input_type == "query" else emb.embed_documents
    vecs = await asyncio.to_thread(fn, texts)
    data = []
    for i, v in enumerate(vecs):
        e: Any = base64.b64encode(v.astype("<f4").tobytes()).decode() if body.encoding_format == "base64" \
            else [float(x) for x in v]
        data.append({"object": "embedding", "index": i, "embedding": e})
    n = sum(max(1, len(t.split())) for t in texts)
    return {"object": "list", "data": data, "model": emb.model_id, "usage": {"prompt_tokens": n, "total_tokens": n}}
