"""Pre-rules: what happens to a customer's text before anything understands it.

An ordered, configurable pipeline of small steps, each a pure function of a
:class:`Turn` (the text plus what the steps found):

1. ``normalize``  — full-width -> half-width (NFKC) for ASCII letters/digits/punctuation,
                    collapsed whitespace; Chinese text is left as it is.
2. ``spelling``   — product names and their common misspellings from a configurable
                    dictionary (``{"air fryer": ["airfryer", "air frier"], ...}``), whole words
                    only, case-insensitive.
3. ``slots``      — order number, phone, e-mail, product names (from the same dictionary).
4. ``injection``  — prompt-injection phrases ("ignore previous instructions", "忽略之前的指令",
                    ...) flagged, not removed: the policy decides.
5. ``mask``       — PII masked in ``Turn.masked`` (what is logged / shown in analytics):
                    phones, e-mails, ID-card and bank-card numbers. ``Turn.text`` keeps the
                    real values because order lookup needs them.

Example::

    >>> rules = PreRules(spelling={"air fryer": ["airfryer"]})
    >>> t = rules.apply("Ｍｙ  order LM2026110003, the airfryer, call 13812345678")
    >>> t.text
    'My order LM2026110003, the air fryer, call 13812345678'
    >>> t.slots["order_no"], t.slots["phone"], t.slots["product"]
    ('LM2026110003', '13812345678', 'air fryer')
    >>> t.masked
    'My order LM2026110003, the air fryer, call 138****5678'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_ORDER_PATTERN = r"(?<![A-Za-z0-9])[A-Z]{2}\d{8,12}(?![A-Za-z0-9])"
PHONE_CN = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}[ -]?\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?!\d)")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
CN_ID = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
CARD = re.compile(r"(?<!\d)(\d{4})[ -]?(\d{4})[ -]?(\d{4})[ -]?(\d{4})(?:[ -]?(\d{1,3}))?(?!\d)")

INJECTION_PATTERNS: tuple[str, ...] = (
    r"ignore (all |any )?(the )?(previous|prior|above) (instructions|prompts?|rules)",
    r"disregard (all |any )?(the )?(previous|prior|above)",
    r"(reveal|show|print|repeat) (me )?(your|the) (system )?(prompt|instructions)",
    r"you are now (?!a customer)",
    r"act as (an? )?(unfiltered|jailbroken|dan\b)",
    r"developer mode",
    r"忽略(之前|以上|前面|上面)的?(所有)?(指令|指示|规则|提示)",
    r"(显示|输出|告诉我)(你的)?(系统)?提示词",
    r"你现在(是|扮演)(?!客服)",
)


@dataclass
class Turn:
    """A customer's message as the pre-rules leave it."""

    original: str
    text: str
    masked: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def normalize(text: str) -> str:
    """Full-width ASCII -> half-width, unify spaces; CJK punctuation kept (。！？ are meaningful)."""
    out = []
    for ch in text:
        if ("\uff10" <= ch <= "\uff19" or "\uff21" <= ch <= "\uff3a" or "\uff41" <= ch <= "\uff5a"
                or ch in "＠＃＄％＆＋－＝／＿．"):
            out.append(unicodedata.normalize("NFKC", ch))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return re.sub(r"[ \t\r\f\v]+", " ", "".join(out)).strip()


def _word_pattern(term: str) -> re.Pattern[str]:
    # whole words for Latin terms; CJK terms have no word boundaries
    if re.search(r"[A-Za-z0-9]", term):
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(term)}(?![A-Za-z0-9])", re.IGNORECASE)
    return re.compile(re.escape(term))


def mask_pii(text: str) -> str:
    """Mask phones, e-mails, Chinese ID numbers and card numbers (keeps a few digits for
    agents to recognise: ``138****5678``, ``a***@example.com``)."""
    text = EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)
    text = CN_ID.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = CARD.sub(lambda m: "**** **** **** " + (m.group(5) and m.group(5) or m.group(4)), text)
    text = PHONE_CN.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = PHONE_INTL.sub(lambda m: m.group(0)[:4] + "****" + m.group(0)[-3:], text)
    return text


Step = Callable[[Turn], Turn]


class PreRules:
    """The configurable pipeline. ``steps`` names the order (default: all five)."""

    STEPS: tuple[str, ...] = ("normalize", "spelling", "slots", "injection", "mask")

    def __init__(self, *, spelling: Mapping[str, Sequence[str]] | None = None,
                 order_pattern: str = DEFAULT_ORDER_PATTERN, injection_patterns: Sequence[str] = INJECTION_PATTERNS,
                 steps: Sequence[str] | None = None) -> None:
        self.spelling = {k: list(v) for k, v in (spelling or {}).items()}
        self._fixes = [(_word_pattern(wrong), right) for right, wrongs in self.spelling.items() for wrong in wrongs]
        self._products = [(_word_pattern(name), name) for name in self.spelling]
        self._order = re.compile(order_pattern, re.IGNORECASE)
        self._injection_res = [re.compile(p, re.IGNORECASE) for p in injection_patterns]
        unknown = [s for s in (steps or ()) if s not in self.STEPS]
        if unknown:
            from kefu.errors import ConfigError

            raise ConfigError(f"unknown pre-rule step(s) {unknown}", hint=f"choose from {', '.join(self.STEPS)}")
        self.steps = tuple(steps or self.STEPS)

    def apply(self, text: str) -> Turn:
        turn = Turn(original=text, text=text)
        for name in self.steps:
            turn = getattr(self, f"_{name}")(turn)
        if "mask" not in self.steps:
            turn.masked = turn.text
        return turn

    def _normalize(self, t: Turn) -> Turn:
        t.text = normalize(t.text)
        return t

    def _spelling(self, t: Turn) -> Turn:
        for pattern, right in self._fixes:
            t.text = pattern.sub(right, t.text)
        return t

    def _slots(self, t: Turn) -> Turn:
        if m := self._order.search(t.text):
            t.slots["order_no"] = m.group(0).upper()
        if m := PHONE_CN.search(t.text):
            t.slots["phone"] = "".join(m.groups())
        elif m := PHONE_INTL.search(t.text):
            t.slots["phone"] = re.sub(r"[ -]", "", m.group(0))
        if m := EMAIL.search(t.text):
            t.slots["email"] = m.group(0)
        found = [(m.start(), name) for pattern, name in self._products if (m := pattern.search(t.text))]
        if found:
            t.slots["product"] = min(found)[1]
        return t

    def _injection(self, t: Turn) -> Turn:
        if any(p.search(t.text) for p in self._injection_res):
            t.flags.append("prompt_injection")
        return t

    def _mask(self, t: Turn) -> Turn:
        t.masked = mask_pii(t.text)
        return t
