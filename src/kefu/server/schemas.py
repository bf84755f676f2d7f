"""Request and response bodies of the OpenAI-compatible routes (pydantic)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kefu.llm.base import Message, SamplingParams


class _Req(BaseModel):
    # OpenAI clients send fields kefu has no use for (user, logprobs=false, ...): ignore them,
    # but validate the type and range of every field kefu does use.
    model_config = ConfigDict(extra="ignore")


class TextPart(_Req):
    type: Literal["text"]
    text: str


class ChatMessageIn(_Req):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def to_message(self) -> Message:
        if isinstance(self.content, list):
            text = "".join(p.text for p in self.content)
        else:
            text = self.content or ""
        return Message("system" if self.role == "developer" else self.role, text)


class StreamOptions(_Req):
    include_usage: bool = False


class _Sampling(_Req):
    model: str = Field(min_length=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    top_k: int | None = Field(None, ge=0, description="kefu/vLLM extension")
    repetition_penalty: float | None = Field(None, gt=0.0, le=10.0, description="kefu/vLLM extension")
    # accepted for compatibility with OpenAI clients; kefu's samplers use repetition_penalty instead
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int = Field(1, ge=1, le=1, description="only n=1 is supported")
    stream: bool = False
    stream_options: StreamOptions | None = None

    @field_validator("stop")
    @classmethod
    def _stop(cls, v: str | list[str] | None) -> str | list[str] | None:
        items = [v] if isinstance(v, str) else (v or [])
        if len(items) > 4:
            raise ValueError("at most 4 stop sequences")
        if any(not s for s in items):
            raise ValueError("stop sequences must be non-empty")
        return v

    def sampling(self, defaults: SamplingParams, max_tokens: int | None) -> SamplingParams:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return SamplingParams(
            max_tokens=max_tokens or defaults.max_tokens,
            temperature=defaults.temperature if self.temperature is None else self.temperature,
            top_p=self.top_p or defaults.top_p,
            top_k=defaults.top_k if self.top_k is None else self.top_k,
            repetition_penalty=self.repetition_penalty or defaults.repetition_penalty,
            stop=stop, seed=self.seed,
        )


class ChatCompletionRequest(_Sampling):
    messages: list[ChatMessageIn] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)

    @field_validator("messages")
    @classmethod
    def _last_not_empty(cls, v: list[ChatMessageIn]) -> list[ChatMessageIn]:
        if all(m.to_message().content.strip() == "" for m in v):
            raise ValueError("all messages are empty")
        return v


class CompletionRequest(_Sampling):
    prompt: str | list[str]
    max_tokens: int | None = Field(16, ge=1)  # OpenAI's default for /v1/completions
    echo: bool = False

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list) and len(v) != 1:
            raise ValueError("exactly one prompt is supported per request")
        return v

    @property
    def text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]


class HistoryRequest(_Req):
    """The ChatGLM-style API: ``input_text`` + ``history`` ([[user, assistant], ...])."""

    input_text: str = Field(min_length=1)
    history: list[tuple[str, str]] = Field(default_factory=list)
    system: str | None = None
    max_length: int | None = Field(None, ge=1, description="max new tokens")
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = None


def usage_dict(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
