"""The Assistant: one customer turn, end to end (docs/architecture.md has the picture).

``Assistant.reply(conversation_id, text)`` is a generator of :class:`Event` s:
``meta`` (the stored customer message, intent, policy), ``token`` (answer text as it is
generated) and ``done`` (the stored answer after the post-rules, which may differ from the
streamed tokens: the widget replaces the streamed text with it). The steps:

1. pre-rules (normalise, spelling, slots, injection flag, PII mask for what is stored);
2. understand: intent + out-of-scope score; follow-ups rewritten with the history;
3. decide (:func:`decide`): handoff / order lookup / recommendation / greeting / FAQ or
   grounded answer / out of scope;
4. generate (only grounded answers call the LLM; order facts, FAQ answers and canned
   replies are exact), 5. post-rules, 6. record everything in the store.

While an agent has taken the conversation over the bot stays silent: the customer's
message is stored and passed on (``notify``), and ``done`` says ``silent``.
Nothing acknowledged is lost: the customer message is stored first, the answer is stored
(status ``streaming``) before its first token and marked ``interrupted`` if generation fails
or is cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kefu.config import DialogSettings
from kefu.dialog import replies
from kefu.dialog.postrules import PostRules, says_dont_know
from kefu.dialog.recommend import recommend
from kefu.dialog.rewrite import rewrite
from kefu.dialog.rules import PreRules, Turn
from kefu.llm.base import LLM, CancelToken, Message, SamplingParams
from kefu.llm.prompt import PromptBook
from kefu.text import language_of

Notify = Callable[[str, dict[str, Any]], None]


@dataclass
class Event:
    kind: str  # meta | token | done
    data: dict[str, Any]

    @property
    def text(self) -> str:  # so the server's stream bridge can time the first token
        return self.data.get("text", "") if self.kind == "token" else ""


@dataclass
class Decision:
    policy: str  # handoff|order|recommend|greeting|kb|search|out_of_scope|refuse|queued|silent
    reason: str = ""


@dataclass
class Understanding:
    turn: Turn
    lang: str
    intent: str
    intent_score: float
    out_of_scope: bool
    query: str
    slots: dict[str, str] = field(default_factory=dict)
    time_sensitive: bool = False


def decide(u: Understanding, status: str, state: dict[str, Any], settings: DialogSettings) -> Decision:
    """The policy, as a pure function (tested branch by branch)."""
    if status == "agent":
        return Decision("silent", "an agent has taken over")
    if status == "handoff":
        return Decision("queued", "waiting for an agent")
    if "prompt_injection" in u.turn.flags:
        return Decision("refuse", "prompt injection")
    if u.intent == "human":
        return Decision("handoff", "asked")
    if u.intent == "complaint" and settings.handoff_on_complaint and not u.out_of_scope:
        return Decision("handoff", "complaint")
    if int(state.get("unresolved", 0)) >= settings.max_unresolved:
        return Decision("handoff", "repeated_failure")
    # an order number given in this very turn makes a refund/complaint question about that order;
    # one carried from earlier turns does not
    if u.time_sensitive and u.intent == "out_of_scope":
        return Decision("search", "time-sensitive question")
    # ... and so does one given right after the assistant asked for it
    if u.intent == "order_status" or (u.turn.slots.get("order_no") and (
            u.intent in ("returns_refund", "complaint") or state.get("awaiting") == "order_no")):
        return Decision("order", "order question")
    if u.intent == "recommendation":
        return Decision("recommend", "asked for a recommendation")
    if u.intent == "greeting" and not u.out_of_scope:
        return Decision("greeting", "greeting")
    if u.intent == "out_of_scope" and not u.out_of_scope:
        return Decision("out_of_scope", "classified out of scope")
    return Decision("kb", "answer from the knowledge base")


class Assistant:
    """Holds the parts; cheap to call, heavy only in construction (see kefu.dialog.setup)."""

    def __init__(self, *, llm: LLM, store: Any, settings: DialogSettings, intents: Any, kb: Any = None,
                 orders: Any = None, pre: PreRules | None = None, post: PostRules | None = None,
                 notify: Notify | None = None, scorer: Any = None, search: Any = None,
                 prompts: PromptBook | None = None) -> None:
        self.llm = llm
        self.store = store
        self.settings = settings
        self.intents = intents
        self.kb = kb
        self.orders = orders
        self.pre = pre or PreRules(spelling=settings.spelling)
        self.post = post or PostRules(forbidden=settings.forbidden_words, max_chars=settings.max_answer_chars)
        self.notify = notify or (lambda conv_id, event: None)
        # best-of-N (settings.candidates > 1): scorer(prompts, completions) -> scores (kefu.dialog.scoring)
        self.scorer = scorer
        # web search for time-sensitive questions (kefu.tools.search; None = off: "I can't check")
        self.search = search
        # the answer prompt templates (kefu.knowledge.answer.load_prompts; None: settings.prompts_file)
        if prompts is None:
            from kefu.knowledge.answer import load_prompts

            prompts = load_prompts(settings.prompts_file)
        self.prompts = prompts

    # -- public -----------------------------------------------------------------------------

    def reply(self, conversation_id: str, text: str, cancel: CancelToken | None = None) -> Iterator[Event]:
        conv = self.store.get_conversation(conversation_id)
        state: dict[str, Any] = dict(conv.state or {})
        u = self.understand(text, state, conv.language)
        customer = self.store.add_message(conversation_id, "customer", u.turn.masked, intent=u.intent,
                                          intent_score=round(u.intent_score, 4), slots=_masked_slots(u.slots))
        self.notify(conversation_id, {"type": "message", "message": message_out(customer)})
        d = decide(u, conv.status, state, self.settings)
        yield Event("meta", {"customer_message": message_out(customer), "intent": u.intent, "policy": d.policy})
        if d.policy == "silent":
            self._save_state(conversation_id, state, u)
            yield Event("done", {"message": None, "handoff": False, "silent": True})
            return
        started = time.perf_counter()
        handoff = False
        if d.policy in ("handoff", "queued"):
            handoff = d.policy == "handoff"
            answer_text, sources = self._handoff_text(conversation_id, d, u), []
        elif d.policy == "kb":
            yield from self._grounded(conversation_id, u, state, started, cancel)
            return
        elif d.policy == "search":
            yield from self._web(conversation_id, u, state, started)
            return
        else:
            answer_text, sources = self._fixed_answer(d, u, state)
        msg = self.store.add_message(conversation_id, "assistant", answer_text, policy=d.policy, intent=u.intent,
                                     sources=sources, model=None,
                                     latency_ms=int((time.perf_counter() - started) * 1000))
        state["unresolved"] = 0 if d.policy in ("order", "greeting", "recommend", "handoff") else \
            int(state.get("unresolved", 0)) + (d.policy in ("out_of_scope", "refuse"))
        self._save_state(conversation_id, state, u)
        yield Event("token", {"text": answer_text})
        out = message_out(msg)
        self.notify(conversation_id, {"type": "message", "message": out})
        yield Event("done", {"message": out, "handoff": handoff, "silent": False})

    def understand(self, text: str, state: dict[str, Any], conv_lang: str | None = None) -> Understanding:
        turn = self.pre.apply(text)
        lang = language_of(turn.text) or conv_lang or "en"
        pred = self.intents.predict([turn.text])[0]
        slots = {**state.get("slots", {}), **turn.slots}
        previous = state.get("questions", [])
        query = rewrite(turn.text, previous, product=slots.get("product"))
        from kefu.tools.realtime import is_time_sensitive

        return Understanding(turn, lang, pred.label, float(pred.score), bool(pred.out_of_scope), query, slots,
                             is_time_sensitive(turn.text))

    # -- policies ---------------------------------------------------------------------------

    def _handoff_text(self, conv_id: str, d: Decision, u: Understanding) -> str:
        if d.policy == "handoff":
            ticket = self.store.open_handoff(conv_id, d.reason)  # also sets the status to "handoff"
            self.store.enqueue_event("handoff.created", {"conversation_id": conv_id, "ticket_id": ticket.id,
                                                         "reason": d.reason})
            self.notify(conv_id, {"type": "status", "status": "handoff"})
        queue = self.store.list_tickets(status=("queued",))
        ids = [t.conversation_id for t in queue]
        ahead = ids.index(conv_id) if conv_id in ids else len(ids)
        key = "handoff_complaint" if d.reason == "complaint" else ("handoff" if d.policy == "handoff" else "queued")
        return replies.text(key, u.lang, position=ahead + 1, ahead=ahead)

    def _fixed_answer(self, d: Decision, u: Understanding, state: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        lang = u.lang
        if d.policy == "refuse":
            return replies.text("injection", lang), []
        if d.policy == "out_of_scope":
            return replies.text("out_of_scope", lang), []
        if d.policy == "greeting":
            thanks = any(w in u.turn.text.lower() for w in ("thank", "谢谢", "bye", "再见"))
            return replies.text("thanks" if thanks else "greeting", lang), []
        if d.policy == "order":
            return self._order_answer(u, state)
        return self._recommend_answer(u, state)

    def _order_answer(self, u: Understanding, state: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        from kefu.tools.lookups import order_status, orders_for_phone

        if self.orders is None:
            return replies.text("out_of_scope", u.lang), []
        no, phone = u.slots.get("order_no"), u.slots.get("phone")
        state["awaiting"] = None if (no or phone) else "order_no"
        if no:
            order = order_status(self.orders, no)
            if order is None:
                return replies.text("order_not_found", u.lang, order_no=no), []
            return replies.order_summary(order, u.lang), [{"n": 1, "title": f"order {no}", "source": "orders",
                                                           "text": replies.order_summary(order, u.lang)}]
        if phone:
            orders = orders_for_phone(self.orders, phone)
            if not orders:
                return replies.text("no_orders_for_phone", u.lang), []
            listing = "; ".join(f"{o['order_no']} ({o['status']}, {o['created_at']})" for o in orders)
            return replies.text("orders_for_phone", u.lang, orders=listing), []
        return replies.text("ask_order_no", u.lang), []

    def _recommend_answer(self, u: Understanding, state: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        if self.orders is None:
            return replies.text("recommend_none", u.lang), []
        products = self.orders.query("SELECT * FROM products").as_dicts()
        bought: list[str] = []
        if phone := u.slots.get("phone"):
            from kefu.tools.lookups import normalize_phone

            rows = self.orders.query(
                "SELECT DISTINCT i.sku FROM order_items i JOIN orders o ON o.order_no = i.order_no "
                "JOIN customers c ON c.id = o.customer_id WHERE c.phone = :p", {"p": normalize_phone(phone)})
            bought = [r["sku"] for r in rows.as_dicts()]
        mentions = [*state.get("questions", []), u.turn.text]
        recs = recommend(products, mentions, bought_skus=bought)
        if not recs:
            return replies.text("recommend_none", u.lang), []
        items = "; ".join(f"{r.line(u.lang)} [{i}]" for i, r in enumerate(recs, 1))
        sources = [{"n": i, "title": r.line(u.lang), "source": f"catalog:{r.sku}", "text": "; ".join(r.reasons)}
                   for i, r in enumerate(recs, 1)]
        return replies.text("recommend", u.lang, items=items), sources

    def _grounded(self, conv_id: str, u: Understanding, state: dict[str, Any], started: float,
                  cancel: CancelToken | None) -> Iterator[Event]:
        from kefu.knowledge.answer import ABSTAIN
        from kefu.knowledge.answer import answer as kb_answer

        history = self._history(conv_id)
        params = SamplingParams(max_tokens=self.settings.max_tokens, temperature=self.settings.temperature,
                                seed=None, repetition_penalty=1.1)
        result = kb_answer(u.query, history, self.llm, self.kb, params=params,
                           persona=self.settings.persona_zh if u.lang == "zh" else self.settings.persona_en,
                           prompts=self.prompts, examples=self.settings.prompt_examples)
        if result.abstained and u.time_sensitive:
            # not in the knowledge base, and about something that changes: look it up
            yield from self._web(conv_id, u, state, started)
            return
        policy = "faq" if result.faq else ("fallback" if result.abstained else "kb")
        sources = [_source_out(i, h) for i, h in enumerate(result.sources, 1)]
        prompt = [m.to_dict() for m in result.prompt] if result.prompt else None
        msg = self.store.start_assistant_message(conv_id, intent=u.intent, policy=policy, sources=sources,
                                                 prompt=prompt, model=self.llm.model_id if prompt else None)
        parts: list[str] = []
        pieces = result.stream
        if policy == "kb" and self.settings.candidates > 1 and self.scorer is not None:
            pieces = iter([self._best_of(result.prompt, params)])
        try:
            for piece in pieces:
                parts.append(piece)
                yield Event("token", {"text": piece})
                if cancel is not None and cancel.cancelled:
                    raise InterruptedError("client went away")
                if len(parts) % 16 == 0:
                    self.store.update_streaming_text(msg.id, "".join(parts))
        except BaseException:
            self.store.mark_interrupted(msg.id, "".join(parts), int((time.perf_counter() - started) * 1000))
            raise
        text = "".join(parts)
        declined = policy == "kb" and says_dont_know(text)
        if declined:
            # the model found no answer in the sources: say so the standard way (offers a human)
            text = ABSTAIN.get(u.lang, ABSTAIN["en"])
        elif policy == "kb":
            checked = self.post.apply(text, question=u.turn.text, n_sources=len(sources))
            text = checked.text
            if {"bad_citation", "no_citation"} & set(checked.problems) or not text.strip():
                # the model did not ground its answer: quote the best passage instead
                best = result.sources[0]
                text = f"{best.text.strip()} [1]"
        state["unresolved"] = int(state.get("unresolved", 0)) + 1 if result.abstained or declined else 0
        self._save_state(conv_id, state, u)
        done = self.store.finish_message(msg.id, text, latency_ms=int((time.perf_counter() - started) * 1000))
        out = message_out(done)
        self.notify(conv_id, {"type": "message", "message": out})
        yield Event("done", {"message": out, "handoff": False, "silent": False})

    def _web(self, conv_id: str, u: Understanding, state: dict[str, Any], started: float) -> Iterator[Event]:
        """A time-sensitive question answered from numbered web results (or "I can't check that
        right now" when search is off or fails); the tool and what it returned are stored as the
        message's sources, which the console shows."""
        from kefu.tools.realtime import answer_with_search

        params = SamplingParams(max_tokens=self.settings.max_tokens, temperature=self.settings.temperature)
        web = answer_with_search(u.turn.text, self.llm, self.search, params=params)
        sources = [{"n": src.id, "title": src.title, "source": src.url, "text": src.text, "tool": "web_search",
                    "date": src.date} for src in web.sources]
        text = web.text
        if web.status == "ok":
            checked = self.post.apply(text, question=u.turn.text, n_sources=len(sources))
            text = checked.text or web.text
        msg = self.store.add_message(conv_id, "assistant", text, policy="search", intent=u.intent, sources=sources,
                                     prompt=[m.to_dict() for m in web.prompt] or {"tool": "web_search",
                                                                                   "status": web.status,
                                                                                   "error": web.error},
                                     model=self.llm.model_id if web.prompt else None,
                                     latency_ms=int((time.perf_counter() - started) * 1000))
        self._save_state(conv_id, state, u)
        yield Event("token", {"text": text})
        out = message_out(msg)
        self.notify(conv_id, {"type": "message", "message": out})
        yield Event("done", {"message": out, "handoff": False, "silent": False})

    def _best_of(self, prompt: list[Message], params: SamplingParams) -> str:
        """Generate ``settings.candidates`` answers (different seeds, some temperature) and keep
        the one the scorer likes best."""
        from dataclasses import replace

        from kefu.llm.base import GenerationRequest, collect

        texts = []
        for i in range(self.settings.candidates):
            p = replace(params, temperature=max(params.temperature, 0.7), seed=i)
            texts.append(collect(self.llm.stream(GenerationRequest(messages=prompt, params=p)))[0])
        dicts = [m.to_dict() for m in prompt]
        scores = self.scorer([dicts] * len(texts), texts)
        return texts[max(range(len(texts)), key=lambda i: scores[i])]

    # -- helpers ----------------------------------------------------------------------------

    def _history(self, conv_id: str) -> list[Message]:
        msgs = self.store.messages(conv_id, roles=("customer", "assistant", "agent"))
        # the newest customer message is the question itself; keep what came before it
        earlier = msgs[:-1][-self.settings.history_turns:]
        return [Message("user" if m.role == "customer" else "assistant", m.text) for m in earlier if m.text]

    def _save_state(self, conv_id: str, state: dict[str, Any], u: Understanding) -> None:
        state["slots"] = u.slots
        state["questions"] = [*state.get("questions", []), u.turn.text][-5:]
        self.store.update_conversation(conv_id, state=state, language=u.lang)


def _masked_slots(slots: dict[str, str]) -> dict[str, str]:
    from kefu.dialog.rules import mask_pii

    return {k: mask_pii(v) if k in ("phone", "email") else v for k, v in slots.items()}


def _source_out(n: int, hit: Any) -> dict[str, Any]:
    return {"n": n, "title": hit.citation, "source": hit.source, "text": hit.text,
            "reason": hit.reason, "score": round(float(hit.score), 4)}


def message_out(m: Any, feedback: str | None = None) -> dict[str, Any]:
    """The JSON shape of a stored message (MessageOut in the HTTP contract)."""
    return {"id": m.id, "role": m.role, "text": m.text, "created_at": m.created_at.isoformat(), "status": m.status,
            "intent": m.intent, "policy": m.policy, "sources": m.sources or [], "feedback": feedback}


def conversation_messages(store: Any, conv_id: str) -> list[dict[str, Any]]:
    out = []
    for m in store.messages(conv_id):
        fb = store.get_feedback(m.id) if m.role == "assistant" else None
        out.append(message_out(m, fb.thumbs if fb else None))
    return out


__all__: Sequence[str] = ("Assistant", "Decision", "Event", "Understanding", "decide", "message_out")
