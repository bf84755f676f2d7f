"""In-process publish/subscribe per conversation: agent replies and status changes reach the
customer's widget (and customer messages reach the agent's console) as they happen.

One process only: with several kefu replicas behind a load balancer, route a conversation's
requests to one replica (sticky sessions) or replace this bus with Redis pub/sub — it is the
only piece of server state that is not in the database.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any


class EventBus:
    def __init__(self, max_queued: int = 256) -> None:
        self._subs: dict[Any, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.max_queued = max_queued

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop subscribers run on (publish may then be called from worker threads)."""
        self._loop = loop

    def publish(self, key: Any, event: dict[str, Any]) -> None:
        """Deliver ``event`` to every subscriber of ``key``; safe from any thread. A subscriber
        that stopped reading loses its oldest events rather than blocking the publisher."""
        loop = self._loop
        for q in list(self._subs.get(key, ())):
            if loop is not None and loop.is_running():
                loop.call_soon_threadsafe(self._put, q, event)
            else:
                self._put(q, event)

    def _put(self, q: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
        if q.full():
            q.get_nowait()
        q.put_nowait(event)

    async def subscribe(self, key: Any, ping_s: float = 15.0) -> AsyncIterator[dict[str, Any] | None]:
        """Yield events for ``key``; yields ``None`` every ``ping_s`` seconds of silence so
        the caller can send a keep-alive (and notice a client that went away)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.max_queued)
        self._subs[key].add(q)
        try:
            while True:
                try:
                    yield await asyncio.wait_for(q.get(), ping_s)
                except TimeoutError:
                    yield None
        finally:
            self._subs[key].discard(q)
            if not self._subs[key]:
                self._subs.pop(key, None)

    def subscribers(self, key: Any) -> int:
        return len(self._subs.get(key, ()))
