"""Prompting toolkit: templates, retrieved few-shot demonstrations, chain of thought, verbalisers.

Prompts are data here: a :class:`PromptTemplate` (defined in :mod:`kefu.llm.prompt`, re-exported
here) has the classic parts — *instruction* (what to do), *context* (background the model may
use), *input data* (this case), *output format* and the *output indicator* (how the answer
starts) — and renders to ``kefu.llm.base.Message`` lists, so the exact prompt can be logged.

    tpl = PromptTemplate("Classify the customer's intent.", output_indicator="Intent:")
    bank = ExampleBank([Example("where is my card?", "card_arrival"), ...], load_embedder("default"))
    messages = tpl.render("my card hasn't come", demonstrations=bank.nearest("my card hasn't come", k=10))

* Few-shot in-context learning: :class:`ExampleBank` retrieves the ``k`` demonstrations most
  similar to the input (cosine of embeddings; both sides embedded as queries, the symmetric use
  of e5). They are rendered as earlier user/assistant turns, most similar last (nearest the input).
* Chain of thought: :class:`CoTExample` demonstrations show worked steps ending in a line
  ``Answer: ...``; :func:`extract_answer` reads the final such line (``答案：`` too).
* Verbaliser classification: :class:`Verbaliser` maps labels to natural label words and asks the
  cloze ``This sentence's intent is ___``. Scoring method: *constrained generation* — greedy
  generation of a few tokens after the cloze, mapped to the label whose word it matches (longest
  label word the output starts with, else the most words in common). Backends behind kefu's LLM
  interface expose text, not token likelihoods, so likelihood scoring is not done here; give
  :class:`Verbaliser` a ``score`` callable ``(prompt, label_word) -> log-likelihood`` to use it.
  Limit: an output naming no label word maps to ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from kefu.errors import InvalidRequestError
from kefu.knowledge.embeddings import Embedder
from kefu.llm.base import LLM, GenerationRequest, Message, SamplingParams, collect
from kefu.llm.prompt import Example, PromptTemplate

GREEDY = SamplingParams(max_tokens=8, temperature=0.0, repetition_penalty=1.0)


class ExampleBank:
    """Demonstrations retrieved by embedding similarity to the input.

    Vectors are computed once, on first use. ``nearest(text, k)`` returns the ``k`` most similar
    examples ordered least similar first, so the best one sits right before the input.
    ``per_label`` caps how many examples of one output are taken (diversity; 0 = no cap).
    ``vectors`` (n, dim): the examples' query embeddings if already computed (e.g. while fitting
    an intent classifier on the same texts).
    """

    def __init__(self, examples: Sequence[Example], embedder: Embedder, *, vectors: np.ndarray | None = None) -> None:
        self.examples = list(examples)
        self.embedder = embedder
        if vectors is not None and len(vectors) != len(self.examples):
            raise InvalidRequestError(f"{len(vectors)} vectors for {len(self.examples)} examples",
                                      hint="pass one vector per example, in the same order")
        self._vectors: np.ndarray | None = None if vectors is None else np.asarray(vectors, dtype=np.float32)

    def _matrix(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = self.embedder.embed_queries([e.input for e in self.examples])  # (n, dim)
        return self._vectors

    def nearest(self, text: str, k: int, *, per_label: int = 0, vector: np.ndarray | None = None) -> list[Example]:
        """``vector``: ``text``'s query embedding if the caller already has it."""
        if k <= 0 or not self.examples:
            return []
        query = self.embedder.embed_queries([text])[0] if vector is None else vector  # (dim,)
        order = np.argsort(-(self._matrix() @ query))
        picked: list[Example] = []
        counts: dict[str, int] = {}
        for i in order:
            ex = self.examples[int(i)]
            if per_label and counts.get(ex.output, 0) >= per_label:
                continue
            counts[ex.output] = counts.get(ex.output, 0) + 1
            picked.append(ex)
            if len(picked) == k:
                break
        return picked[::-1]


def generate(llm: LLM, messages: Sequence[Message], params: SamplingParams = GREEDY) -> str:
    text, _ = collect(llm.stream(GenerationRequest(messages=list(messages), params=params)))
    return text.strip()


# --- chain of thought -------------------------------------------------------------------------

_ANSWER = re.compile(r"^\s*(?:final\s+)?(?:answer|答案)\s*[:：]\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)

COT_TEMPLATE = PromptTemplate(
    "Solve the problem. Think step by step, one step per line, then give the result on a final line "
    "starting with 'Answer:'.", input_label="Question", output_indicator="")
DIRECT_TEMPLATE = PromptTemplate(
    "Solve the problem. Reply with one line starting with 'Answer:' followed by the result only.",
    input_label="Question", output_indicator="")


@dataclass(frozen=True)
class CoTExample:
    """A worked demonstration: question, steps, answer."""

    question: str
    steps: tuple[str, ...]
    answer: str

    def as_example(self, with_steps: bool = True) -> Example:
        body = "\n".join(self.steps) + "\n" if with_steps else ""
        return Example(self.question, f"{body}Answer: {self.answer}")


def extract_answer(text: str) -> str | None:
    """The value on the last ``Answer: ...`` line (``答案：`` also), trailing full stop removed.

    ``"3 + 4 = 7\\nAnswer: 7."`` -> ``"7"``; ``None`` if no such line.
    """
    found = _ANSWER.findall(text)
    return found[-1].rstrip("。.").strip() if found else None


@dataclass
class CoTResult:
    answer: str | None
    output: str
    prompt: list[Message] = field(default_factory=list)


def solve(question: str, llm: LLM, demos: Sequence[CoTExample], *, cot: bool = True,
          max_tokens: int = 96) -> CoTResult:
    """Answer with (``cot=True``) or without worked steps; the answer is read from the last line."""
    template = COT_TEMPLATE if cot else DIRECT_TEMPLATE
    messages = template.render(question, demonstrations=[d.as_example(cot) for d in demos])
    params = SamplingParams(max_tokens=max_tokens if cot else 24, temperature=0.0, repetition_penalty=1.0)
    out = generate(llm, messages, params)
    return CoTResult(extract_answer(out), out, messages)


# --- classification ---------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", text.lower())


def match_label(output: str, label_words: dict[str, str]) -> str | None:
    """Map generated text to a label: the longest label word the output starts with (or contains),
    else the label whose word shares the most words with the output's first line; ``None`` if none.

    ``match_label("card arrival.", {"card_arrival": "card arrival", "lost": "lost card"})`` -> ``"card_arrival"``
    """
    line = " ".join(_words(output.strip().splitlines()[0] if output.strip() else ""))
    if not line:
        return None
    by_len = sorted(label_words.items(), key=lambda kv: -len(kv[1]))
    for key in (str.startswith, str.__contains__):
        for label, word in by_len:
            w = " ".join(_words(word))
            if w and key(line, w):
                return label
    out = set(line.split())
    best, best_n = None, 0
    for label, word in label_words.items():
        n = len(out & set(_words(word)))
        if n > best_n:
            best, best_n = label, n
    return best


def label_word(label: str) -> str:
    """``"card_arrival"`` -> ``"card arrival"`` (a default verbaliser word)."""
    return label.replace("_", " ").replace("-", " ").strip()


def intent_template(labels: Sequence[str]) -> PromptTemplate:
    """Zero/few-shot classification prompt: choose one label from the list."""
    return PromptTemplate(
        "Classify the customer's message into exactly one intent from this list:\n"
        + "\n".join(f"- {label_word(lab)}" for lab in labels) + "\nReply with the intent only.",
        input_label="Message", output_indicator="Intent:")


def classify(text: str, labels: Sequence[str], llm: LLM, *, bank: ExampleBank | None = None, k: int = 0,
             per_label: int = 0, vector: np.ndarray | None = None) -> tuple[str | None, str]:
    """Prompted classification (zero-shot when ``k == 0``, else ``k`` retrieved demonstrations).

    Returns (label or None, raw output). Demonstrations show the label word, not the label id.
    ``vector``: ``text``'s embedding, if already computed (spares the bank one embedding).
    """
    demos = bank.nearest(text, k, per_label=per_label, vector=vector) if bank and k else []
    demos = [Example(d.input, label_word(d.output)) for d in demos]
    out = generate(llm, intent_template(labels).render(text, demonstrations=demos))
    return match_label(out, {lab: label_word(lab) for lab in labels}), out


@dataclass
class Verbaliser:
    """Cloze classification: ``template`` with ``___`` filled by one of ``words`` (label -> word).

    ``Verbaliser({"pos": "positive", "neg": "negative"}, "This sentence's sentiment is ___")``
    """

    words: dict[str, str]
    template: str = "This sentence's intent is ___"
    score: Callable[[str, str], float] | None = None

    def prompt(self, text: str) -> list[Message]:
        stem = self.template.split("___")[0].rstrip()
        options = ", ".join(self.words.values())
        return [Message("system", f"Complete the sentence with one of: {options}."),
                Message("user", f'Sentence: "{text}"\n{stem}')]

    def classify(self, text: str, llm: LLM) -> tuple[str | None, str]:
        """(label or None, raw output); by likelihood if ``score`` is set, else constrained generation."""
        if self.score is not None:
            stem = f'Sentence: "{text}"\n' + self.template.split("___")[0]
            scores = {lab: self.score(stem, word) for lab, word in self.words.items()}
            best = max(scores, key=scores.__getitem__)
            return best, self.words[best]
        out = generate(llm, self.prompt(text), SamplingParams(max_tokens=8, temperature=0.0,
                                                              repetition_penalty=1.0))
        return match_label(out, self.words), out
