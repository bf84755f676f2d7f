"""Text-overlap metrics: ROUGE (rouge-score), BLEU (sacrebleu), SQuAD exact match / token F1.

ROUGE counts are clipped (a repeated word matches at most as often as the reference has it):

    >>> round(rouge("cold cold cold cold", "It is cold outside")["rouge1"]["precision"], 2)
    0.25

rouge-score's default tokenizer keeps only ``[a-z0-9]`` and so silently scores every Chinese
text as empty; :class:`CJKTokenizer` keeps each CJK character as a token (the usual
convention for Chinese ROUGE, e.g. LCSTS) or, with ``mode="jieba"``, jieba words. Latin text
is tokenised as rouge-score does (lower-cased alphanumeric runs, no stemming).

BLEU uses sacrebleu with ``tokenize="zh"`` when the text contains CJK characters and its
standard ``13a`` otherwise.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from kefu.errors import InvalidRequestError

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_TOKEN_RE = re.compile(f"[{_CJK}]|[a-z0-9]+")


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


class CJKTokenizer:
    """A rouge-score tokenizer (any object with ``tokenize(text) -> list[str]``).

    ``"char"``: ``"退货 policy"`` -> ``["退", "货", "policy"]``; ``"jieba"``: ``["退货", "policy"]``."""

    def __init__(self, mode: str = "char") -> None:
        if mode not in ("char", "jieba"):
            raise InvalidRequestError(f"unknown tokenizer mode {mode!r}", hint="use char or jieba")
        self.mode = mode

    def tokenize(self, text: str) -> list[str]:
        text = text.lower()
        if self.mode == "char":
            return _TOKEN_RE.findall(text)
        import jieba

        out: list[str] = []
        for w in jieba.cut(text):
            if has_cjk(w):
                out.append(w)
            else:
                out += _TOKEN_RE.findall(w)
        return out


def rouge(prediction: str, reference: str, *, tokenizer: str = "char") -> dict[str, dict[str, float]]:
    """ROUGE-1, ROUGE-2 and ROUGE-L of one prediction against one reference."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=CJKTokenizer(tokenizer))
    s = scorer.score(reference, prediction)  # rouge-score's order is (target, prediction)
    return {k: {"precision": v.precision, "recall": v.recall, "f1": v.fmeasure} for k, v in s.items()}


def rouge_corpus(predictions: Sequence[str], references: Sequence[str], *, tokenizer: str = "char"
                 ) -> dict[str, dict[str, float]]:
    """Mean of per-pair ROUGE scores (the rouge-score / ``evaluate`` convention)."""
    if len(predictions) != len(references) or not predictions:
        raise InvalidRequestError("need as many references as predictions, and at least one")
    rows = [rouge(p, r, tokenizer=tokenizer) for p, r in zip(predictions, references, strict=True)]
    return {k: {m: sum(r[k][m] for r in rows) / len(rows) for m in ("precision", "recall", "f1")}
            for k in rows[0]}


def bleu(predictions: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]],
         *, tokenize: str | None = None) -> dict[str, Any]:
    """Corpus BLEU (0-100) with sacrebleu. ``references`` is one reference per prediction or,
    for several references, a list of reference streams (each as long as ``predictions``)."""
    import sacrebleu

    if not predictions:
        raise InvalidRequestError("no predictions to score")
    streams = [list(references)] if isinstance(references[0], str) else [list(r) for r in references]
    if tokenize is None:
        tokenize = "zh" if any(has_cjk(t) for t in [*predictions, *streams[0]]) else "13a"
    b = sacrebleu.corpus_bleu(list(predictions), streams, tokenize=tokenize)
    return {"bleu": float(b.score), "precisions": [float(p) for p in b.precisions], "bp": float(b.bp),
            "tokenize": tokenize}


# SQuAD v1.1/v2.0 official normalisation, reproduced because no maintained library ships it
# without pulling in the HF `evaluate` stack: lower-case, drop punctuation, drop English
# articles, collapse whitespace. For Chinese (no spaces) tokens are characters, as in CMRC 2018.
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation) | set("，。！？；：、“”‘’（）《》【】…—")


def normalize_answer(s: str) -> str:
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", s).split())


def _tokens(s: str) -> list[str]:
    norm = normalize_answer(s)
    if has_cjk(norm):
        return [t for t in _TOKEN_RE.findall(norm)]
    return norm.split()


# Containment tokens: CJK characters, and Latin letters and digits split apart, so that
# "30天" / "30 天", "1-year" / "1 year" and "E05" / "e 05" tokenise alike.
_MATCH_RE = re.compile(f"[{_CJK}]|[a-z]+|[0-9]+")
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
_DECIMAL_POINT = re.compile(r"(?<=[0-9])\.(?=[0-9])")


def match_tokens(s: str) -> list[str]:
    """Tokens for :func:`contains_answer`: NFKC (full-width digits become ASCII), a hyphen
    between letters becomes a space ("one-year"), a decimal point a token of its own (so "1.5"
    is not "15"), then :func:`normalize_answer` (thousands separators and other punctuation
    vanish), then CJK characters, letter runs and digit runs.
    ``"¥2,000 / 30天 one-year 1.5"`` -> ``["2000", "30", "天", "one", "year", "1", "dot", "5"]``."""
    s = _WORD_HYPHEN.sub(" ", unicodedata.normalize("NFKC", s).lower())
    return _MATCH_RE.findall(normalize_answer(_DECIMAL_POINT.sub(" dot ", s)))


def contains_answer(text: str, gold: str) -> bool:
    """Whether ``gold`` occurs in ``text`` as a whole run of :func:`match_tokens` — a
    normalised, word-bounded substring test that works for Chinese (no spaces needed).
    Does not handle inflection ("day" vs "days") or Chinese numerals ("七" vs "7"): list such
    variants as further gold answers. A gold answer without letters or digits never matches.

    >>> contains_answer("退货请在签收后 7 天内申请 [1]", "7天"), contains_answer("within 30 days.", "30 days")
    (True, True)
    >>> contains_answer("it costs ¥990", "¥99"), contains_answer("满¥2,000升级", "2000")
    (False, True)
    """
    g = match_tokens(gold)
    if not g:
        return False
    return f" {' '.join(g)} " in f" {' '.join(match_tokens(text))} "


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if the normalised prediction equals any normalised gold answer. No gold answers
    (an unanswerable question) means the right prediction is the empty string."""
    golds = list(golds) or [""]
    return float(max(normalize_answer(prediction) == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """Max over gold answers of the bag-of-tokens F1 (SQuAD convention)."""
    golds = list(golds) or [""]
    best = 0.0
    p_toks = _tokens(prediction)
    for g in golds:
        g_toks = _tokens(g)
        if not p_toks or not g_toks:
            best = max(best, float(p_toks == g_toks))
            continue
        same = sum((Counter(p_toks) & Counter(g_toks)).values())
        if same == 0:
            continue
        p, r = same / len(p_toks), same / len(g_toks)
        best = max(best, 2 * p * r / (p + r))
    return best
