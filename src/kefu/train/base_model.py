"""Turn the bundled SmolLM2-135M-Instruct GGUF into a Hugging Face directory to train on.

transformers dequantises GGUF weights (``from_pretrained(dir, gguf_file=name)``); the result is
float32 (Q4_1 weights dequantised, so it is not the original bf16 checkpoint, but the same
model the llama.cpp backend serves). About 540 MB on disk.

    >>> convert_gguf(bundled_gguf(), "models/smollm2-135m-instruct")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path


def convert_gguf(gguf: str | Path, out_dir: str | Path) -> Path:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    g, out = Path(gguf), Path(out_dir)
    model = AutoModelForCausalLM.from_pretrained(str(g.parent), gguf_file=g.name)
    tok = AutoTokenizer.from_pretrained(str(g.parent), gguf_file=g.name)
    # the weights are already dequantised to float; transformers still marks the model as "gguf
    # quantized" and refuses to save it, so drop that marker
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out
