"""Small text helpers shared by every layer (bottom of the package graph: imports nothing of kefu)."""

from __future__ import annotations


def language_of(text: str, default: str = "") -> str:
    """"zh" when CJK characters are at least half as many as Latin letters, "en" when there are
    letters otherwise, ``default`` for text without letters ("123", "").

    >>> language_of("我想退货 please"), language_of("hello"), language_of("123", "en")
    ('zh', 'en', 'en')
    """
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if cjk == 0 and latin == 0:
        return default
    return "zh" if cjk * 2 >= latin else "en"
