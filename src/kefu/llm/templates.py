"""Chat messages -> prompt text.

Models that carry a chat template (the Jinja template in ``tokenizer_config.json`` or the
GGUF's ``tokenizer.chat_template``) are rendered with it, the same way transformers does:
a sandboxed Jinja environment with ``trim_blocks``/``lstrip_blocks``, ``raise_exception``
and ``tojson``. Models without one (base models, most continued-pre-training outputs) get
the documented **fallback format**, a plain continuation the model can complete::

    System: You are a helpful assistant.

    User: Hi
    Assistant: Hello! How can I help?
    User: Where is my order?
    Assistant:

with ``"\\nUser:"`` as a stop sequence so the model does not write the customer's next turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kefu.errors import InvalidRequestError
from kefu.llm.base import Message

FALLBACK_STOP: tuple[str, ...] = ("\nUser:",)
_FALLBACK_NAMES = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def render_fallback(messages: Sequence[Message]) -> str:
    """The plain "User:/Assistant:" format (see the module docstring)."""
    parts: list[str] = []
    for m in messages:
        sep = "\n\n" if m.role == "system" else "\n"
        parts.append(f"{_FALLBACK_NAMES[m.role]}: {m.content.strip()}{sep}")
    return "".join(parts) + "Assistant:"


def _raise(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


@lru_cache(maxsize=16)
def _compile(template: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = lambda x, indent=None, **_: __import__("json").dumps(
        x, ensure_ascii=False, indent=indent)
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)


def render_template(template: str, messages: Sequence[Message], *, bos_token: str = "",
                    eos_token: str = "", add_generation_prompt: bool = True, **extra: Any) -> str:
    """Render ``messages`` with a model's own Jinja chat template.

    A template that rejects the conversation (e.g. "roles must alternate") raises
    :class:`InvalidRequestError` with the template's own message.
    """
    try:
        return _compile(template).render(
            messages=[m.to_dict() for m in messages], bos_token=bos_token, eos_token=eos_token,
            add_generation_prompt=add_generation_prompt, **extra,
        )
    except jinja2.exceptions.TemplateError as e:
        raise InvalidRequestError(f"the model's chat template rejected these messages: {e}",
                                  param="messages") from e


def render_chat(template: str | None, messages: Sequence[Message], *, bos_token: str = "",
                eos_token: str = "") -> tuple[str, tuple[str, ...]]:
    """Prompt text and the extra stop sequences it needs (only the fallback needs any)."""
    if template:
        return render_template(template, messages, bos_token=bos_token, eos_token=eos_token), ()
    return render_fallback(messages), FALLBACK_STOP
