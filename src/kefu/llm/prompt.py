"""Prompts as data: templates with four parts, few-shot demonstrations, per-language variants.

A :class:`PromptTemplate` holds the classic parts of a prompt — *instruction* (what to do),
*context* (background the model may use), *input data* (this case, under ``input_label``),
*output format* (how to answer) and the *output indicator* (how the answer starts) — plus
optional worked :class:`Example` s. It renders to ``kefu.llm.base.Message`` lists, so the exact
prompt can be logged::

    tpl = PromptTemplate("Answer from the sources.", context_label="Sources", input_label="",
                         output_indicator="", output_format="Cite [n] after each sentence.")
    tpl.render("How long is the warranty?", context="[1] (kettle.md)\\nTwo years.",
               demonstrations=[Example("Can I return it?", "Yes, within 30 days [1].",
                                       context="[1] (returns.md)\\n30 days.")],
               history=[Message("user", "hi"), Message("assistant", "Hello!")])
    # -> system:    "Answer from the sources.\\n\\nSources:\\n[1] (kettle.md)\\nTwo years.\\n\\nCite [n] ..."
    #    user:      "Sources:\\n[1] (returns.md)\\n30 days.\\n\\nCan I return it?"   (the demonstration)
    #    assistant: "Yes, within 30 days [1]."
    #    user: "hi", assistant: "Hello!"                                         (history, unchanged)
    #    user:      "How long is the warranty?"

Demonstrations come first, as earlier user/assistant turns (a demonstration's own context goes
into its user turn, since the system message holds the real one), then the conversation history,
then the input. History fitting (:func:`kefu.llm.chat.fit_history`) therefore drops
demonstrations before history.

:class:`PromptBook` keeps named templates per language and loads them from YAML, validated with
pydantic; a later file overrides an earlier one field by field, so a deployment's file only
names what it changes::

    answer:                 # template name
      en:                   # language (kefu.text.language_of: "zh" | "en")
        output_format: "Cite the source number like [1] after each sentence."
      zh:
        instruction: "只根据编号资料回答。"
        examples:
          - {context: "[1] (退货政策)\\n30天内可退货。", input: "多久内能退货？", output: "30天内可以退货 [1]。"}

Fields: ``instruction`` (required for a new template), ``context``, ``context_label``,
``input_label``, ``output_format``, ``output_indicator``, ``examples`` (a list of ``input``,
``output`` and optional ``context``; it replaces the earlier file's list as a whole).
Limit: text is used literally (no placeholders).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from kefu.errors import ConfigError
from kefu.llm.base import Message


@dataclass(frozen=True)
class Example:
    """A demonstration: an input and the output the model should give (``context``: the
    background this case comes with, e.g. its numbered sources; empty when there is none)."""

    input: str
    output: str
    context: str = ""


@dataclass(frozen=True)
class PromptTemplate:
    """Instruction / Context / Input data / Output format + indicator, rendered to chat messages.

    ``render("text")`` -> ``[system: instruction (+ context) (+ output format)],
    [user: "<input_label>: text\\n<output_indicator>"]`` with demonstrations and history as
    user/assistant turns in between. An empty ``input_label`` sends the input as it is; an empty
    ``output_indicator`` adds nothing after it.
    """

    instruction: str
    context: str = ""
    input_label: str = "Input"
    output_indicator: str = "Output:"
    output_format: str = ""
    context_label: str = "Context"
    examples: tuple[Example, ...] = ()

    def user_turn(self, input_data: str, context: str = "") -> str:
        """One user turn; ``context`` (a demonstration's own) goes above the input."""
        body = f"{self.input_label}: {input_data}" if self.input_label else input_data
        if self.output_indicator:
            body = f"{body}\n{self.output_indicator}"
        body = body.strip()
        return f"{self.context_label}:\n{context.strip()}\n\n{body}" if context.strip() else body

    def system(self, context: str | None = None) -> str:
        """The system message: instruction, then the context under its label, then the output format."""
        ctx = self.context if context is None else context
        parts = [self.instruction.strip()]
        if ctx:
            parts.append(f"{self.context_label}:\n{ctx}")
        if self.output_format.strip():
            parts.append(self.output_format.strip())
        return "\n\n".join(p for p in parts if p)

    def render(self, input_data: str, *, context: str | None = None, demonstrations: Sequence[Example] = (),
               history: Sequence[Message] = ()) -> list[Message]:
        """Messages: system, demonstrations (user/assistant pairs), ``history`` as given, the input.

        ``demonstrations`` are not taken from :attr:`examples` by default: pass
        ``demonstrations=tpl.examples`` to show them (few-shot is the caller's choice).
        """
        messages = [Message("system", self.system(context))]
        for demo in demonstrations:
            messages += [Message("user", self.user_turn(demo.input, demo.context)), Message("assistant", demo.output)]
        messages += list(history)
        messages.append(Message("user", self.user_turn(input_data)))
        return messages


# --- YAML -------------------------------------------------------------------------------------

class _ExampleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: str = Field(min_length=1)
    output: str = Field(min_length=1)
    context: str = ""


class _TemplateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instruction: str = Field(min_length=1)
    context: str = ""
    context_label: str = "Context"
    input_label: str = "Input"
    output_format: str = ""
    output_indicator: str = "Output:"
    examples: list[_ExampleSpec] = Field(default_factory=list)

    def template(self) -> PromptTemplate:
        data = self.model_dump(exclude={"examples"})
        return PromptTemplate(**data, examples=tuple(Example(**e.model_dump()) for e in self.examples))


_FILE = TypeAdapter(dict[str, dict[str, _TemplateSpec]])
_SHAPE = "a mapping {template name: {language: {instruction: ..., ...}}}"


def _read(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read the prompts file {path}: {e.strerror or e}",
                          hint="check dialog.prompts_file in your config") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}", hint="fix the YAML syntax at the position shown") from None
    data = data or {}

    def not_mapping(what: str) -> ConfigError:
        return ConfigError(f"{path}: {what} is not a mapping", hint=f"a prompts file is {_SHAPE}")

    if not isinstance(data, dict):
        raise not_mapping("the top level")
    for name, variants in data.items():
        if not isinstance(variants, dict):
            raise not_mapping(repr(name))
        for lang, spec in variants.items():
            if not isinstance(spec, dict):
                raise not_mapping(f"{name}.{lang}")
    return {str(n): {str(lang): dict(s) for lang, s in v.items()} for n, v in data.items()}


class PromptBook:
    """Named :class:`PromptTemplate` s with per-language variants.

    ``PromptBook.from_yaml(defaults, deployment)`` reads the files in order, later ones
    overriding earlier ones field by field, and validates the result.
    ``book.get("answer", "zh")`` -> the Chinese variant, else the English one, else any.
    """

    def __init__(self, templates: Mapping[str, Mapping[str, PromptTemplate]]) -> None:
        self.templates = {name: dict(variants) for name, variants in templates.items()}

    @classmethod
    def from_yaml(cls, *paths: str | Path) -> PromptBook:
        merged: dict[str, dict[str, dict[str, Any]]] = {}
        specs: dict[str, dict[str, _TemplateSpec]] = {}
        for p in paths:
            for name, variants in _read(Path(p)).items():
                for lang, spec in variants.items():
                    merged.setdefault(name, {}).setdefault(lang, {}).update(spec)
            try:  # after each file, so the error names the file that broke it
                specs = _FILE.validate_python(merged)
            except ValidationError as e:
                problems = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
                raise ConfigError(f"{p}: invalid prompt template ({problems})",
                                  hint="fields: instruction (required), context, context_label, input_label, "
                                       "output_format, output_indicator, examples [{input, output, context}]"
                                  ) from None
        return cls({name: {lang: s.template() for lang, s in variants.items()} for name, variants in specs.items()})

    def get(self, name: str, lang: str) -> PromptTemplate:
        variants = self.templates.get(name)
        if not variants:
            raise ConfigError(f"no prompt template named {name!r}",
                              hint=f"known: {', '.join(sorted(self.templates)) or 'none'}")
        return variants.get(lang) or variants.get("en") or next(iter(variants.values()))


__all__ = ["Example", "PromptBook", "PromptTemplate"]
