"""The real bundled SmolLM2-135M-Instruct round trip: GGUF -> HF dir (`kefu train base-model`) -> GGUF
(`kefu train gguf`) -> llama.cpp, which must continue text exactly as transformers does on the HF dir."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kefu.llm.factory import bundled_gguf
from kefu.train.base_model import convert_gguf
from kefu.train.gguf_export import export_gguf

pytestmark = pytest.mark.integration
PROMPTS = ["The capital of France is", "Hello, how can I help you today? I would like to return",
           "你好，请问有什么可以帮您？", "Order 12345 ships in 3 days"]


@pytest.fixture(scope="module")
def smollm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_gguf(bundled_gguf(), tmp_path_factory.mktemp("smollm2"))


@pytest.fixture(scope="module")
def hf(smollm_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(smollm_dir, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(smollm_dir)


@pytest.fixture(scope="module")
def f32_gguf(smollm_dir, tmp_path_factory) -> Path:
    return export_gguf(smollm_dir, tmp_path_factory.mktemp("gguf") / "smollm2-f32.gguf", dtype="f32")


def _llama(path: Path):
    from llama_cpp import Llama

    return Llama(model_path=str(path), n_ctx=128, logits_all=True, n_threads=2, verbose=False, type_k=0, type_v=0)


def test_f32_export_is_the_bundled_model_again(f32_gguf):
    """Same keys (bar provenance and the pre-tokenizer name), same tokenizer, and every tensor equal to
    the bundled file's dequantised one: names, shapes and the Q/K permutation are exact inverses."""
    import gguf

    ref, got = gguf.GGUFReader(str(bundled_gguf())), gguf.GGUFReader(str(f32_gguf))
    rf = {k: f.contents() for k, f in ref.fields.items() if k.startswith(("llama.", "tokenizer."))}
    gf = {k: f.contents() for k, f in got.fields.items() if k.startswith(("llama.", "tokenizer."))}
    assert set(rf) <= set(gf)
    differ = {k for k in rf if rf[k] != gf[k]}
    # transformers' GGUF -> HF tokenizer keeps plain ByteLevel, not SmolLM's Digits split (see docs)
    assert differ == {"tokenizer.ggml.pre"} and gf["tokenizer.ggml.pre"] == "gpt-2"
    rt, gt = {t.name: t for t in ref.tensors}, {t.name: t for t in got.tensors}
    assert set(rt) == set(gt) and len(gt) == 272 and "output.weight" not in gt
    for name, t in rt.items():
        want = gguf.quants.dequantize(t.data, t.tensor_type).reshape(-1)
        assert np.array_equal(np.asarray(gt[name].data).reshape(-1), want), name


def test_llama_cpp_continues_like_transformers(f32_gguf, hf):
    import torch

    model, tok = hf
    llm = _llama(f32_gguf)
    try:
        for p in PROMPTS:
            ids = tok.encode(p, add_special_tokens=False)
            assert list(llm.tokenize(p.encode(), add_bos=False, special=False)) == ids
            with torch.no_grad():
                want_logits = model(torch.tensor([ids])).logits[0].numpy()
                want = model.generate(torch.tensor([ids]), max_new_tokens=16, do_sample=False)[0, len(ids):].tolist()
            llm.reset()
            llm.eval(ids)
            got_logits = np.array(llm.scores[: len(ids)])
            assert (want_logits.argmax(-1) == got_logits.argmax(-1)).all(), p
            assert np.abs(want_logits - got_logits).max() < 0.01 * np.abs(want_logits).max(), p
            llm.reset()
            got = []
            for t in llm.generate(ids, temp=0.0, top_k=1):
                got.append(t)
                if len(got) == len(want) or t == tok.eos_token_id:
                    break
            assert got == want, (p, tok.decode(want), tok.decode(got))
    finally:
        llm.close()


def test_q8_0_export_serves_through_kefu(smollm_dir, f32_gguf, hf, tmp_path):
    import torch

    from kefu.llm.factory import load_llm

    out = export_gguf(smollm_dir, tmp_path / "smollm2-q8_0.gguf", dtype="q8_0")
    assert out.stat().st_size < 0.3 * f32_gguf.stat().st_size
    model, tok = hf
    llm = _llama(out)
    try:  # 8-bit weights and activations: top tokens mostly, not always, agree
        agree = []
        for p in PROMPTS:
            ids = tok.encode(p, add_special_tokens=False)
            with torch.no_grad():
                want = model(torch.tensor([ids])).logits[0].numpy().argmax(-1)
            llm.reset()
            llm.eval(ids)
            agree += list(np.array(llm.scores[: len(ids)]).argmax(-1) == want)
        assert np.mean(agree) >= 0.8
    finally:
        llm.close()
    assert _reply(load_llm(str(out)), "What is the capital of France?").strip()


def _reply(llm, text: str) -> str:
    from kefu.llm.base import GenerationRequest, Message, SamplingParams

    return "".join(c.text for c in llm.stream(GenerationRequest(
        messages=[Message("user", text)], params=SamplingParams(max_tokens=16, temperature=0))))


def test_chat_through_kefu_backends_agrees(smollm_dir, f32_gguf):
    """kefu's llama.cpp backend on the export (its chat template from the GGUF) answers like kefu's
    transformers backend on the HF directory."""
    from kefu.llm.factory import load_llm

    gguf_llm, hf_llm = load_llm(str(f32_gguf)), load_llm(str(smollm_dir))
    for q in ("What is the capital of France?", "How do I return an item?"):
        assert _reply(gguf_llm, q) == _reply(hf_llm, q)
