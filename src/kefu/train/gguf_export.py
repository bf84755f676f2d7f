"""Write a LLaMA-family Hugging Face model directory as a GGUF file for the llama.cpp backend.

llama.cpp's own converter (``convert_hf_to_gguf.py``) is not on PyPI: only its writer library,
``gguf``, is. So kefu writes the one family it trains itself (LLaMA: SmolLM/SmolLM2, Llama 3,
Mistral-style dense models) with that library, and refuses everything else with a pointer to the
converter in a llama.cpp checkout.

    >>> export_gguf("out/sft-merged", "out/sft.gguf", dtype="q8_0")   # doctest: +SKIP
    PosixPath('out/sft.gguf')

then ``kefu serve --model out/sft.gguf``. A LoRA adapter directory is merged into its base first.

What is written, per piece:

- hyper-parameters under ``llama.*`` (context/embedding/feed-forward length, block count, head
  counts, key/value length, rope base/dimensions and linear or ``llama3`` scaling, RMS epsilon,
  vocab size) and ``general.file_type``;
- tensors renamed by gguf's ``TensorNameMap`` (``model.layers.0.self_attn.q_proj.weight`` ->
  ``blk.0.attn_q.weight``); Q and K rows permuted from HF's rotate-half RoPE layout to llama.cpp's
  interleaved one; no ``output.weight`` when the LM head is tied to the embeddings (llama.cpp
  reuses ``token_embd``); 1-D tensors (norms, biases) stay float32, matrices are written in
  ``dtype``: ``f32``, ``f16`` or ``q8_0`` (a matrix whose rows are not a multiple of 32 falls back
  to f16 under q8_0);
- the tokenizer as ``tokenizer.ggml.model = gpt2``: tokens and their types (normal / control /
  user-defined / unused padding), merges, special token ids, whether BOS/EOS are added, and the
  chat template (``gguf.SpecialVocab``). llama.cpp also needs the name of a pre-tokenizer it
  implements (``tokenizer.ggml.pre``): kefu guesses it from ``tokenizer.json``'s pre-tokenizer and
  *checks* the guess: it writes a vocab-only GGUF, loads it with llama.cpp and compares its
  tokenization of a mixed sample (digits, whitespace runs, Chinese, emoji, contractions) with the
  HF tokenizer's, trying the other known names if it differs. The name that agrees is written;
  if none does, the guess is kept and a warning logged.

Limits: byte-level BPE tokenizers only (not SentencePiece ones such as Llama 2's or Mistral
7B v0.1's); dense models only (no Mixtral experts); rope scaling none, linear or llama3;
safetensors weights.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from kefu.errors import ConfigError, ModelNotFoundError

log = logging.getLogger("kefu.train")

Dtype = Literal["f32", "f16", "q8_0"]
SUPPORTED_ARCHITECTURES = ("LlamaForCausalLM", "MistralForCausalLM")
CONVERTER_HINT = ("for other models use convert_hf_to_gguf.py from a llama.cpp checkout "
                  "(github.com/ggml-org/llama.cpp), or serve the directory itself with the transformers backend")
# pre-tokenizer names llama.cpp implements for byte-level BPE, tried in this order after the guess
KNOWN_PRE = ("gpt-2", "smollm", "llama-bpe", "qwen2", "default")
# kefu's own sample for the pre-tokenizer check: what tends to split differently between them
CHECK_TEXT = ("Hello world! I'm kefu; we'LL ship order #12345 (3 items, $39.99) on 2024-05-06.\n\n"
              "  Two  spaces,\ttabs\t\tand\n\n\nnewlines   \n 123  4567\n\n 89 x1y22\n"
              "你好，请问有什么可以帮您？订单号 987654321 已发货。 😀🚀 ✅ ------======= 3.14 33333 "
              "'''\"\"\"...!!! ?? don't You'RE ok\n")


def export_gguf(model_dir: str | Path, out_path: str | Path, *, dtype: Dtype = "f16",
                base: str | Path | None = None, name: str | None = None) -> Path:
    """Write ``model_dir`` (an HF LLaMA-family directory, or a LoRA adapter on one) to ``out_path``.

    ``base`` overrides an adapter's base model; ``name`` sets ``general.name`` (default: the
    directory name). Returns ``out_path``.
    """
    import gguf

    src, out = Path(model_dir), Path(out_path)
    if dtype not in ("f32", "f16", "q8_0"):
        raise ConfigError(f"unknown GGUF dtype {dtype!r}", hint="use f32, f16 or q8_0")
    if (src / "adapter_config.json").is_file():
        with tempfile.TemporaryDirectory(prefix="kefu-gguf-merge-") as tmp:
            from kefu.train.merge import merge_lora

            try:
                merged = merge_lora(src, Path(tmp) / "merged", base)
            except ImportError as e:
                raise ConfigError(f"{src} is a LoRA adapter and merging it needs peft",
                                  hint="pip install 'kefu[train]', or merge first: kefu train merge DIR -o MERGED") from e
            return export_gguf(merged, out, dtype=dtype, name=name or src.name)

    cfg = _config(src)
    tok, tok_json = _tokenizer(src)
    _check_vocab_fits(src, cfg, tok)
    ftype = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
             "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[dtype]
    pre = choose_pre_tokenizer(cfg, src, tok, tok_json)

    out.parent.mkdir(parents=True, exist_ok=True)
    # tensors are spooled to a temporary file as they are converted, so memory stays ~one tensor
    w = _writer(out, cfg, src, tok, tok_json, pre, ftype, name or src.name, use_temp_file=True)
    for tname, array, qtype in _tensors(src, cfg, dtype):
        w.add_tensor(tname, array, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return out


# ---------------------------------------------------------------- config


def _config(src: Path) -> Any:
    """The model's config (via transformers, which normalises rope settings), after checking it is
    a LLaMA-family causal LM kefu can write."""
    from transformers import AutoConfig

    if not (src / "config.json").is_file():
        raise ModelNotFoundError(f"{src} is not a Hugging Face model directory (no config.json)",
                                 hint="give a kefu train output, a merged model, or `kefu train base-model` output")
    raw = json.loads((src / "config.json").read_text())
    archs = raw.get("architectures") or [raw.get("model_type", "?")]
    if not set(archs) & set(SUPPORTED_ARCHITECTURES):
        raise ConfigError(f"cannot write {src} as GGUF: architecture {', '.join(archs)} is not supported; "
                          f"kefu's GGUF export handles {' and '.join(SUPPORTED_ARCHITECTURES)} only",
                          hint=CONVERTER_HINT)
    if raw.get("num_local_experts"):
        raise ConfigError(f"{src} is a mixture-of-experts model; kefu's GGUF export writes dense models only",
                          hint=CONVERTER_HINT)
    return AutoConfig.from_pretrained(str(src))


def _rope(cfg: Any) -> dict[str, Any]:
    params = dict(getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {})
    params.setdefault("rope_theta", getattr(cfg, "rope_theta", 10000.0))
    kind = params.get("rope_type") or params.get("type") or "default"
    if kind not in ("default", "linear", "llama3"):
        raise ConfigError(f"rope scaling {kind!r} is not supported by kefu's GGUF export (none, linear, llama3)",
                          hint=CONVERTER_HINT)
    return {**params, "rope_type": kind}


def _head_dim(cfg: Any) -> int:
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


def _rope_freq_factors(cfg: Any) -> Any:
    """llama3 rope as llama.cpp's ``rope_freqs`` tensor: per-frequency divisors of the unscaled
    frequencies (transformers computes the scaled ones)."""
    import torch
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    dim, theta = _head_dim(cfg), _rope(cfg)["rope_theta"]
    plain = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](cfg, "cpu")
    return (plain / scaled.float()).numpy()


# ---------------------------------------------------------------- tokenizer


def _tokenizer(src: Path) -> tuple[Any, dict[str, Any]]:
    from transformers import AutoTokenizer

    path = src / "tokenizer.json"
    if not path.is_file():
        raise ConfigError(f"{src} has no tokenizer.json; kefu's GGUF export writes byte-level BPE tokenizers only "
                          "(SentencePiece tokenizer.model files are not supported)", hint=CONVERTER_HINT)
    tj = json.loads(path.read_text(encoding="utf-8"))
    model_type = (tj.get("model") or {}).get("type")
    if model_type != "BPE" or "ByteLevel" not in json.dumps([tj.get("pre_tokenizer"), tj.get("decoder")]):
        raise ConfigError(f"{src}'s tokenizer is {model_type or 'unknown'} without byte-level pre-tokenization; "
                          "kefu's GGUF export writes byte-level BPE (GPT-2 style) tokenizers only",
                          hint=CONVERTER_HINT)
    tok = AutoTokenizer.from_pretrained(str(src))
    return tok, tj


def _check_vocab_fits(src: Path, cfg: Any, tok: Any) -> None:
    top = max(tok.get_vocab().values())
    if top >= cfg.vocab_size:
        raise ConfigError(f"{src}: the tokenizer has token id {top} but the model only {cfg.vocab_size} embeddings",
                          hint="resize the embeddings (model.resize_token_embeddings(len(tokenizer))) and save again")


def guess_pre_tokenizer(tokenizer_json: dict[str, Any]) -> str | None:
    """llama.cpp's name for a tokenizer.json pre-tokenizer, from its structure (None if unknown).

    ``ByteLevel`` alone -> ``gpt-2``; ``Digits(individual) + ByteLevel`` -> ``smollm``;
    ``Split(Llama 3 regex) + ByteLevel(no regex)`` -> ``llama-bpe``.
    """
    pre = tokenizer_json.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    kinds = [s.get("type") for s in steps]
    if kinds == ["ByteLevel"] and steps[0].get("use_regex", True):
        return "gpt-2"
    if kinds == ["Digits", "ByteLevel"] and steps[0].get("individual_digits") and steps[1].get("use_regex", True):
        return "smollm"
    if kinds == ["Split", "ByteLevel"] and not steps[1].get("use_regex", True):
        regex = (steps[0].get("pattern") or {}).get("Regex", "")
        if r"\p{N}{1,3}" in regex and r"[^\r\n\p{L}\p{N}]?\p{L}+" in regex:
            return "llama-bpe"
    return None


def choose_pre_tokenizer(cfg: Any, src: Path, tok: Any, tok_json: dict[str, Any]) -> str:
    """The ``tokenizer.ggml.pre`` under which llama.cpp tokenizes :data:`CHECK_TEXT` like ``tok``:
    the structural guess first, then the other known names (each tried on a vocab-only GGUF)."""
    import gguf

    guess = guess_pre_tokenizer(tok_json)
    try:
        import llama_cpp  # noqa: F401
    except ImportError:  # pragma: no cover - a core dependency; only a broken install lacks it
        log.warning("GGUF export: llama-cpp-python is missing, so pre-tokenizer %r is not checked", guess or "default")
        return guess or "default"
    want = tok.encode(CHECK_TEXT, add_special_tokens=False)
    with tempfile.TemporaryDirectory(prefix="kefu-gguf-vocab-") as tmp:
        for i, pre in enumerate(dict.fromkeys([guess, *KNOWN_PRE] if guess else KNOWN_PRE)):
            path = Path(tmp) / f"vocab-{i}.gguf"
            w = _writer(path, cfg, src, tok, tok_json, pre, gguf.LlamaFileType.ALL_F32, src.name)
            w.write_header_to_file()
            w.write_kv_data_to_file()
            w.close()
            got = llama_cpp_tokenize(path, CHECK_TEXT)
            if got == want:
                if pre != guess:
                    log.info("GGUF export: pre-tokenizer %r (not the guess %r) matches the HF tokenizer", pre, guess)
                return pre
    log.warning("GGUF export: no llama.cpp pre-tokenizer reproduces %s's tokenizer on the check text; writing %r. "
                "llama.cpp may split some text (digits, spaces, CJK) differently than training did.",
                src, guess or "default")
    return guess or "default"


def llama_cpp_tokenize(gguf_path: str | Path, text: str) -> list[int]:
    """Token ids llama.cpp gives ``text`` with the vocabulary of ``gguf_path`` (no BOS, no specials)."""
    from llama_cpp import Llama

    from kefu.llm.llamacpp import _quiet_stderr

    with _quiet_stderr():
        llm = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    try:
        return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    finally:
        llm.close()


def _vocab(w: Any, cfg: Any, src: Path, tok: Any, tok_json: dict[str, Any], pre: str) -> None:
    import gguf

    vocab_size = cfg.vocab_size
    by_id = {i: t for t, i in tok.get_vocab().items()}
    added = tok.added_tokens_decoder  # id -> AddedToken
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in by_id:  # the embedding matrix is padded past the tokenizer
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif i in added:
            tokens.append(added[i].content)
            types.append(gguf.TokenType.CONTROL if added[i].special else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.NORMAL)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    steps = (tok_json.get("pre_tokenizer") or {}).get("pretokenizers") or [tok_json.get("pre_tokenizer") or {}]
    w.add_add_space_prefix(any(s.get("add_prefix_space") for s in steps if s.get("type") == "ByteLevel"))

    special = gguf.SpecialVocab(src, load_merges=True, n_vocab=vocab_size)
    # what the HF tokenizer really adds around plain text (its post-processor), not a guess
    ids = tok.encode("a", add_special_tokens=True)
    special.add_special_token["bos"] = bool(ids) and tok.bos_token_id is not None and ids[0] == tok.bos_token_id
    special.add_special_token["eos"] = bool(ids) and tok.eos_token_id is not None and ids[-1] == tok.eos_token_id
    if special.chat_template is None and getattr(tok, "chat_template", None):
        special.chat_template = tok.chat_template
    special.add_to_gguf(w, quiet=True)


# ---------------------------------------------------------------- writer and tensors


def _writer(path: Path, cfg: Any, src: Path, tok: Any, tok_json: dict[str, Any], pre: str, ftype: int,
            name: str, use_temp_file: bool = False) -> Any:
    """A GGUFWriter for ``path`` with every key-value set (hyper-parameters and tokenizer), no tensors."""
    import gguf

    rope = _rope(cfg)
    w = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA], use_temp_file=use_temp_file)
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads)
    w.add_key_length(_head_dim(cfg))
    w.add_value_length(_head_dim(cfg))
    w.add_rope_freq_base(float(rope["rope_theta"]))
    w.add_rope_dimension_count(_head_dim(cfg))
    if rope["rope_type"] == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(float(rope["factor"]))
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_vocab_size(cfg.vocab_size)
    w.add_file_type(ftype)
    if ftype == gguf.LlamaFileType.MOSTLY_Q8_0:
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    _vocab(w, cfg, src, tok, tok_json, pre)
    return w


def permute_qk(weight: Any, n_head: int) -> Any:
    """HF's rotate-half RoPE layout -> llama.cpp's interleaved pairs, per head.

    HF rotates dimension ``j`` with ``j + head_dim/2``; llama.cpp with ``j + 1``. Rows of q_proj
    (``n_head`` = attention heads) and k_proj (``n_head`` = KV heads) are reordered so that
    ``(first half, second half)`` of each head become adjacent pairs: (out, in) -> (out, in).
    """
    return (weight.reshape(n_head, 2, weight.shape[0] // n_head // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def _hf_tensors(src: Path) -> Iterator[tuple[str, Any]]:
    from safetensors import safe_open

    files = sorted(src.glob("*.safetensors"))
    if not files:
        raise ModelNotFoundError(f"no *.safetensors weights in {src}",
                                 hint="re-save the model with save_pretrained(safe_serialization=True)")
    for f in files:
        with safe_open(str(f), framework="pt") as st:
            for key in st.keys():
                yield key, st.get_tensor(key)


def _tensors(src: Path, cfg: Any, dtype: Dtype) -> Iterator[tuple[str, Any, Any]]:
    """(gguf name, numpy array, raw ggml type or None) for every tensor llama.cpp needs."""
    import gguf
    import numpy as np

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, cfg.num_hidden_layers)
    n_head = cfg.num_attention_heads
    n_kv = getattr(cfg, "num_key_value_heads", None) or n_head
    tied = bool(getattr(cfg, "tie_word_embeddings", False))
    seen = set()
    for key, t in _hf_tensors(src):
        if key.endswith("rotary_emb.inv_freq") or (tied and key == "lm_head.weight"):
            continue  # recomputed by llama.cpp / tied head: llama.cpp reuses token_embd
        new = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ConfigError(f"{src}: tensor {key!r} has no GGUF name for the llama architecture",
                              hint=CONVERTER_HINT)
        t = t.float()
        if key.endswith(("q_proj.weight", "q_proj.bias")):
            t = permute_qk(t, n_head)
        elif key.endswith(("k_proj.weight", "k_proj.bias")):
            t = permute_qk(t, n_kv)
        seen.add(new)
        yield new, *_encode(t.numpy(), dtype, np)
    if not tied and "output.weight" not in seen:
        raise ConfigError(f"{src}: tie_word_embeddings is false but there is no lm_head.weight",
                          hint="check that the directory holds a complete causal LM")
    if _rope(cfg)["rope_type"] == "llama3":
        yield gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", _rope_freq_factors(cfg), None


def _encode(a: Any, dtype: Dtype, np: Any) -> tuple[Any, Any]:
    import gguf

    if a.ndim <= 1 or dtype == "f32":
        return a.astype(np.float32), None
    if dtype == "q8_0" and a.shape[-1] % gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0][0] == 0:
        return gguf.quants.quantize(a, gguf.GGMLQuantizationType.Q8_0), gguf.GGMLQuantizationType.Q8_0
    return a.astype(np.float16), None
