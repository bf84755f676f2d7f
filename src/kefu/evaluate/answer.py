"""Answer evaluation on SQuAD-format data: the LLM answers each question from its passage;
scored with SQuAD exact match / token F1, with abstention on unanswerable questions.

The prompt (:data:`PROMPT`) asks for the shortest phrase from the passage, or exactly
``unanswerable``. A reply that says so (or one of :data:`ABSTAIN_MARKERS`) counts as an
abstention, i.e. the empty prediction of the SQuAD 2.0 convention: right on an
unanswerable question, wrong on an answerable one.

Reported: EM / F1 over all questions (SQuAD 2.0 style), over answerable ones, abstention
precision / recall on unanswerable ones, and ``grounded`` — the share of non-abstaining
answers whose normalised text occurs in the passage (the answer was taken from the source,
not invented). Answers from a knowledge base, with citation precision, retrieval hits and
abstention on questions it cannot answer, are measured by :mod:`kefu.evaluate.kb_answer`.

Example::

    result = evaluate_answers(FakeLLM().enqueue("France"), read_squad("small.json")[:1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kefu.errors import KefuError
from kefu.evaluate import plots
from kefu.evaluate.datafiles import SquadItem
from kefu.evaluate.metrics.text import exact_match, normalize_answer, token_f1
from kefu.evaluate.progress import track
from kefu.evaluate.report import Report
from kefu.llm.base import LLM, Message, SamplingParams
from kefu.llm.chat import chat

PROMPT = {
    "system": "You answer questions using only the passage you are given. Reply with the shortest "
              "phrase copied from the passage that answers the question, and nothing else. If the passage "
              "does not contain the answer, reply exactly: unanswerable",
    "user": "Passage:\n{context}\n\nQuestion: {question}\nAnswer:",
}
ABSTAIN_MARKERS = ("unanswerable", "not answerable", "cannot be answered", "does not contain", "无法回答", "不知道")


def is_abstention(reply: str) -> bool:
    r = reply.strip().lower()
    return not r or any(m in r for m in ABSTAIN_MARKERS)


def clean_reply(reply: str) -> str:
    """First line, without a leading "Answer:" and surrounding quotes/full stop."""
    line = reply.strip().split("\n", 1)[0].strip()
    if line.lower().startswith("answer:"):
        line = line[7:].strip()
    return line.rstrip(".").strip("\"'“”").rstrip(".")


@dataclass
class AnswerResult:
    scores: dict[str, Any]
    report: Report
    rows: list[dict[str, Any]]


def evaluate_answers(llm: LLM, items: Sequence[SquadItem], *, max_tokens: int = 32,
                     meta: dict[str, Any] | None = None) -> AnswerResult:
    params = SamplingParams(max_tokens=max_tokens, temperature=0.0, seed=0)
    rows: list[dict[str, Any]] = []
    for it in track(items, "answering", total=len(items)):
        msgs = [Message("system", PROMPT["system"]),
                Message("user", PROMPT["user"].format(context=it.context, question=it.question))]
        error = None
        try:
            reply = chat(llm, msgs, params, fit=False)
            raw = "".join(c.text for c in reply)
        except KefuError as e:  # e.g. a passage longer than the model's context window
            raw, error = "", e.message
        abstained = is_abstention(raw)
        pred = "" if abstained else clean_reply(raw)
        rows.append({"id": it.id, "question": it.question, "gold": list(it.answers), "reply": raw,
                     "prediction": pred, "abstained": abstained, "answerable": it.answerable,
                     "em": exact_match(pred, it.answers), "f1": token_f1(pred, it.answers),
                     "grounded": bool(pred) and normalize_answer(pred) in normalize_answer(it.context),
                     "error": error})
    scores = _scores(rows)
    rep = Report("Answer quality (SQuAD format)", meta={**(meta or {}), "model": llm.model_id,
                                                        "questions": len(rows), "max_tokens": max_tokens})
    rep.metrics("Summary", scores)
    has = [r["f1"] for r in rows if r["answerable"]]
    rep.figure("f1", "Token F1 per answerable question", plots.histogram_figure({"F1": has}, xlabel="token F1",
                                                                               bins=10), {"f1": has})
    rep.text("Prompt sent for every question (system, then user): " + PROMPT["system"] + " || " + PROMPT["user"])
    rep.table("Wrong answers", ["question", "gold", "prediction", "F1"],
              [[r["question"], " | ".join(r["gold"]) or "(unanswerable)", r["prediction"] or "(abstained)",
                round(r["f1"], 3)] for r in rows if r["em"] < 1], max_rows=50)
    return AnswerResult(scores, rep, rows)


def _mean(xs: Sequence[float]) -> float:
    return float(np.mean(xs)) if len(xs) else float("nan")


def _scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    has = [r for r in rows if r["answerable"]]
    no = [r for r in rows if not r["answerable"]]
    abst = [r for r in rows if r["abstained"]]
    answered = [r for r in rows if not r["abstained"]]
    return {"exact_match": _mean([r["em"] for r in rows]), "f1": _mean([r["f1"] for r in rows]),
            "answerable": len(has), "unanswerable": len(no),
            "has_answer_exact_match": _mean([r["em"] for r in has]), "has_answer_f1": _mean([r["f1"] for r in has]),
            "abstention_recall": _mean([float(r["abstained"]) for r in no]),
            "abstention_precision": _mean([float(not r["answerable"]) for r in abst]),
            "abstained": len(abst), "grounded": _mean([float(r["grounded"]) for r in answered]),
            "errors": sum(r["error"] is not None for r in rows)}
