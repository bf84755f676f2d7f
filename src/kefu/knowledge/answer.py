"""Grounded answers: retrieve, prompt with numbered sources, stream, map citations — or abstain.

    result = answer("怎么退货？", [], llm, kb)
    for piece in result.stream:          # the LLM's text as it arrives
        print(piece, end="")
    result.citations                     # {1: Hit(...)} for the [n] the answer actually used
    result.prompt                        # the exact messages sent, for logging

Relevance is decided per hit by :func:`kefu.knowledge.retriever.is_relevant` (keyword overlap
with the question *and* a top dense rank); if no hit is relevant, no LLM call is made and the
answer is a fixed abstention in the question's language (``abstained=True``) so the caller can
offer a human. An FAQ match above the threshold is returned directly (``faq=True``).

The prompt is data: the ``answer`` template of ``prompts.yaml`` next to this module (a
deployment overrides it with its own file, :func:`load_prompts`), per language —
system = persona + instruction, the numbered sources (context), the output format
(cite ``[n]``; say you don't know); then the history as chat turns; then the question as the
last user turn. With ``examples=True`` the template's worked examples (a cited answer and an
abstention) go before the history as earlier user/assistant turns; they are off by default to
keep the prompt short for the bundled 135M model (docs/knowledge.md, "Prompts"). If the prompt
does not fit the model's context, the examples go first, then the oldest history turns, then the
lowest-ranked sources.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from kefu.knowledge.kb import KnowledgeBase
from kefu.knowledge.retriever import Hit, is_relevant
from kefu.llm.base import LLM, GenerationRequest, Message, SamplingParams
from kefu.llm.chat import fit_history
from kefu.llm.prompt import PromptBook, PromptTemplate
from kefu.text import language_of

ABSTAIN = {
    "zh": "抱歉，我在知识库中没有找到这个问题的答案。需要为您转接人工客服吗？",
    "en": "I could not find this in the knowledge base. Would you like me to connect you with a human agent?",
}
# the role line used when no persona is given (the dialogue passes dialog.persona_en / persona_zh)
DEFAULT_PERSONA = {"zh": "你是客服助手。", "en": "You are a customer service assistant."}
PROMPTS_FILE = Path(__file__).with_name("prompts.yaml")
_CITE = re.compile(r"\[(\d{1,2})\]")


@functools.cache
def default_prompts() -> PromptBook:
    """The built-in prompts (``prompts.yaml`` next to this module), read once."""
    return PromptBook.from_yaml(PROMPTS_FILE)


def load_prompts(path: str | Path | None = None) -> PromptBook:
    """The built-in prompts with ``path``'s fields over them (a :class:`kefu.errors.ConfigError`
    naming the file and the field if it is not a valid prompts file); ``None``: the built-ins."""
    return PromptBook.from_yaml(PROMPTS_FILE, Path(path).expanduser()) if path else default_prompts()


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
                 persona: str | None = None, *, template: PromptTemplate | None = None,
                 examples: bool = False) -> list[Message]:
    """The messages for one grounded answer (``template``: default the built-in ``answer`` one).

    ``build_prompt("Return window?", [], hits, "en", "You are Lumo Home's assistant.")`` ->
    ``[system: "You are Lumo Home's assistant. Answer ... only from the numbered sources.\\n\\n"
    "Sources:\\n[1] (returns.md > Returns)\\n...\\n\\nCite the source number ...", user: "Return window?"]``
    """
    tpl = template or default_prompts().get("answer", lang)
    opening = (persona or DEFAULT_PERSONA.get(lang, DEFAULT_PERSONA["en"])).strip()
    sep = "" if opening.endswith(("。", "！", "？")) else " "  # no space between Chinese sentences
    tpl = replace(tpl, instruction=f"{opening}{sep}{tpl.instruction}".strip())
    blocks = "\n\n".join(f"[{i}] ({h.citation})\n{h.text}" for i, h in enumerate(sources, 1))
    return tpl.render(question, context=blocks, demonstrations=tpl.examples if examples else (), history=history)


def answer(question: str, history: Sequence[Message], llm: LLM, kb: KnowledgeBase, *, k: int | None = None,
           params: SamplingParams | None = None, persona: str | None = None, prompts: PromptBook | None = None,
           examples: bool = False) -> Answer:
    """Answer ``question`` from ``kb`` (see the module docstring). ``prompts``: default the
    built-in ones (:func:`load_prompts`); ``examples``: show the template's worked examples."""
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
    tpl = (prompts or default_prompts()).get("answer", lang)

    def build(hist: Sequence[Message], with_examples: bool) -> list[Message]:
        return build_prompt(question, hist, relevant, lang, persona, template=tpl, examples=with_examples)

    # sources first, examples and history second: drop the weakest sources only if even the bare
    # prompt won't fit; fit_history then drops the oldest turns: the examples, then old history
    while len(relevant) > 1 and llm.prompt_tokens(build([], False)) > budget:
        relevant = relevant[:-1]
    prompt = fit_history(llm, build(history, examples), params.max_tokens).messages
    req = GenerationRequest(messages=prompt, params=params)
    pieces = (c.text for c in llm.stream(req) if c.text)
    return Answer(question, relevant, prompt=prompt, _stream=pieces)
