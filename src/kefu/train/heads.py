"""Load task heads trained by ``kefu train classifier`` / ``kefu train ner`` (for the dialogue layer).

    >>> clf = load_classifier("out/intent")                       # doctest: +SKIP
    >>> clf.predict(["where is my parcel"])
    [Prediction(label='order_status', score=0.93)]
    >>> tagger = load_tagger("out/slots")                         # doctest: +SKIP
    >>> tagger.predict("my order 12345 is late")
    [Entity(type='ORDER', text='12345', start=2, end=3)]

Limits: the tagger splits text on whitespace (pass a token list for Chinese or other
unsegmented text); entity spans are word indices [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.errors import ModelNotFoundError


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float


@dataclass(frozen=True)
class Entity:
    type: str
    text: str
    start: int
    end: int


def _check(path: str | Path) -> Path:
    p = Path(path)
    if not (p / "config.json").is_file():
        raise ModelNotFoundError(f"{p} is not a trained task head (no config.json)",
                                 hint="train one with `kefu train classifier` or `kefu train ner`")
    return p


class Classifier:
    def __init__(self, path: str | Path, device: str = "cpu") -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        p = _check(path)
        self.tokenizer = AutoTokenizer.from_pretrained(str(p))
        self.model = AutoModelForSequenceClassification.from_pretrained(str(p)).to(device).eval()
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]

    def predict(self, texts: list[str], batch_size: int = 32) -> list[Prediction]:
        import torch

        out: list[Prediction] = []
        for i in range(0, len(texts), batch_size):
            enc = self.tokenizer(texts[i: i + batch_size], padding=True, truncation=True, return_tensors="pt")
            with torch.no_grad():
                probs = self.model(**enc.to(self.model.device)).logits.softmax(-1)
            best = probs.argmax(-1)
            out += [Prediction(self.labels[int(b)], float(probs[j, b])) for j, b in enumerate(best)]
        return out


class Tagger:
    def __init__(self, path: str | Path, device: str = "cpu") -> None:
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        p = _check(path)
        self.tokenizer = AutoTokenizer.from_pretrained(str(p))
        self.model = AutoModelForTokenClassification.from_pretrained(str(p)).to(device).eval()

    def tags(self, words: list[str]) -> list[str]:
        """One BIO tag per word (the prediction on the word's first sub-token)."""
        import torch

        enc = self.tokenizer(words, is_split_into_words=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            pred = self.model(**enc.to(self.model.device)).logits[0].argmax(-1).tolist()
        tags, seen = ["O"] * len(words), set()
        for pos, w in enumerate(enc.word_ids(0)):
            if w is not None and w not in seen:
                seen.add(w)
                tags[w] = self.model.config.id2label[pred[pos]]
        return tags

    def predict(self, text: str | list[str]) -> list[Entity]:
        words = text.split() if isinstance(text, str) else list(text)
        ents: list[Entity] = []
        cur: list[Any] | None = None
        for i, tag in enumerate(self.tags(words) + ["O"]):
            kind = tag[2:] if tag[:2] in ("B-", "I-") else None
            if cur and (kind != cur[0] or tag.startswith("B-")):
                ents.append(Entity(cur[0], " ".join(words[cur[1]: i]), cur[1], i))
                cur = None
            if kind and cur is None:
                cur = [kind, i]
        return ents


def load_classifier(path: str | Path, device: str = "cpu") -> Classifier:
    return Classifier(path, device)


def load_tagger(path: str | Path, device: str = "cpu") -> Tagger:
    return Tagger(path, device)
