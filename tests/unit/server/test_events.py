from __future__ import annotations

import asyncio
import threading

from kefu.server.events import EventBus


def test_publish_from_a_thread_reaches_subscribers_and_pings():
    async def main():
        bus = EventBus()
        got = []

        async def listen():
            async for ev in bus.subscribe("c1", ping_s=0.05):
                got.append(ev)
                if len(got) == 3:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.01)
        assert bus.subscribers("c1") == 1
        threading.Thread(target=bus.publish, args=("c1", {"type": "message", "n": 1})).start()
        bus.publish("other", {"type": "message", "n": 2})
        await asyncio.wait_for(task, 2)
        assert got[0] == {"type": "message", "n": 1}
        assert None in got, "silence yields keep-alive pings"
        await asyncio.sleep(0)
        assert bus.subscribers("c1") == 0

    asyncio.run(main())
