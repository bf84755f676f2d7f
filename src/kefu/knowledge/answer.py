"""Grounded answers: retrieve, prompt with numbered sources, stream, map citations — or abstain.

    result = answer("怎么退货？", [], llm, kb)
    for piece in result.stream:          # the LLM's text as it arrives
        print(piece, end="")
    result.citations                     # {1: Hit(...)} for the [n] the answer actually used
    result.prompt                        # the exact messages sent, for logging

Relevance is decided per hit by :func:`kefu.knowledge.retriever.is_relevant` (keyword overlap
with the question *and* a top dense rank); if no hit is relevant, no LLM call is made and the
answer is a fixed abstention in the question's language (``abstained=True``) so the caller can
offer a human. An FAQ match above the threshold is returned directly (``faq=True``). If the
prompt does not fit the model's context, the oldest history turns go first, then the
lowest-ranked sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from kefu.knowledge.kb import KnowledgeBase
from kefu.knowledge.retriever import Hit, is_relevant
from kefu.llm.base import LLM, GenerationRequest, Message, SamplingParams
from kefu.llm.chat import fit_history
from kefu.text import language_of

ABSTAIN = {
    "zh": "抱歉，我在知识库中没有找到这个问题的答案。需要为您转接人工客服吗？",
    "en": "I could not find this in the knowledge base. Would you like me to connect you with a human agent?",
}
SYSTEM = {
    "zh": "你是客服助手。只根据下面编号的资料回答问题，并在用到的句子后标注来源编号，如 [1]。"
          "如果资料中没有答案，就说不知道，不要编造。",
    "en": "You are a customer service assistant. Answer only from the numbered sources below and cite the "
          "source number after each sentence that uses it, like [1]. If the sources do not contain the answer, "
          "say you don't know; do not make anything up.",
}
_CITE = re.compile(r"\[(\d{1,2})\]")


def language(text: str) -> str:
    """"zh" or "en" (kefu.text.language_of, English when there are no letters)."""
    return language_of(text, "en")


@dataclass
class Answer:
    question: str
    sources: list[Hit]
    prompt: list[Message] = field(default_factory=list)
    abstained: bool = False
    faq: bool = False
    text: str = ""
    _stream: Iterator[str] | None = None

    @property
    def stream(self) -> Iterator[str]:
        """Text pieces; once exhausted, :attr:`text` holds the full answer."""
        if self._stream is None:
            yield self.text
            return
        parts: list[str] = []
        for piece in self._stream:
            parts.append(piece)
            yield piece
        self.text = "".join(parts)
        self._stream = None

    def result(self) -> str:
        """Consume the stream (if not done) and return the full text."""
        for _ in self.stream:
            pass
        return self.text

    @property
    def citations(self) -> dict[int, Hit]:
        """The [n] markers in the answer that point at a source, mapped to that source
        (consumes the stream first if it has not been read)."""
        self.result()
        return {n: self.sources[n - 1] for n in sorted({int(m) for m in _CITE.findall(self.text)})
                if 1 <= n <= len(self.sources)}


def build_prompt(question: str, history: Sequence[Message], sources: Sequence[Hit], lang: str,
                 persona: str | None = None) -> list[Message]:
    blocks = [f"[{i}] ({h.citation})\n{h.text}" for i, h in enumerate(sources, 1)]
    head = "资料" if lang == "zh" else "Sources"
    opening = f"{persona.strip()} " if persona else ""
    system = f"{opening}{SYSTEM[lang]}\n\n{head}:\n\n" + "\n\n".join(blocks)
    return [Message("system", system), *history, Message("user", question)]


def answer(question: str, history: Sequence[Message], llm: LLM, kb: KnowledgeBase, *, k: int | None = None,
           params: SamplingParams | None = None, persona: str | None = None) -> Answer:
    """Answer ``question`` from ``kb`` (see the module docstring)."""
    lang = language(question)
    qvec = kb.embedder.embed_queries([question])[0]
    faq = kb.faq_match(question, qvec)
    if faq is not None:
        return Answer(question, [faq], faq=True, text=faq.text)
    s = kb.settings
    hits = kb.search_with_vector(question, qvec, k)
    relevant = [h for h in hits if is_relevant(h, min_overlap=s.min_overlap, max_dense_rank=s.relevant_dense_rank)]
    if not relevant:
        return Answer(question, [], abstained=True, text=ABSTAIN[lang])
    params = params or SamplingParams(max_tokens=256, temperature=0.2)
    budget = llm.context_length - params.max_tokens
    # sources first, history second: drop the weakest sources only if even no history won't fit
    while len(relevant) > 1 and llm.prompt_tokens(build_prompt(question, [], relevant, lang, persona)) > budget:
        relevant = relevant[:-1]
    prompt = fit_history(llm, build_prompt(question, history, relevant, lang, persona), params.max_tokens).messages
    req = GenerationRequest(messages=prompt, params=params)
    pieces = (c.text for c in llm.stream(req) if c.text)
    return Answer(question, relevant, prompt=prompt, _stream=pieces)
