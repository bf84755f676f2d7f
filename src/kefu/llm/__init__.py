"""Generation backends behind one interface (:class:`LLM`), chat templates, history fitting."""

from kefu.llm.base import (
    LLM,
    CancelToken,
    Chunk,
    GenerationRequest,
    Message,
    SamplingParams,
    Usage,
    collect,
)
from kefu.llm.chat import ChatReply, Conversation, Fitted, chat, fit_history
from kefu.llm.factory import load_llm

__all__ = [
    "LLM", "CancelToken", "ChatReply", "Chunk", "Conversation", "Fitted", "GenerationRequest", "Message",
    "SamplingParams", "Usage", "chat", "collect", "fit_history", "load_llm",
]
