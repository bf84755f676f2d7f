"""Load test: N concurrent simulated customers holding multi-turn conversations against a live
kefu server on 127.0.0.1 (the full assistant: bundled SmolLM2 on llama.cpp, e5 embeddings, the
demo company), at several load levels.

Per level: throughput (turns/s), p50/p95 time to first token (first `token` SSE event), p50/p95
time to the whole answer, errors, and a check that every message was stored (customer and
assistant, status complete). Writes bench/results/load_test.json and a latency-vs-load plot
bench/results/load_test.png.

    .venv/bin/python bench/load_test.py [--levels 1,2,4,8] [--turns 3] [--data-dir /tmp/kefu-load]

Requests go only to 127.0.0.1, bounded in number (levels x customers x turns) and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# every script holds a knowledge-base question the model must answer (not an FAQ), so each load
# level, even a single customer, mixes model turns with fixed replies, FAQ answers and order lookups
SCRIPTS = [
    ["Hello", "How do I clean the filter of the RoboClean S1?", "Where is my order LM2026110009?"],
    ["你好", "空气净化器的滤网多久换一次？", "退货运费谁出？"],
    ["How long is the warranty on the SmartTemp kettle?", "and what colours does it come in?", "thanks, bye"],
    ["Can you recommend an air purifier?", "What do Lumo Club members get?", "Where is my order LM2026110003?"],
]


async def customer(http: httpx.AsyncClient, script: list[str], turns: int) -> list[dict]:
    conv = (await http.post("/v1/conversations", json={})).json()["id"]
    out = []
    for text in script[:turns]:
        t0 = time.perf_counter()
        first = None
        ok = False
        policy = None
        try:
            async with http.stream("POST", f"/v1/conversations/{conv}/messages", json={"text": text}) as r:
                r.raise_for_status()
                event = ""
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:].strip()
                        if event == "token" and first is None:
                            first = time.perf_counter()
                        ok = ok or event == "done"
                    elif line.startswith("data: ") and event == "done":
                        policy = ((json.loads(line[6:]) or {}).get("message") or {}).get("policy")
        except httpx.HTTPError as e:
            out.append({"conv": conv, "ok": False, "error": str(e)})
            continue
        end = time.perf_counter()
        out.append({"conv": conv, "ok": ok, "ttft": (first or end) - t0, "total": end - t0, "policy": policy})
    return out


async def level(base: str, n: int, turns: int) -> tuple[list[dict], float]:
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        t0 = time.perf_counter()
        results = await asyncio.gather(*[customer(http, SCRIPTS[i % len(SCRIPTS)], turns) for i in range(n)])
        return [r for rs in results for r in rs], time.perf_counter() - t0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))], 3) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", default="1,2,4,8")
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--data-dir", default="/tmp/kefu-load")
    ap.add_argument("--port", type=int, default=8791)
    args = ap.parse_args()

    import uvicorn

    from kefu.config import load_settings
    from kefu.llm.factory import load_llm
    from kefu.server.app import create_app

    settings = load_settings(None, data_dir=args.data_dir,
                             server={"rate_limit_per_minute": 0, "max_queue": 256, "queue_timeout_s": 600})
    t_start = time.perf_counter()
    app = create_app(settings, load_llm(settings.llm))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="error"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.1)
    print(f"server ready in {time.perf_counter() - t_start:.1f}s (first start loads the demo)")
    store = app.state.kefu.extras["store"]
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    for n in [int(x) for x in args.levels.split(",")]:
        results, wall = asyncio.run(level(base, n, args.turns))
        good = [r for r in results if r["ok"]]
        convs = {r["conv"] for r in results}
        stored = [m for c in convs for m in store.messages(c)]
        complete = sum(1 for m in stored if m.status == "complete")
        row = {"customers": n, "turns": len(results), "errors": len(results) - len(good),
               "throughput_turns_per_s": round(len(good) / wall, 3),
               "ttft_p50_s": pct([r["ttft"] for r in good], 0.5), "ttft_p95_s": pct([r["ttft"] for r in good], 0.95),
               "answer_p50_s": pct([r["total"] for r in good], 0.5),
               "answer_p95_s": pct([r["total"] for r in good], 0.95),
               "model_ttft_p50_s": pct([r["ttft"] for r in good if r.get("policy") == "kb"], 0.5),
               "model_ttft_p95_s": pct([r["ttft"] for r in good if r.get("policy") == "kb"], 0.95),
               "policies": dict(Counter(str(r.get("policy")) for r in good)),
               "messages_stored": len(stored), "messages_expected": 2 * len(results),
               "all_stored_complete": len(stored) == 2 * len(results) == complete}
        rows.append(row)
        print(f"[{n:3d} customers] {row['throughput_turns_per_s']:.2f} turns/s  ttft p50 {row['ttft_p50_s']:.2f}s "
              f"p95 {row['ttft_p95_s']:.2f}s  answer p95 {row['answer_p95_s']:.2f}s  errors {row['errors']}  "
              f"stored {row['messages_stored']}/{row['messages_expected']} complete={row['all_stored_complete']}  "
              f"model turns ttft p50 {row['model_ttft_p50_s']}s  policies {row['policies']}")
    server.should_exit = True
    th.join(10)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load_test.json").write_text(json.dumps({"machine": describe_machine(), "turns_per_customer": args.turns,
                                                       "levels": rows}, indent=2))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["customers"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, [r["ttft_p50_s"] for r in rows], "o-", label="TTFT p50")
    ax.plot(xs, [r["ttft_p95_s"] for r in rows], "o--", label="TTFT p95")
    ax.plot(xs, [r["answer_p95_s"] for r in rows], "s:", label="whole answer p95")
    ax.set_xlabel("concurrent customers")
    ax.set_ylabel("seconds")
    ax.set_xscale("log", base=2)
    ax.set_title("kefu assistant: latency against load (2-core CPU)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "load_test.png", dpi=110)
    print(f"wrote {RESULTS / 'load_test.json'} and load_test.png; median of all: {statistics.median(xs)}")


if __name__ == "__main__":
    main()
