"""Recommendations from the catalog, using what the conversation mentioned and, when the
customer is known, what they bought before.

Scoring is deliberately simple and explainable (each recommendation carries its reasons):

- +3 per word for each catalog term (category, tag, name word) in the request, +1 for one
  mentioned earlier in the conversation;
- +1 when the product's category is one the customer bought before but this product is not
  something they already own (a complement, e.g. a second appliance for the same kitchen);
- a price cap from the conversation ("under 300", "300元以内") filters;
- out-of-stock products and products already bought are excluded.

Example::

    >>> products = [{"sku": "A", "name_en": "Lumo Air Purifier", "name_zh": "鹿鸣空气净化器", "category": "air",
    ...              "price": 899, "stock": 3, "tags": "purifier|allergy"},
    ...             {"sku": "B", "name_en": "Lumo Kettle", "name_zh": "鹿鸣电水壶", "category": "kitchen",
    ...              "price": 169, "stock": 5, "tags": "kettle|tea"}]
    >>> [r.sku for r in recommend(products, ["any purifier for allergy?"])]
    ['A']
    >>> [r.sku for r in recommend(products, ["something under 300 for tea"])]
    ['B']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_PRICE_CAP = re.compile(r"(?:under|below|less than|within|up to|<)\s*[¥$]?\s*(\d{2,6})|(\d{2,6})\s*(?:元|块)?\s*(?:以内|以下|之内)")
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Recommendation:
    sku: str
    name_en: str
    name_zh: str
    price: float
    score: float
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def line(self, lang: str) -> str:
        name = self.name_zh if lang == "zh" else self.name_en
        return f"{name} (¥{self.price:g})"


def _terms(product: Mapping[str, Any]) -> set[str]:
    tags = str(product.get("tags") or "").lower().split("|")
    words = set(_WORD.findall(str(product.get("name_en", "")).lower())) - {"lumo"}
    zh = {t for t in re.split(r"[\s|]+", str(product.get("name_zh", ""))) if t and not t.isascii()}
    return {t for t in (*tags, str(product.get("category", "")).lower(), *words, *zh) if t}


def price_cap(texts: Iterable[str]) -> float | None:
    caps = [float(a or b) for t in texts for a, b in _PRICE_CAP.findall(t.lower())]
    return min(caps) if caps else None


def recommend(products: Sequence[Mapping[str, Any]], mentions: Sequence[str], *,
              bought_skus: Sequence[str] = (), k: int = 3) -> list[Recommendation]:
    """Top ``k`` products for a conversation whose customer texts are ``mentions`` (oldest
    first; the newest, the request itself, counts three times as much as earlier turns)."""
    newest = mentions[-1].lower() if mentions else ""
    earlier = " ".join(mentions[:-1]).lower()
    cap = price_cap(mentions[-1:]) or price_cap(mentions)
    owned = set(bought_skus)
    by_sku = {str(p["sku"]): p for p in products}
    owned_categories = {str(by_sku[s].get("category")) for s in owned if s in by_sku}
    scored: list[Recommendation] = []
    for p in products:
        sku = str(p["sku"])
        if sku in owned or int(p.get("stock") or 0) <= 0:
            continue
        price = float(p.get("price") or 0)
        if cap is not None and price > cap:
            continue
        reasons: list[str] = []
        score = 0.0
        for term in sorted(_terms(p)):
            weight = 3 if term in newest else (1 if term in earlier else 0)
            if weight:
                # longer terms say more: "air purifier" beats "air"
                score += weight * (len(term.split()) if term.isascii() else max(1, len(term) // 2))
                reasons.append(f"you mentioned '{term}'")
        if str(p.get("category")) in owned_categories:
            score += 1
            reasons.append(f"goes with your earlier {p.get('category')} purchase")
        if cap is not None:
            reasons.append(f"within your budget of {cap:g}")
        if score > 0:
            scored.append(Recommendation(sku, str(p.get("name_en", "")), str(p.get("name_zh", "")), price, score,
                                         tuple(reasons)))
    scored.sort(key=lambda r: (-r.score, r.price))
    return scored[:k]
