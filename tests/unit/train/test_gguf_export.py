"""GGUF export: tiny random Llamas written by kefu, run by llama.cpp, agree with transformers.

The proof is numeric: the same token ids through transformers (the HF directory) and through
llama.cpp (the exported file) give the same logits, so names, the Q/K RoPE permutation, tied and
untied heads, GQA, biases, llama3 rope factors and the tokenizer all made it across.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kefu.errors import ConfigError
from kefu.train.gguf_export import CHECK_TEXT, choose_pre_tokenizer, export_gguf, llama_cpp_tokenize

PROMPTS = ["Where is my order? It has shipped.", "Hello, how can I help you today?", "您的订单已经发货。"]
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")


def build_llama(out: Path, tokenizer_dir: Path, *, seed: int = 0, **overrides) -> Path:
    """A random 2-layer LlamaForCausalLM over ``tokenizer_dir``'s tokenizer (copied in)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    kw = dict(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              initializer_range=0.2,  # peaked logits, so argmax comparisons are not near-ties
              bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**{**kw, **overrides}))
    with torch.no_grad():  # norms start at 1.0; make them count
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    for f in TOKENIZER_FILES:
        if (tokenizer_dir / f).is_file():
            shutil.copy(tokenizer_dir / f, out / f)
    return out


def hf_logits(model_or_dir, ids: list[int]) -> np.ndarray:
    import torch
    from transformers import AutoModelForCausalLM

    model = model_or_dir
    if isinstance(model_or_dir, Path):
        model = AutoModelForCausalLM.from_pretrained(model_or_dir, dtype=torch.float32)
    with torch.no_grad():
        return model.eval()(torch.tensor([ids])).logits[0].float().numpy()


def llama_cpp_logits(path: Path, ids: list[int]) -> np.ndarray:
    from llama_cpp import Llama

    # float32 KV cache (llama.cpp defaults to f16), so an exact export compares at float32 precision
    llm = Llama(model_path=str(path), n_ctx=64, n_batch=64, logits_all=True, n_threads=1, verbose=False,
                type_k=0, type_v=0)
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)])
    finally:
        llm.close()


def assert_same_logits(hf_dir_or_model, gguf: Path, tok, *, rtol: float) -> None:
    for p in PROMPTS:
        ids = tok.encode(p, add_special_tokens=False)
        assert llama_cpp_tokenize(gguf, p) == ids
        a, b = hf_logits(hf_dir_or_model, ids), llama_cpp_logits(gguf, ids)
        assert a.shape == b.shape
        assert np.abs(a - b).max() <= rtol * np.abs(a).max(), (p, np.abs(a - b).max(), np.abs(a).max())
        assert (a.argmax(-1) == b.argmax(-1)).all(), p


def gguf_fields(path: Path) -> tuple[dict, dict]:
    import gguf

    r = gguf.GGUFReader(str(path))
    fields = {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}
    return fields, {t.name: (t.tensor_type.name, t.shape.tolist()) for t in r.tensors}


@pytest.fixture(scope="module")
def smol_tokenizer_dir(tmp_path_factory) -> Path:
    """The bundled SmolLM2-135M-Instruct tokenizer (49152 tokens, ChatML template), as HF files."""
    from transformers import AutoTokenizer

    from kefu.llm.factory import bundled_gguf

    g = bundled_gguf()
    out = tmp_path_factory.mktemp("smol-tok")
    AutoTokenizer.from_pretrained(str(g.parent), gguf_file=g.name).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny_smol(tmp_path_factory, smol_tokenizer_dir) -> Path:
    return build_llama(tmp_path_factory.mktemp("tiny-smol"), smol_tokenizer_dir)


def test_f32_export_of_tiny_llama_with_smollm2_tokenizer_matches_transformers(tiny_smol, tmp_path):
    from transformers import AutoTokenizer

    out = export_gguf(tiny_smol, tmp_path / "m.gguf", dtype="f32")
    tok = AutoTokenizer.from_pretrained(tiny_smol)
    assert_same_logits(tiny_smol, out, tok, rtol=1e-3)

    fields, tensors = gguf_fields(out)
    assert fields["general.architecture"] == "llama" and fields["general.file_type"] == 0
    assert fields["llama.block_count"] == 2 and fields["llama.embedding_length"] == 64
    assert (fields["llama.attention.head_count"], fields["llama.attention.head_count_kv"]) == (4, 2)
    assert fields["llama.rope.dimension_count"] == 16 and fields["llama.vocab_size"] == 49152
    assert fields["tokenizer.ggml.model"] == "gpt2" and fields["tokenizer.ggml.pre"] == "gpt-2"
    assert len(fields["tokenizer.ggml.tokens"]) == 49152 and len(fields["tokenizer.ggml.merges"]) == 48900
    assert fields["tokenizer.ggml.tokens"][:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert fields["tokenizer.ggml.token_type"][:3] == [3, 3, 3] and fields["tokenizer.ggml.token_type"][100] == 1
    assert (fields["tokenizer.ggml.bos_token_id"], fields["tokenizer.ggml.eos_token_id"]) == (1, 2)
    assert fields["tokenizer.ggml.add_bos_token"] is False
    assert "<|im_start|>" in fields["tokenizer.chat_template"]
    assert "output.weight" not in tensors  # tied: llama.cpp reuses token_embd
    assert tensors["token_embd.weight"] == ("F32", [64, 49152])
    assert tensors["blk.1.attn_k.weight"] == ("F32", [64, 32])  # 2 KV heads x 16
    assert len(tensors) == 2 + 2 * 9


def test_served_through_kefu_llama_cpp_backend(tiny_smol, tmp_path):
    """The exported file is a model kefu's default backend loads and chats with (its chat template)."""
    from kefu.llm.base import GenerationRequest, Message, SamplingParams
    from kefu.llm.factory import load_llm

    out = export_gguf(tiny_smol, tmp_path / "m.gguf", dtype="f16")
    llm = load_llm(str(out))
    chunks = list(llm.stream(GenerationRequest(messages=[Message("user", "Hi")],
                                               params=SamplingParams(max_tokens=4, temperature=0))))
    assert chunks and chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens > 5


def test_dtypes_sizes_and_types(tiny_lm_dir, tmp_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_lm_dir)
    sizes = {}
    for dtype, ftype in (("f32", 0), ("f16", 1), ("q8_0", 7)):
        out = export_gguf(tiny_lm_dir, tmp_path / f"{dtype}.gguf", dtype=dtype)
        sizes[dtype] = out.stat().st_size
        fields, tensors = gguf_fields(out)
        assert fields["general.file_type"] == ftype
        assert tensors["blk.0.attn_norm.weight"][0] == "F32"  # 1-D tensors stay f32
        assert tensors["blk.0.ffn_up.weight"][0] == dtype.upper()
        ids = tok.encode(PROMPTS[0], add_special_tokens=False)
        a, b = hf_logits(tiny_lm_dir, ids), llama_cpp_logits(out, ids)
        # the default tiny model's logits are small and flat, so compare values, not argmaxes
        assert np.abs(a - b).max() < {"f32": 1e-4, "f16": 2e-3, "q8_0": 2e-2}[dtype], dtype
    assert sizes["f32"] > sizes["f16"] > sizes["q8_0"]
    with pytest.raises(ConfigError, match="unknown GGUF dtype"):
        export_gguf(tiny_lm_dir, tmp_path / "x.gguf", dtype="q4")  # type: ignore[arg-type]


@pytest.mark.parametrize("overrides", [
    {"tie_word_embeddings": False, "attention_bias": True},          # output.weight; permuted q/k biases
    {"num_key_value_heads": 1, "head_dim": 8},                       # MQA; head_dim != hidden / heads
    {"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 32}, "rope_theta": 500000.0},   # rope_freqs tensor
    {"rope_scaling": {"rope_type": "linear", "factor": 2.0}},
], ids=["untied-bias", "mqa-headdim", "llama3-rope", "linear-rope"])
def test_llama_variants_match_transformers(overrides, tiny_lm_dir, tmp_path):
    from transformers import AutoTokenizer

    model_dir = build_llama(tmp_path / "hf", tiny_lm_dir, seed=1, **overrides)
    out = export_gguf(model_dir, tmp_path / "m.gguf", dtype="f32")
    assert_same_logits(model_dir, out, AutoTokenizer.from_pretrained(model_dir), rtol=1e-3)
    _, tensors = gguf_fields(out)
    assert ("output.weight" in tensors) == (overrides.get("tie_word_embeddings") is False)
    assert ("rope_freqs.weight" in tensors) == ("llama3" in json.dumps(overrides))


def test_lora_adapter_is_merged_before_export(tiny_lm_dir, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_dir = build_llama(tmp_path / "base", tiny_lm_dir, seed=2)
    torch.manual_seed(3)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir),
                                LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj"],
                                           init_lora_weights=False, task_type="CAUSAL_LM"))
    adapter = tmp_path / "adapter"
    peft_model.save_pretrained(adapter)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(adapter)

    out = export_gguf(adapter, tmp_path / "m.gguf", dtype="f32")
    tok = AutoTokenizer.from_pretrained(adapter)
    assert_same_logits(peft_model, out, tok, rtol=1e-3)  # base + adapter ...
    ids = tok.encode(PROMPTS[0], add_special_tokens=False)
    assert np.abs(hf_logits(base_dir, ids) - llama_cpp_logits(out, ids)).max() > 0.1  # ... not the base alone
    assert gguf_fields(out)[0]["general.name"] == "adapter"


def test_refuses_other_architectures_and_tokenizers(tiny_lm_dir, tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    gpt2 = tmp_path / "gpt2"
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=100)).save_pretrained(gpt2)
    with pytest.raises(ConfigError, match="GPT2LMHeadModel is not supported.*LlamaForCausalLM") as e:
        export_gguf(gpt2, tmp_path / "x.gguf")
    assert "convert_hf_to_gguf.py" in (e.value.hint or "")

    spm = tmp_path / "spm"
    shutil.copytree(tiny_lm_dir, spm)
    (spm / "tokenizer.json").unlink()
    with pytest.raises(ConfigError, match="no tokenizer.json.*byte-level BPE"):
        export_gguf(spm, tmp_path / "x.gguf")
    small = tmp_path / "small"
    shutil.copytree(tiny_lm_dir, small)
    cfg = json.loads((small / "config.json").read_text())
    (small / "config.json").write_text(json.dumps({**cfg, "vocab_size": 100}))
    with pytest.raises(ConfigError, match="only 100 embeddings"):
        export_gguf(small, tmp_path / "x.gguf")
    with pytest.raises(Exception, match="not a Hugging Face model directory"):
        export_gguf(tmp_path / "nothing", tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_pre_tokenizer_is_the_one_llama_cpp_agrees_with(smol_tokenizer_dir, tiny_smol, tmp_path):
    """Plain ByteLevel -> gpt-2; SmolLM2's original Digits + ByteLevel -> smollm (as in the bundled GGUF).
    Each choice is checked by llama.cpp tokenizing the sample like the HF tokenizer does."""
    from transformers import AutoConfig, AutoTokenizer

    digits = tmp_path / "digits"
    shutil.copytree(tiny_smol, digits)
    tj = json.loads((digits / "tokenizer.json").read_text())
    tj["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, tj["pre_tokenizer"]]}
    (digits / "tokenizer.json").write_text(json.dumps(tj))

    for src, want in ((tiny_smol, "gpt-2"), (digits, "smollm")):
        tok, tj = AutoTokenizer.from_pretrained(src), json.loads((src / "tokenizer.json").read_text())
        assert choose_pre_tokenizer(AutoConfig.from_pretrained(src), src, tok, tj) == want

    # the two really differ, on spaces before digits, so the check text tells them apart
    plain, split = (AutoTokenizer.from_pretrained(d) for d in (tiny_smol, digits))
    assert plain.encode(" 123  4567", add_special_tokens=False) != split.encode(" 123  4567", add_special_tokens=False)
    assert " 123  4567" in CHECK_TEXT


def test_cli_writes_the_file(tiny_lm_dir, tmp_path):
    from typer.testing import CliRunner

    from kefu.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["train", "gguf", str(tiny_lm_dir), str(tmp_path / "t.gguf"), "--dtype", "q8_0"])
    assert r.exit_code == 0, r.output
    assert Path(r.stdout.strip()) == tmp_path / "t.gguf" and gguf_fields(tmp_path / "t.gguf")[0]["general.file_type"] == 7
    r = runner.invoke(app, ["train", "gguf", str(tmp_path), str(tmp_path / "u.gguf")])
    assert r.exit_code == 2 and "not a Hugging Face model directory" in r.output
    assert "kefu train gguf out/sft-merged" in runner.invoke(app, ["train", "gguf", "--help"]).output
