from __future__ import annotations

import pytest

from kefu.errors import ContextOverflowError, InvalidRequestError
from kefu.llm.base import GenerationRequest, Message, SamplingParams, held_back
from kefu.llm.chat import Conversation, chat, fit_history
from kefu.llm.fake import FakeLLM
from kefu.llm.templates import FALLBACK_STOP, render_chat, render_fallback, render_template
from kefu.testing.tiny import CHATML_TEMPLATE


def test_fallback_format_is_a_plain_continuation():
    msgs = [Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello!"),
            Message("user", "Where is my order?")]
    assert render_fallback(msgs) == ("System: Be brief.\n\nUser: Hi\nAssistant: Hello!\n"
                                     "User: Where is my order?\nAssistant:")
    text, stops = render_chat(None, msgs)
    assert stops == FALLBACK_STOP


def test_model_template_is_used_when_present():
    text, stops = render_chat(CHATML_TEMPLATE, [Message("user", "你好")])
    assert text == "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n"
    assert stops == ()


def test_template_errors_become_invalid_request():
    tpl = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}"
    with pytest.raises(InvalidRequestError, match="first message must be user"):
        render_template(tpl, [Message("assistant", "x")])


def test_message_and_sampling_validation():
    with pytest.raises(InvalidRequestError, match="role"):
        Message("bot", "hi")
    for bad in ({"max_tokens": 0}, {"temperature": 3.0}, {"top_p": 0.0}, {"top_k": -1},
                {"repetition_penalty": 0.0}):
        with pytest.raises(InvalidRequestError):
            SamplingParams(**bad)
    with pytest.raises(InvalidRequestError):
        GenerationRequest(messages=[], params=SamplingParams())
    with pytest.raises(InvalidRequestError):
        GenerationRequest(messages=[Message("user", "a")], prompt="b")


def test_held_back_keeps_possible_stop_prefix():
    assert held_back("Hello\nUs", ["\nUser:"]) == 3
    assert held_back("Hello", ["\nUser:"]) == 0


def _turns(n: int) -> list[Message]:
    out = [Message("system", "sys prompt here")]
    for i in range(n):
        out += [Message("user", f"question {i} " + "word " * 8), Message("assistant", f"answer {i} " + "word " * 8)]
    return out + [Message("user", "final question")]


def test_fit_keeps_system_and_newest_and_drops_oldest_turns_first():
    llm = FakeLLM(context_length=80)
    msgs = _turns(6)
    fitted = fit_history(llm, msgs, max_tokens=10)
    assert fitted.messages[0] == msgs[0]
    assert fitted.messages[-1] == msgs[-1]
    assert fitted.dropped == msgs[1: 1 + len(fitted.dropped)], "oldest first"
    assert fitted.dropped and len(fitted.dropped) % 2 == 0, "a user turn goes with its reply"
    assert fitted.messages[1].role == "user", "history restarts at a user turn"
    assert fitted.prompt_tokens + 10 <= 80
    # one more kept turn would not have fitted
    bigger = [msgs[0], *fitted.dropped[-2:], *fitted.messages[1:]]
    assert llm.prompt_tokens(bigger) + 10 > 80


def test_fit_is_noop_when_everything_fits():
    llm = FakeLLM(context_length=10_000)
    msgs = _turns(3)
    fitted = fit_history(llm, msgs, max_tokens=100)
    assert fitted.messages == msgs and fitted.dropped == []


def test_single_message_too_long_is_a_clear_error():
    llm = FakeLLM(context_length=50)
    with pytest.raises(ContextOverflowError, match="context window is 50 tokens"):
        fit_history(llm, [Message("user", "word " * 100)], max_tokens=10)


def test_chat_without_fitting_refuses_overflow():
    llm = FakeLLM(context_length=40)
    with pytest.raises(ContextOverflowError):
        chat(llm, _turns(5), SamplingParams(max_tokens=5), fit=False)


def test_conversation_keeps_history_and_resets():
    llm = FakeLLM(["My name is kefu.", "You said Alice."])
    conv = Conversation(llm, system="Be nice.")
    list(conv.say("I am Alice", SamplingParams(max_tokens=20)))
    reply = conv.say("Who am I?", SamplingParams(max_tokens=20))
    assert "".join(c.text for c in reply) == "You said Alice."
    sent = llm.requests[-1].messages
    assert [m.role for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1].content == "I am Alice" and sent[2].content == "My name is kefu."
    conv.reset()
    assert conv.messages() == [Message("system", "Be nice.")]
