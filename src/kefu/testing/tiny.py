"""Tiny Hugging Face models built in-process (seconds, no network).

``build_tiny_causal_lm(dir)`` writes a 2-layer Llama with hidden size 32 and a byte-level
BPE tokenizer trained on a few sentences, plus a ChatML chat template, so every code path
that loads "a real HF model directory" can be tested without a hub. ``build_tiny_encoder``
does the same for a BERT-style encoder (task heads: classifier, NER).
"""

from __future__ import annotations

from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_CORPUS = [
    "Hello, how can I help you today?",
    "Where is my order? Your order 12345 has shipped.",
    "You can return any item within 30 days for a full refund.",
    "The blue kettle costs 39 dollars and has a two year warranty.",
    "你好，请问有什么可以帮您？您的订单已经发货。退货请在三十天内申请。",
    "Thank you for contacting customer service. Goodbye!",
]
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]


def _tokenizer(vocab_size: int = 400):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|im_end|>",
                                   pad_token="<pad>", unk_token="<|endoftext|>")


def build_tiny_causal_lm(out_dir: str | Path, *, seed: int = 0, chat_template: bool = True) -> Path:
    """A random 2-layer Llama (hidden 32) with tokenizer; returns ``out_dir``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer()
    if chat_template:
        tok.chat_template = CHATML_TEMPLATE
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=True)
    model = LlamaForCausalLM(cfg)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def build_tiny_encoder(out_dir: str | Path, *, seed: int = 0) -> Path:
    """A random 2-layer BERT (hidden 32) with a WordPiece-free byte-level tokenizer."""
    import torch
    from transformers import BertConfig, BertModel

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer()
    tok.add_special_tokens({"cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"})
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, max_position_embeddings=256, pad_token_id=tok.pad_token_id)
    BertModel(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return out
