"""The grounded-answer prompt is rendered from a template: persona + instruction, numbered sources,
output format, optional worked examples, a deployment's prompts file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.errors import ConfigError
from kefu.knowledge.answer import DEFAULT_PERSONA, answer, build_prompt, default_prompts, load_prompts
from kefu.knowledge.retriever import Hit
from kefu.llm.base import Message, SamplingParams
from kefu.llm.fake import FakeLLM

Q = "退货运费谁承担？"
HISTORY = [Message("user", "你好"), Message("assistant", "您好，请问有什么可以帮您？")]


@pytest.fixture
def kb(registry, docs_dir: Path):
    kb = registry.create("prompt")
    kb.add([docs_dir])
    return kb


def test_prompt_has_persona_instruction_sources_and_output_format(kb):
    llm = FakeLLM().enqueue("退货运费由买家承担 [1]。")
    res = answer(Q, HISTORY, llm, kb, persona="你是鹿鸣家居的客服。")
    tpl = default_prompts().get("answer", "zh")
    system = res.prompt[0].content
    assert system.startswith("你是鹿鸣家居的客服。" + tpl.instruction)  # persona, then the grounding rules
    assert "资料:\n[1] (returns.md" in system and "退货运费由买家承担" in system  # numbered sources
    assert system.endswith(tpl.output_format) and "[1]" in tpl.output_format and "不知道" in tpl.output_format
    assert res.prompt[1:] == [*HISTORY, Message("user", Q)]  # history as chat turns, then the bare question
    assert res.result() == "退货运费由买家承担 [1]。" and list(res.citations) == [1]
    assert llm.requests[0].messages == res.prompt  # what was sent is what is kept


def test_english_prompt_without_persona_uses_the_default_role_line():
    hit = Hit("a", "Items can be returned within 30 days.", 1.0, "both", "docs/returns.md", ("Returns",))
    msgs = build_prompt("Can I return it?", [], [hit], "en")
    tpl = default_prompts().get("answer", "en")
    assert msgs[0].content == (f"{DEFAULT_PERSONA['en']} {tpl.instruction}\n\nSources:\n"
                               f"[1] (returns.md > Returns)\nItems can be returned within 30 days.\n\n{tpl.output_format}")
    assert msgs[1:] == [Message("user", "Can I return it?")]


def test_worked_examples_come_as_turns_before_the_history(kb):
    llm = FakeLLM().enqueue("ok [1]")
    res = answer(Q, HISTORY, llm, kb, examples=True)
    demos = default_prompts().get("answer", "zh").examples
    assert len(demos) == 2
    assert [m.role for m in res.prompt] == ["system", "user", "assistant", "user", "assistant", "user", "assistant",
                                            "user"]
    assert res.prompt[1].content == f"资料:\n{demos[0].context}\n\n{demos[0].input}"
    assert res.prompt[2].content == demos[0].output and "[1]" in demos[0].output
    assert res.prompt[4].content == demos[1].output and "不知道" in demos[1].output  # the abstention
    assert res.prompt[5:] == [*HISTORY, Message("user", Q)]
    assert not any(m.content == demos[0].output for m in answer(Q, [], FakeLLM(), kb).prompt)  # off by default


def test_examples_give_way_before_history_and_sources(kb):
    params = SamplingParams(max_tokens=50)
    full = answer(Q, HISTORY, FakeLLM(context_length=8192), kb, k=5, params=params, examples=True)
    assert len(full.prompt) == 8
    probe = FakeLLM()
    without = probe.prompt_tokens(build_prompt(Q, HISTORY, full.sources, "zh"))
    tight = FakeLLM(context_length=without + 50)
    res = answer(Q, HISTORY, tight, kb, k=5, params=params, examples=True)
    assert res.sources == full.sources  # every source kept ...
    assert res.prompt[1:] == [*HISTORY, Message("user", Q)]  # ... and the history; the examples went


def test_a_deployment_file_overrides_fields_of_the_built_in_prompt(kb, tmp_path: Path):
    path = tmp_path / "prompts.yaml"
    path.write_text("answer:\n  zh:\n    output_format: 每句话后面写上资料编号，例如 [1]。\n"
                    "    context_label: 参考资料\n", encoding="utf-8")
    book = load_prompts(path)
    res = answer(Q, [], FakeLLM().enqueue("ok [1]"), kb, prompts=book)
    system = res.prompt[0].content
    assert system.endswith("每句话后面写上资料编号，例如 [1]。") and "参考资料:\n[1] (" in system
    assert default_prompts().get("answer", "zh").instruction in system  # the rest stays built in
    assert load_prompts(None) is default_prompts()
    path.write_text("answer:\n  zh:\n    output_fromat: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="prompts.yaml: invalid prompt template .*output_fromat"):
        load_prompts(path)
