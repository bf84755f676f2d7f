"""kefu.llm.prompt: templates with all their parts, few-shot turns, YAML loading and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.errors import ConfigError
from kefu.llm.base import Message
from kefu.llm.prompt import Example, PromptBook, PromptTemplate

BUILT_IN = Path(__file__).resolve().parents[3] / "src" / "kefu" / "knowledge" / "prompts.yaml"


def test_render_puts_every_part_in_its_place():
    tpl = PromptTemplate("Answer from the sources.", context_label="Sources", input_label="Q",
                         output_indicator="A:", output_format="Cite [n] after each sentence.")
    demo = Example("Can I return it?", "Yes, within 30 days [1].", context="[1] (returns.md)\n30 days.")
    history = [Message("user", "hi"), Message("assistant", "Hello!")]
    msgs = tpl.render("Warranty?", context="[1] (kettle.md)\nTwo years.", demonstrations=[demo], history=history)
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[0].content == ("Answer from the sources.\n\nSources:\n[1] (kettle.md)\nTwo years.\n\n"
                               "Cite [n] after each sentence.")
    assert msgs[1].content == "Sources:\n[1] (returns.md)\n30 days.\n\nQ: Can I return it?\nA:"
    assert msgs[2].content == "Yes, within 30 days [1]."
    assert msgs[3:5] == history  # history kept as chat turns, after the demonstrations
    assert msgs[5].content == "Q: Warranty?\nA:"


def test_bare_input_and_examples_only_on_request():
    tpl = PromptTemplate("Be brief.", input_label="", output_indicator="", examples=(Example("a", "b"),))
    assert tpl.render("how much?") == [Message("system", "Be brief."), Message("user", "how much?")]
    assert [m.content for m in tpl.render("x", demonstrations=tpl.examples)[1:]] == ["a", "b", "x"]


def test_yaml_later_file_overrides_field_by_field(tmp_path: Path):
    base = tmp_path / "base.yaml"
    base.write_text("greet:\n  en: {instruction: Say hello., output_format: One line.}\n"
                    "  zh: {instruction: 打招呼。}\n", encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("greet:\n  en:\n    output_format: Two lines.\n    examples:\n"
                   "      - {input: hi, output: Hello!}\n", encoding="utf-8")
    book = PromptBook.from_yaml(base, top)
    en = book.get("greet", "en")
    assert (en.instruction, en.output_format, en.examples) == ("Say hello.", "Two lines.", (Example("hi", "Hello!"),))
    assert book.get("greet", "zh").instruction == "打招呼。"
    assert book.get("greet", "fr") is en  # unknown language: the English variant
    with pytest.raises(ConfigError, match="no prompt template named 'farewell'"):
        book.get("farewell", "en")


@pytest.mark.parametrize("text,expected", [
    ("answer:\n  en: {instruction: x, output_fromat: y}\n", r"answer\.en\.output_fromat: Extra inputs"),
    ("answer:\n  ja: {output_format: y}\n", r"answer\.ja\.instruction: Field required"),
    ("answer:\n  en:\n    examples:\n      - {input: q}\n", r"answer\.en\.examples\.0\.output: Field required"),
    ("answer:\n  en: {instruction: [a, b]}\n", r"answer\.en\.instruction"),
    ("- a\n- b\n", "the top level is not a mapping"),
    ("answer:\n  en: just text\n", "answer.en is not a mapping"),
    ("answer:\n  en: {instruction: x\n", "is not valid YAML"),
])
def test_bad_prompts_file_is_a_clear_config_error(tmp_path: Path, text: str, expected: str):
    bad = tmp_path / "prompts.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected) as err:
        PromptBook.from_yaml(BUILT_IN, bad)
    assert str(bad) in err.value.message and err.value.hint


def test_missing_prompts_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read the prompts file .*nope.yaml"):
        PromptBook.from_yaml(BUILT_IN, tmp_path / "nope.yaml")


def test_built_in_answer_prompts_parse_with_a_cited_and_an_abstaining_example_per_language():
    book = PromptBook.from_yaml(BUILT_IN)
    for lang in ("en", "zh"):
        tpl = book.templates["answer"][lang]
        assert "[1]" in tpl.output_format and tpl.input_label == "" and tpl.output_indicator == ""
        cited, abstain = tpl.examples
        assert "[1]" in cited.output and cited.context.startswith("[1] (")
        assert "[" not in abstain.output and ("don't know" in abstain.output or "不知道" in abstain.output)


def test_the_documented_example_file_loads(tmp_path: Path):
    doc = (BUILT_IN.parents[3] / "docs" / "knowledge.md").read_text(encoding="utf-8")
    section = doc.split("## Prompts", 1)[1]
    block = next(b.split("\n", 1)[1] for b in section.split("```yaml")[1:] if b.startswith("\n# /etc/kefu"))
    path = tmp_path / "prompts.yaml"
    path.write_text(block.split("```", 1)[0], encoding="utf-8")
    book = PromptBook.from_yaml(BUILT_IN, path)
    en = book.get("answer", "en")
    assert en.output_format.startswith("Answer in at most three sentences") and len(en.examples) == 1
    assert book.get("answer", "zh").context_label == "参考资料"
