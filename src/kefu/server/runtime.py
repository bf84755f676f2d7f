"""Running blocking generation from async handlers: a bounded queue and a thread bridge.

Local backends are CPU-bound, synchronous and not thread-safe, so generation runs in worker
threads, at most ``max_concurrent`` at once; up to ``max_queue`` more requests wait, and the
next one is refused with 429 at once (a wait longer than ``queue_timeout_s`` gives 503).
The event loop never blocks, so ``/health`` answers while the model is busy.

A slot is released by the worker thread itself when generation has really stopped, not
when the client went away: a disconnected client cancels the token, the backend stops at
the next token, and only then may the next request use the model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.responses import StreamingResponse

from kefu.errors import OverloadedError
from kefu.llm.base import CancelToken, Chunk


class GenerationQueue:
    def __init__(self, max_concurrent: int, max_queue: int, timeout_s: float) -> None:
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self.waiting = 0
        self.running = 0
        self._sem = asyncio.Semaphore(max_concurrent)
        self.executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="kefu-gen")

    async def acquire(self) -> None:
        if self._sem.locked() and self.waiting >= self.max_queue:
            raise OverloadedError(f"the server is busy: {self.waiting} requests are already waiting",
                                  hint="retry after a few seconds")
        self.waiting += 1
        try:
            await asyncio.wait_for(self._sem.acquire(), self.timeout_s)
        except TimeoutError as e:
            err = OverloadedError(f"waited {self.timeout_s:.0f}s for a free model slot", hint="retry later")
            err.status = 503
            raise err from e
        finally:
            self.waiting -= 1
        self.running += 1

    def release(self) -> None:
        self.running -= 1
        self._sem.release()


@dataclass
class StreamStats:
    first_token_at: float | None = None
    started_at: float = 0.0


_END = object()


async def stream_in_thread(queue: GenerationQueue, produce: Callable[[CancelToken], Iterator[Chunk]],
                           stats: StreamStats | None = None, cancel: CancelToken | None = None
                           ) -> AsyncIterator[Any]:
    """Run ``produce(cancel)`` in a worker thread and yield what it yields.

    Waits for a queue slot first (raising :class:`OverloadedError` when full). Exceptions
    raised by ``produce`` are re-raised here. When the consumer stops early it must cancel
    ``cancel`` (an abandoned async generator is only finalised by the garbage collector);
    :class:`CancellingStreamingResponse` does that for a client that disconnects. The
    worker releases the slot once the backend has really stopped.
    """
    await queue.acquire()
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[Any] = asyncio.Queue()
    cancel = cancel or CancelToken()
    stats = stats or StreamStats()
    stats.started_at = time.perf_counter()

    def put(item: Any) -> None:
        loop.call_soon_threadsafe(items.put_nowait, item)

    def work() -> None:
        try:
            # backends check the token themselves and end with a "cancelled" chunk
            # (the conformance suite holds them to it)
            for chunk in produce(cancel):
                put(chunk)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put(e)
        finally:
            put(_END)
            loop.call_soon_threadsafe(queue.release)

    try:
        loop.run_in_executor(queue.executor, work)
    except BaseException:
        queue.release()
        raise
    try:
        while True:
            item = await items.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            if stats.first_token_at is None and getattr(item, "text", ""):
                stats.first_token_at = time.perf_counter()
            yield item
    finally:
        cancel.cancel()  # harmless after a normal end; stops the worker after a disconnect


class CancellingStreamingResponse(StreamingResponse):
    """A StreamingResponse that cancels generation however the response ends: normally, or
    because the client disconnected (Starlette then raises out of ``send`` and abandons
    the body iterator without closing it)."""

    def __init__(self, content: Any, cancel: CancelToken, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._cancel = cancel

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._cancel.cancel()
