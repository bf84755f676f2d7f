"""Follow-up questions rewritten with the history before retrieval.

"and the blue one?" means nothing to a retriever; "Does the SmartTemp kettle come in white?
and the blue one?" does. The rewrite is rule-based and deterministic: small local models
rewrite questions unreliably (they answer them instead), and a wrong rewrite is worse than
none. A turn is a follow-up when it is short and either starts like one ("and", "what about",
"那", "还有") or leans on a pronoun ("it", "that one", "它", "这个"); it is then joined to the
previous customer question, and a product carried in the conversation's slots is named
if the turn does not name one.

    >>> rewrite("and the blue one?", ["Does the SmartTemp kettle come in white?"])
    'Does the SmartTemp kettle come in white? and the blue one?'
    >>> rewrite("它保修多久？", ["空气炸锅多大？"], product="空气炸锅")
    '空气炸锅多大？ 它保修多久？'
    >>> rewrite("How do I return a kettle?", ["Where is my order?"])
    'How do I return a kettle?'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_STARTS = re.compile(r"^\s*(and|also|what about|how about|same for|or|那|那么|还有|另外|再)\b|^\s*(那|还有|另外)",
                     re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|that|this|those|these|they|them|one|ones)\b|它|这个|那个|这款|那款|这些|那些|呢[?？]?\s*$",
                      re.IGNORECASE)


def is_follow_up(text: str) -> bool:
    words = len(re.findall(r"[A-Za-z]+", text)) + len(re.findall(r"[\u3400-\u9fff]", text)) / 2
    return words <= 8 and bool(_STARTS.search(text) or _PRONOUN.search(text))


def rewrite(text: str, previous_questions: Sequence[str], *, product: str | None = None) -> str:
    """The text to retrieve with (``text`` itself when it is not a follow-up)."""
    if not previous_questions or not is_follow_up(text):
        return text
    out = f"{previous_questions[-1]} {text}"
    if product and product.lower() not in out.lower():
        out = f"{out} ({product})"
    return out
