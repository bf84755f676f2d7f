"""The conformance suite every :class:`kefu.llm.base.LLM` backend must pass.

Each check takes a loaded backend and raises AssertionError on a violation; the test
suite runs all of them against llama.cpp, transformers, the OpenAI-compatible client and
the fake (tests/integration/llm/test_conformance.py). An out-of-tree backend can run them
the same way::

    from kefu.testing.llm_conformance import CHECKS
    for check in CHECKS:
        check(my_llm)
"""

from __future__ import annotations

from collections.abc import Callable

from kefu.llm.base import LLM, CancelToken, Chunk, GenerationRequest, Message, SamplingParams, collect

HELLO = [Message("system", "You are a helpful assistant."), Message("user", "Say hello to Alice.")]


def _run(llm: LLM, **params: object) -> tuple[str, Chunk]:
    req = GenerationRequest(messages=HELLO, params=SamplingParams(**params))  # type: ignore[arg-type]
    return collect(llm.stream(req))


def check_identity(llm: LLM) -> None:
    assert isinstance(llm.model_id, str) and llm.model_id
    assert isinstance(llm.context_length, int) and llm.context_length >= 256


def check_token_counting(llm: LLM) -> None:
    short, long = llm.count_tokens("hello"), llm.count_tokens("hello " * 50)
    assert 1 <= short < long
    assert llm.prompt_tokens(HELLO) > llm.count_tokens("Say hello to Alice.")


def check_stream_shape(llm: LLM) -> None:
    chunks = list(llm.stream(GenerationRequest(messages=HELLO, params=SamplingParams(max_tokens=8, seed=1))))
    assert chunks, "a stream yields at least the final chunk"
    *body, last = chunks
    assert all(c.finish_reason is None for c in body), "only the last chunk carries finish_reason"
    assert last.finish_reason in ("stop", "length")
    assert last.usage is not None and last.usage.prompt_tokens > 0
    assert 0 <= last.usage.completion_tokens <= 8


def check_max_tokens(llm: LLM) -> None:
    text, last = _run(llm, max_tokens=3, temperature=0.0)
    assert last.usage is not None and last.usage.completion_tokens <= 3
    if last.finish_reason == "length":
        assert last.usage.completion_tokens >= 1


def check_seed_determinism(llm: LLM) -> None:
    a, _ = _run(llm, max_tokens=12, temperature=0.9, seed=1234)
    b, _ = _run(llm, max_tokens=12, temperature=0.9, seed=1234)
    assert a == b, f"same seed, different output: {a!r} vs {b!r}"


def check_greedy_determinism(llm: LLM) -> None:
    # a seed also pins greedy decoding: it makes llama.cpp evaluate the prompt cold (see llamacpp.py)
    a, _ = _run(llm, max_tokens=10, temperature=0.0, seed=0)
    b, _ = _run(llm, max_tokens=10, temperature=0.0, seed=0)
    assert a == b


def check_stop_sequence(llm: LLM) -> None:
    free, _ = _run(llm, max_tokens=16, temperature=0.0, seed=0)
    assert len(free) >= 4, f"greedy output too short to test stop sequences: {free!r}"
    stop = free[len(free) // 2: len(free) // 2 + 2]
    cut = free.find(stop)
    text, last = _run(llm, max_tokens=16, temperature=0.0, seed=0, stop=(stop,))
    assert text == free[:cut], f"stop {stop!r}: expected {free[:cut]!r}, got {text!r}"
    assert last.finish_reason == "stop"


def check_cancel(llm: LLM) -> None:
    cancel = CancelToken()
    req = GenerationRequest(messages=HELLO, params=SamplingParams(max_tokens=64, temperature=0.9, seed=7))
    got: list[Chunk] = []
    for chunk in llm.stream(req, cancel):
        got.append(chunk)
        if chunk.text:
            cancel.cancel()
    assert got[-1].finish_reason == "cancelled"
    assert sum(1 for c in got if c.text) <= 3, "generation must stop promptly after cancel"


def check_raw_completion(llm: LLM) -> None:
    text, last = collect(llm.stream(GenerationRequest(prompt="Once upon a time",
                                                      params=SamplingParams(max_tokens=5, seed=3))))
    assert last.finish_reason in ("stop", "length")
    assert last.usage is not None and last.usage.prompt_tokens >= 2


CHECKS: tuple[Callable[[LLM], None], ...] = (
    check_identity, check_token_counting, check_stream_shape, check_max_tokens, check_seed_determinism,
    check_greedy_determinism, check_stop_sequence, check_cancel, check_raw_completion,
)
