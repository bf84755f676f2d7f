"""LLM speed: kefu's default path vs raw llama-cpp-python (and transformers for reference).

Measures time to first token (TTFT) and decode tokens/s for a short and a ~500-token prompt,
on the bundled SmolLM2-135M-Instruct GGUF, same thread count, greedy decoding, prompt cache
cleared before every run; runs are interleaved (raw, kefu, raw, kefu, ...) so background
load hits both alike. Also: decode speed by thread count (why kefu defaults to one thread
per core), and the HTTP server's own overhead per request (a scripted zero-cost model behind
a live uvicorn server vs calling it directly).

    .venv/bin/python bench/llm_speed.py [--reps 5] [--new-tokens 64] [--no-transformers]

Writes bench/results/llm_speed.json. Targets: kefu decode >= 0.9x raw llama.cpp; server
overhead <= 20 ms per request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from kefu.llm.base import GenerationRequest, Message, SamplingParams  # noqa: E402
from kefu.llm.factory import bundled_gguf, load_llm  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "llm_speed.json"
SHORT = "What is your return policy for a kettle that arrived broken?"
LONG_PARA = ("Our shop sells kettles, rice cookers, blenders and air fryers. Orders ship within two days and "
             "arrive in three to five days. Returns are accepted within thirty days of delivery. ")


def long_prompt(llm, target: int = 500) -> str:
    text = ""
    while llm.count_tokens(text) < target - 30:
        text += LONG_PARA
    return text + "\n\nSummarise the policy above in one sentence."


def time_stream(chunks) -> tuple[float, float, int]:
    """(ttft seconds, decode tokens/s, new tokens) from a stream of text pieces."""
    t0 = time.perf_counter()
    first = None
    n = 0
    for piece in chunks:
        if piece:
            n += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    first = first or end
    return first - t0, (n - 1) / (end - first) if n > 1 and end > first else 0.0, n


def kefu_run(llm, prompt: str, new_tokens: int) -> tuple[float, float, int]:
    # seed => cold prompt cache (same work as the raw run below), greedy decoding
    params = SamplingParams(max_tokens=new_tokens, temperature=0.0, seed=0, repetition_penalty=1.0)
    req = GenerationRequest(messages=[Message("user", prompt)], params=params)
    return time_stream(c.text for c in llm.stream(req))


def raw_run(raw, ids: list[int], new_tokens: int) -> tuple[float, float, int]:
    raw.reset()
    stream = raw.create_completion(ids, max_tokens=new_tokens, temperature=0.0, top_k=40, top_p=0.95, min_p=0.0,
                                   repeat_penalty=1.0, stream=True)
    return time_stream(p["choices"][0]["text"] for p in stream)


def med(xs: list[float]) -> float:
    return round(statistics.median(xs), 4)


def bench_llamacpp(reps: int, new_tokens: int, threads: int) -> dict:
    from llama_cpp import Llama

    from kefu.llm.llamacpp import LlamaCppLLM, _quiet_stderr

    path = bundled_gguf()
    kefu = LlamaCppLLM(path, threads=threads, context_length=2048)
    with _quiet_stderr():
        raw = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    out = {}
    for name, prompt in (("short", SHORT), ("long", long_prompt(kefu))):
        ids, _ = kefu._prompt_ids(GenerationRequest(messages=[Message("user", prompt)]))
        res = {"raw": [], "kefu": []}
        raw_run(raw, ids, 8), kefu_run(kefu, prompt, 8)  # warm-up
        for _ in range(reps):
            res["raw"].append(raw_run(raw, ids, new_tokens))
            res["kefu"].append(kefu_run(kefu, prompt, new_tokens))
        row = {"prompt_tokens": len(ids)}
        for k, runs in res.items():
            row[k] = {"ttft_s": med([r[0] for r in runs]), "decode_tok_s": med([r[1] for r in runs]),
                      "new_tokens": runs[0][2]}
        row["decode_ratio_kefu_over_raw"] = round(row["kefu"]["decode_tok_s"] / row["raw"]["decode_tok_s"], 3)
        row["ttft_ratio_kefu_over_raw"] = round(row["kefu"]["ttft_s"] / row["raw"]["ttft_s"], 3)
        out[name] = row
        print(f"[llama.cpp {name:5s}] prompt {len(ids):4d} tok | raw: ttft {row['raw']['ttft_s']*1000:7.1f} ms "
              f"decode {row['raw']['decode_tok_s']:6.1f} tok/s | kefu: ttft {row['kefu']['ttft_s']*1000:7.1f} ms "
              f"decode {row['kefu']['decode_tok_s']:6.1f} tok/s | decode ratio {row['decode_ratio_kefu_over_raw']:.3f}")
    return out


def bench_threads(new_tokens: int) -> dict:
    import os

    from kefu.llm.llamacpp import LlamaCppLLM

    out = {}
    for t in sorted({1, 2, os.cpu_count() or 1}):
        llm = LlamaCppLLM(bundled_gguf(), threads=t, context_length=2048)
        kefu_run(llm, SHORT, 8)
        runs = [kefu_run(llm, SHORT, new_tokens) for _ in range(3)]
        out[str(t)] = {"ttft_s": med([r[0] for r in runs]), "decode_tok_s": med([r[1] for r in runs])}
        print(f"[threads {t}] decode {out[str(t)]['decode_tok_s']:.1f} tok/s, ttft {out[str(t)]['ttft_s']*1000:.1f} ms")
    return out


def bench_transformers(reps: int, new_tokens: int, threads: int) -> dict:
    llm = load_llm(f"transformers:{bundled_gguf()}")
    import torch

    torch.set_num_threads(threads)
    out = {}
    for name, prompt in (("short", SHORT), ("long", long_prompt(llm))):
        kefu_run(llm, prompt, 4)
        runs = [kefu_run(llm, prompt, new_tokens) for _ in range(max(1, reps // 2))]
        out[name] = {"ttft_s": med([r[0] for r in runs]), "decode_tok_s": med([r[1] for r in runs])}
        print(f"[transformers {name:5s}] ttft {out[name]['ttft_s']*1000:7.1f} ms decode "
              f"{out[name]['decode_tok_s']:6.1f} tok/s (GGUF dequantised to fp32)")
    return out


def bench_server_overhead(n: int = 200) -> dict:
    """p50/p95 of a full HTTP round trip to /v1/chat/completions minus the same call made
    directly, with a scripted model that costs nothing."""
    import threading

    import httpx
    import uvicorn

    from kefu.config import load_settings
    from kefu.llm.fake import FakeLLM
    from kefu.server.app import create_app

    answer = "Thank you for your question, our return window is thirty days."
    llm = FakeLLM(model_id="fake")
    body = {"model": "fake", "messages": [{"role": "user", "content": SHORT}], "max_tokens": 50}
    direct = []
    for _ in range(n):
        llm.enqueue(answer)
        t = time.perf_counter()
        list(llm.stream(GenerationRequest(messages=[Message("user", SHORT)], params=SamplingParams(max_tokens=50))))
        direct.append(time.perf_counter() - t)
    app = create_app(load_settings(None, data_dir="/tmp/kefu-bench", dialog={"enabled": False}), llm)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8765, log_level="error"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    res = {}
    with httpx.Client(base_url="http://127.0.0.1:8765") as http:
        for stream in (False, True):
            lat = []
            for i in range(n + 10):
                llm.enqueue(answer)
                t = time.perf_counter()
                if stream:
                    with http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
                        for _ in r.iter_bytes():
                            pass
                else:
                    http.post("/v1/chat/completions", json=body).raise_for_status()
                if i >= 10:
                    lat.append(time.perf_counter() - t)
            base = statistics.median(direct)
            q = statistics.quantiles(lat, n=20)
            key = "stream" if stream else "non_stream"
            res[key] = {"p50_ms": round((statistics.median(lat) - base) * 1000, 2),
                        "p95_ms": round((q[18] - base) * 1000, 2)}
            print(f"[server overhead {key}] p50 {res[key]['p50_ms']:.2f} ms, p95 {res[key]['p95_ms']:.2f} ms")
    server.should_exit = True
    th.join(5)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="default: kefu's default (one per core)")
    ap.add_argument("--no-transformers", action="store_true")
    args = ap.parse_args()
    from kefu.config import default_threads

    threads = args.threads or default_threads()
    result = {"machine": describe_machine(), "model": "SmolLM2-135M-Instruct Q4_1 (bundled GGUF)",
              "threads": threads, "new_tokens": args.new_tokens, "reps": args.reps,
              "llamacpp": bench_llamacpp(args.reps, args.new_tokens, threads),
              "threads_sweep": bench_threads(args.new_tokens),
              "server_overhead": bench_server_overhead()}
    if not args.no_transformers:
        result["transformers"] = bench_transformers(args.reps, args.new_tokens, threads)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
