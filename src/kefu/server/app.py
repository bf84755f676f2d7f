"""The FastAPI app: state built once at startup, thin routers, OpenAI-shaped errors.

Routers live in one module each; add-on packages (knowledge base, assistant, ...) plug in
through :data:`ROUTERS`: each module there exposes ``router`` and optionally
``attach(app, state)`` to build its own services at startup.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu.config import Settings
from kefu.errors import KefuError
from kefu.llm.base import LLM, SamplingParams
from kefu.server.metrics import Metrics, MetricsMiddleware
from kefu.server.runtime import GenerationQueue
from kefu.server.schemas import error_body

log = logging.getLogger("kefu.server")

# Routers mounted when their module is installed, in this order. Each is a module holding
# `router`, optionally `attach(app, state)` (run at startup) and `detach(state)` (at shutdown).
ROUTERS: tuple[str, ...] = (
    "kefu.server.openai_routes",
    "kefu.server.embeddings_routes",
    "kefu.server.kb_routes",
    "kefu.server.assistant_routes",
    "kefu.server.console_routes",
)


@dataclass
class AppState:
    """Everything handlers need, built once. Add-ons keep their services in ``extras``."""

    settings: Settings
    llm: LLM | None
    queue: GenerationQueue | None = None
    metrics: Metrics | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def sampling_defaults(self) -> SamplingParams:
        s = self.settings.sampling
        return SamplingParams(max_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p, top_k=s.top_k,
                              repetition_penalty=s.repetition_penalty)

    def require_llm(self) -> LLM:
        if self.llm is None:  # pragma: no cover - lifespan loads it before serving
            raise KefuError("the model is still loading", hint="retry in a few seconds")
        return self.llm


def get_state(request: Request) -> AppState:
    return request.app.state.kefu


def _openai_error(status: int, message: str, type_: str, param: str | None = None,
                  code: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, type_, param, code), status_code=status)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "invalid request", None
    err = errors[0]
    if err.get("type") == "json_invalid":
        return f"malformed JSON body: {err.get('ctx', {}).get('error', err.get('msg'))}", None
    loc = [str(x) for x in err.get("loc", ()) if x != "body"]
    param = ".".join(loc) or None
    if err.get("type") == "missing":
        return f"missing required parameter: {param}", param
    extra = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"invalid value for {param or 'body'}: {err.get('msg')}{extra}", param


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KefuError)
    async def kefu_error(_: Request, exc: KefuError) -> JSONResponse:
        msg = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return _openai_error(exc.status, msg, exc.type, exc.param, exc.code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return _openai_error(400, message, "invalid_request_error", param, "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = "invalid_request_error" if exc.status_code < 500 else "server_error"
        code = {404: "not_found", 405: "method_not_allowed", 401: "invalid_api_key"}.get(exc.status_code)
        resp = _openai_error(exc.status_code, str(exc.detail), type_, None, code)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _openai_error(500, f"internal error: {type(exc).__name__}: {exc}", "server_error", None,
                             "internal_error")


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413 before reading them (pure ASGI)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.limit:
                resp = _openai_error(413, f"request body of {int(length)} bytes exceeds the limit of "
                                          f"{self.limit} bytes", "invalid_request_error", None, "request_too_large")
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _router_modules() -> list[Any]:
    mods = []
    for name in ROUTERS:
        if importlib.util.find_spec(name) is not None:
            mods.append(importlib.import_module(name))
    return mods


def create_app(settings: Settings, llm: LLM | None = None) -> FastAPI:
    """Build the app. If ``llm`` is None the model named in ``settings`` is loaded at startup."""
    state = AppState(settings=settings, llm=llm)
    modules = _router_modules()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import asyncio

        s = settings.server
        state.queue = GenerationQueue(s.max_concurrent, s.max_queue, s.queue_timeout_s)
        state.metrics = metrics_holder.bind(state.queue)
        if state.llm is None:
            from kefu.llm.factory import load_llm

            state.llm = await asyncio.to_thread(load_llm, settings.llm)
        for mod in modules:
            attach = getattr(mod, "attach", None)
            if attach is not None:
                await asyncio.to_thread(attach, app, state)
        yield
        for mod in reversed(modules):
            detach = getattr(mod, "detach", None)
            if detach is not None:
                detach(state)
        state.queue.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="kefu", version=__import__("kefu").__version__, lifespan=lifespan,
                  description="Self-hosted customer service on a local LLM. OpenAI-compatible under /v1.")
    app.state.kefu = state
    metrics_holder = _MetricsHolder()
    app.add_middleware(CORSMiddleware, allow_origins=settings.server.cors_origins, allow_methods=["*"],
                       allow_headers=["*"])
    app.add_middleware(BodyLimitMiddleware, limit=settings.server.max_request_bytes)
    app.add_middleware(_LazyMetricsMiddleware, holder=metrics_holder)
    _install_error_handlers(app)
    for mod in modules:
        app.include_router(mod.router)
    return app


class _MetricsHolder:
    """Metrics need the queue, which needs the running event loop (built in lifespan)."""

    def __init__(self) -> None:
        self.metrics: Metrics | None = None

    def bind(self, queue: GenerationQueue) -> Metrics:
        self.metrics = Metrics(queue)
        return self.metrics


class _LazyMetricsMiddleware:
    def __init__(self, app: Any, holder: _MetricsHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.holder.metrics is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await MetricsMiddleware(self.app, self.holder.metrics)(scope, receive, send)
