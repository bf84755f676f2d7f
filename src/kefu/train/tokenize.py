"""Tokenise a conversation for SFT with labels on the assistant's tokens only.

Why by hand: TRL's ``assistant_only_loss`` needs a chat template with ``{% generation %}``
markers, which most shipped templates (SmolLM2's, Qwen's, ChatML) lack. Instead the template
is rendered for growing prefixes of the conversation; each assistant turn's text after the
generation prompt (its content and the end-of-turn token) is labelled, everything else
(system, user, the ``<|im_start|>assistant\\n`` header) gets -100. Example with ChatML::

    <|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n  Hello!<|im_end|>\\n
    ------------------ -100 ------------------------------  ---- labelled ----

Limit: the template must be prefix-stable (rendering the first n turns is a prefix of rendering
n+1); templates that rewrite earlier turns (e.g. strip reasoning) raise a clear error.
"""

from __future__ import annotations

from typing import Any

from kefu.errors import DataError

IGNORE = -100

# For base models without a chat template: ChatML whose end-of-turn is the tokenizer's EOS,
# so that the model learns to stop.
FALLBACK_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + eos_token + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def ensure_chat_template(tokenizer: Any) -> Any:
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_TEMPLATE
    return tokenizer


def _render(tokenizer: Any, messages: list[dict[str, str]], gen: bool) -> str:
    if not messages:
        return ""
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen))


def sft_features(tokenizer: Any, messages: list[dict[str, str]], max_length: int | None = None) -> dict[str, list[int]]:
    """``{"input_ids", "labels"}`` for one conversation; labels are -100 except on assistant turns."""
    ids: list[int] = []
    labels: list[int] = []
    done = ""
    for i, m in enumerate(messages):
        full = _render(tokenizer, messages[: i + 1], False)
        if m["role"] == "assistant":
            head = _render(tokenizer, messages[:i], True)
            if not head.startswith(done) or not full.startswith(head):
                raise DataError("the chat template is not prefix-stable, so assistant tokens cannot be located",
                                hint="use a template that renders turns independently (ChatML, Llama 3, Qwen)")
            masked, learned = head[len(done):], full[len(head):]
        else:
            if not full.startswith(done):
                raise DataError("the chat template is not prefix-stable, so assistant tokens cannot be located")
            masked, learned = full[len(done):], ""
        for text, learn in ((masked, False), (learned, True)):
            if text:
                t = tokenizer(text, add_special_tokens=False)["input_ids"]
                ids += t
                labels += t if learn else [IGNORE] * len(t)
        done = full
    if max_length:
        ids, labels = ids[:max_length], labels[:max_length]
    return {"input_ids": ids, "labels": labels}


def sft_dataset(tokenizer: Any, conversations: list[list[dict[str, str]]], max_length: int) -> Any:
    """A ``datasets.Dataset`` of pre-tokenised examples; those left without a labelled token
    after truncation are dropped (they would teach nothing)."""
    from datasets import Dataset

    rows = [sft_features(tokenizer, c, max_length) for c in conversations]
    rows = [r for r in rows if any(x != IGNORE for x in r["labels"])]
    if not rows:
        raise DataError(f"no example keeps an assistant token within max_length={max_length}",
                        hint="raise data.max_length or shorten the prompts")
    return Dataset.from_list(rows)
