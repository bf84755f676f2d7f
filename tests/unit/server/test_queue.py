from __future__ import annotations

import asyncio

import pytest

from kefu.errors import OverloadedError
from kefu.server.runtime import GenerationQueue


def test_queue_refuses_when_full_and_times_out():
    async def main():
        q = GenerationQueue(max_concurrent=1, max_queue=1, timeout_s=0.2)
        await q.acquire()  # running
        waiter = asyncio.create_task(q.acquire())  # waiting
        await asyncio.sleep(0.01)
        assert (q.running, q.waiting) == (1, 1)
        with pytest.raises(OverloadedError) as full:
            await q.acquire()
        assert full.value.status == 429
        with pytest.raises(OverloadedError) as late:
            await waiter
        assert late.value.status == 503
        q.release()
        await q.acquire()
        assert q.running == 1
        q.executor.shutdown()

    asyncio.run(main())
