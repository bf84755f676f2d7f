"""Answer evaluation against a knowledge base: kefu's real grounded answer path
(:func:`kefu.knowledge.answer.answer`: FAQ match, hybrid retrieval, relevance gate, numbered
sources, LLM) run on each question of a JSONL file (:func:`kefu.evaluate.datafiles.read_kb_questions`),
scored for correctness *and* groundedness.

Every figure rests on one test, :func:`kefu.evaluate.metrics.text.contains_answer`: does a
text hold one of the question's gold facts ("30 days", "¥99", "400-820-5866") after
normalisation (NFKC, punctuation and case dropped, CJK characters as tokens)?

Per question (rows of the report):

- ``correct`` — the reply (``[n]`` markers removed) contains a gold fact; ``f1`` — SQuAD token
  F1 against the best gold (low for long replies even when right; read it as a trend);
- ``retrieved`` — a gold fact is in a source the model was given (the FAQ entry for an FAQ
  answer): a wrong answer with ``retrieved`` false is a retrieval failure, with it true a
  generation failure;
- ``markers`` — the distinct ``[n]`` in the reply; ``supporting`` — those pointing at a source
  that contains a gold fact (a marker beyond the sources, e.g. ``[9]`` of 3, never supports);
- ``abstained`` — :attr:`Answer.abstained` (nothing relevant retrieved, no LLM call) or a
  generated reply that says it does not know (:data:`ABSTAIN_MARKERS`) and cites nothing.

Aggregates (``scores``): ``answer_correct``, ``f1`` and ``retrieval_hit`` over answerable
questions, and ``correct_and_supported`` — right *and* backed by a cited source holding the
fact (or by the FAQ entry); ``citation_precision`` = supporting markers / all markers, over
generated replies to answerable questions (micro; ``citation_precision_macro`` averages per
reply); ``supported_answers`` = generated replies with at least one supporting citation / generated
replies (answerable questions) — a recall-like view; ``uncited_answers`` = generated replies
citing no source / generated replies (all questions); abstention precision / recall / F1 with
"cannot be answered" as the positive class; ``faq_direct`` = FAQ answers / questions.
"Generated replies" are the LLM's non-abstaining ones: FAQ answers carry no ``[n]``.

Not applied: the assistant's post-rules (an uncited or badly cited reply is replaced by a quote
of the best passage), so ``uncited_answers`` shows how often that fallback would fire.

Example::

    res = evaluate_kb_answers(FakeLLM().enqueue("Within 7 days [1]."), kb, read_kb_questions("kb_qa.jsonl"))
    res.scores["citation_precision"], res.report.write("reports/kb")
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np

from kefu.errors import KefuError
from kefu.evaluate.datafiles import KBQuestion
from kefu.evaluate.metrics.text import contains_answer, token_f1
from kefu.evaluate.progress import track
from kefu.evaluate.report import Report
from kefu.knowledge.answer import Answer, answer, language
from kefu.knowledge.kb import KnowledgeBase
from kefu.llm.base import LLM, SamplingParams

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Phrases of a reply that declines; lower-case substrings. Only a reply citing nothing counts
# as an abstention, so "if you don't know your order number, ... [1]" stays an answer.
ABSTAIN_MARKERS = ("don't know", "do not know", "could not find", "couldn't find", "cannot find", "can't find",
                   "not in the knowledge base", "no information", "not mentioned", "do not contain",
                   "don't contain", "unable to answer", "cannot answer", "can't answer",
                   "不知道", "没有找到", "找不到", "无法回答", "没有相关", "没有提到", "未提及", "资料中没有")
_CITE = re.compile(r"\[(\d{1,2})\]")  # the marker kefu.knowledge.answer maps to sources

OUTCOMES = ("correct, cited source supports it", "correct, FAQ answer", "correct, no supporting citation",
            "wrong, fact was retrieved", "wrong, fact not retrieved", "abstained, fact was retrieved",
            "abstained, fact not retrieved", "unanswerable: abstained", "unanswerable: answered anyway")


def says_unknown(reply: str) -> bool:
    """Whether a reply declines to answer (empty, or one of :data:`ABSTAIN_MARKERS`)."""
    r = reply.strip().lower().replace("’", "'")
    return not r or any(m in r for m in ABSTAIN_MARKERS)


def strip_citations(reply: str) -> str:
    """``"Within 7 days [1]."`` -> ``"Within 7 days ."``: markers must not count as answer tokens."""
    return _CITE.sub(" ", reply)


def _has_gold(text: str, golds: Sequence[str]) -> bool:
    return any(contains_answer(text, g) for g in golds)


def score_answer(item: KBQuestion, result: Answer) -> dict[str, Any]:
    """One report row for ``item`` answered by ``result`` (consumes the answer's stream)."""
    text = result.result()
    golds = item.answers
    markers = sorted({int(m) for m in _CITE.findall(text)})
    cited = result.citations  # markers that point at a source
    supporting = [n for n, hit in cited.items() if _has_gold(hit.text, golds)]
    abstained = result.abstained or (not result.faq and not cited and says_unknown(text))
    body = strip_citations(text)
    generated = not result.faq and not abstained
    return {"id": item.id, "question": item.question, "lang": item.lang or language(item.question),
            "gold": list(golds), "answerable": item.answerable, "reply": text, "faq": result.faq,
            "abstained": abstained, "generated": generated,
            "correct": item.answerable and not abstained and _has_gold(body, golds),
            "f1": token_f1(body, golds) if item.answerable and not abstained else 0.0,
            "retrieved": item.answerable and any(_has_gold(h.text, golds) for h in result.sources),
            "sources": [h.citation for h in result.sources], "markers": markers,
            "invalid_markers": [n for n in markers if n not in cited], "supporting": supporting,
            "error": None}


def outcome(row: Mapping[str, Any]) -> str:
    """The row's category among :data:`OUTCOMES`."""
    if not row["answerable"]:
        return OUTCOMES[7] if row["abstained"] else OUTCOMES[8]
    found = "was retrieved" if row["retrieved"] else "not retrieved"
    if row["abstained"]:
        return f"abstained, fact {found}"
    if not row["correct"]:
        return f"wrong, fact {found}"
    if row["faq"]:
        return OUTCOMES[1]
    return OUTCOMES[0] if row["supporting"] else OUTCOMES[2]


@dataclass
class KBAnswerResult:
    scores: dict[str, Any]
    report: Report
    rows: list[dict[str, Any]]


def evaluate_kb_answers(llm: LLM, kb: KnowledgeBase, items: Sequence[KBQuestion], *,
                        params: SamplingParams | None = None, personas: Mapping[str, str] | None = None,
                        k: int | None = None, options: Mapping[str, Any] | None = None,
                        meta: dict[str, Any] | None = None) -> KBAnswerResult:
    """Answer every question with :func:`kefu.knowledge.answer.answer` (no history) and score it.

    ``params`` defaults to the assistant's (200 tokens, temperature 0.2, repetition penalty
    1.1) with ``seed=0`` so a run can be repeated; ``personas`` maps ``"zh"``/``"en"`` to the
    persona opening the system prompt, as the assistant passes it; ``options`` are further
    keyword arguments of ``answer`` (the prompt templates, few-shot examples).
    """
    params = params or SamplingParams(max_tokens=200, temperature=0.2, repetition_penalty=1.1, seed=0)
    rows: list[dict[str, Any]] = []
    for it in track(items, "answering", total=len(items)):
        lang = it.lang or language(it.question)
        try:
            res = answer(it.question, [], llm, kb, k=k, params=params, persona=(personas or {}).get(lang),
                         **(options or {}))
            row = score_answer(it, res)
        except KefuError as e:  # e.g. the model server went away: recorded, not fatal
            row = score_answer(it, Answer(it.question, [], text=""))
            row.update(abstained=False, generated=False, error=e.message)
        row["outcome"] = outcome(row)
        rows.append(row)
    scores = kb_scores(rows)
    langs = sorted({r["lang"] for r in rows})
    by_lang = {lg: kb_scores([r for r in rows if r["lang"] == lg]) for lg in langs}

    rep = Report("Answer quality against a knowledge base",
                 meta={**(meta or {}), "model": llm.model_id, "knowledge base": kb.name,
                       "embedder": kb.embedder.model_id, "questions": len(rows), "max_tokens": params.max_tokens,
                       "temperature": params.temperature, "seed": params.seed})
    rep.text("Each question goes through kefu.knowledge.answer.answer (FAQ match, hybrid retrieval, relevance "
             "gate, numbered sources, LLM) without history. A reply is correct when it contains a gold fact "
             "(normalised, Chinese-aware); a citation [n] supports it when source n contains a gold fact. "
             "Wrong answers whose fact was never retrieved are retrieval failures; the others, generation "
             "failures. The assistant's post-rules (quoting the best passage when a reply cites nothing) "
             "are not applied.")
    rep.metrics("Summary", scores)
    headline = ("questions", "answer_correct", "correct_and_supported", "retrieval_hit", "citation_precision", "supported_answers",
                "uncited_answers", "abstention_recall", "abstention_precision", "faq_direct")
    rep.table("By language", ["metric", *langs], [[m, *(by_lang[lg][m] for lg in langs)] for m in headline])
    counts = {o: Counter(r["lang"] for r in rows if r["outcome"] == o) for o in OUTCOMES}
    rep.table("Outcomes", ["outcome", "questions", *langs],
              [[o, sum(c.values()), *(c[lg] for lg in langs)] for o, c in counts.items()])
    rep.figure("outcomes", "Outcome per question", outcome_figure(counts, langs),
               {"outcomes": list(OUTCOMES), "counts": {o: dict(c) for o, c in counts.items()}})
    rates = ("answer_correct", "retrieval_hit", "citation_precision", "supported_answers", "abstention_recall")
    rep.figure("by_language", "Rates by language", rates_figure({lg: by_lang[lg] for lg in langs}, rates),
               {lg: {m: by_lang[lg][m] for m in rates} for lg in langs})
    rep.table("Questions", ["id", "lang", "question", "gold", "outcome", "reply", "cited", "supporting"],
              [[r["id"], r["lang"], r["question"], " | ".join(r["gold"]) or "(not in the knowledge base)",
                r["outcome"], _short(f"ERROR: {r['error']}" if r["error"] else r["reply"]),
                " ".join(f"[{n}]" for n in r["markers"]), " ".join(f"[{n}]" for n in r["supporting"])]
               for r in rows], max_rows=200)
    return KBAnswerResult(scores, rep, rows)


def _short(text: str, n: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _mean(xs: Sequence[float]) -> float:
    return float(np.mean(xs)) if len(xs) else float("nan")


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


def _f1(p: float, r: float) -> float:
    if np.isnan(p) or np.isnan(r):
        return float("nan")
    return 2 * p * r / (p + r) if p + r else 0.0


def kb_scores(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Aggregate figures over rows of :func:`score_answer` (see the module docstring)."""
    has = [r for r in rows if r["answerable"]]
    no = [r for r in rows if not r["answerable"]]
    gen_has = [r for r in has if r["generated"]]
    gen_all = [r for r in rows if r["generated"]]
    abst = [r for r in rows if r["abstained"]]
    n_markers = sum(len(r["markers"]) for r in gen_has)
    n_support = sum(len(r["supporting"]) for r in gen_has)
    a_p = _ratio(sum(not r["answerable"] for r in abst), len(abst))
    a_r = _ratio(sum(r["abstained"] for r in no), len(no))
    return {
        "questions": len(rows), "answerable": len(has), "unanswerable": len(no),
        "answer_correct": _mean([float(r["correct"]) for r in has]),
        "f1": _mean([r["f1"] for r in has]),
        "retrieval_hit": _mean([float(r["retrieved"]) for r in has]),
        "correct_when_retrieved": _mean([float(r["correct"]) for r in has if r["retrieved"]]),
        "correct_and_supported": _mean([float(r["correct"] and (r["faq"] or bool(r["supporting"]))) for r in has]),
        "generated_answers": len(gen_all),
        "citations": n_markers, "supporting_citations": n_support,
        "invalid_citations": sum(len(r["invalid_markers"]) for r in gen_all),
        "citation_precision": _ratio(n_support, n_markers),
        "citation_precision_macro": _mean([len(r["supporting"]) / len(r["markers"]) for r in gen_has if r["markers"]]),
        "supported_answers": _mean([float(bool(r["supporting"])) for r in gen_has]),
        "uncited_answers": _mean([float(not r["markers"]) for r in gen_all]),
        "abstained": len(abst),
        "abstention_precision": a_p, "abstention_recall": a_r,
        "abstention_f1": _f1(a_p, a_r),
        "false_abstentions": sum(r["abstained"] for r in has),
        "faq_direct": _mean([float(r["faq"]) for r in rows]),
        "faq_correct": _mean([float(r["correct"]) for r in has if r["faq"]]),
        "errors": sum(r["error"] is not None for r in rows),
    }


def outcome_figure(counts: Mapping[str, Mapping[str, int]], langs: Sequence[str]) -> Figure:
    """Horizontal bars, one per outcome, stacked by language."""
    names = list(counts)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.2))
    left = np.zeros(len(names))
    for lg in langs:
        vals = np.array([counts[o].get(lg, 0) for o in names], dtype=float)
        ax.barh(names, vals, left=left, label=lg)
        left += vals
    for y, total in enumerate(left):
        if total:
            ax.text(total + 0.1, y, str(int(total)), va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("questions")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def rates_figure(by_lang: Mapping[str, Mapping[str, float]], metrics: Sequence[str]) -> Figure:
    """Grouped bars: each metric, one bar per language (NaN shown as no bar)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(metrics))
    width = 0.8 / max(1, len(by_lang))
    for i, (lg, s) in enumerate(by_lang.items()):
        vals = [0.0 if np.isnan(s[m]) else s[m] for m in metrics]
        ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=lg)
    ax.set_xticks(x, labels=[m.replace("_", " ") for m in metrics], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
