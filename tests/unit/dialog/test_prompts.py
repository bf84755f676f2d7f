from kefu.dialog.prompts import (
    CoTExample,
    Example,
    ExampleBank,
    PromptTemplate,
    Verbaliser,
    classify,
    extract_answer,
    match_label,
    solve,
)
from kefu.knowledge.embeddings import load_embedder
from kefu.llm.fake import FakeLLM


def test_template_renders_four_parts_and_demonstrations():
    tpl = PromptTemplate("Answer politely.", context="Shop opens 9-18.", input_label="Customer",
                         output_indicator="Reply:")
    msgs = tpl.render("when do you open?", demonstrations=[Example("hi", "Hello!")])
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[0].content == "Answer politely.\n\nContext:\nShop opens 9-18."
    assert msgs[1].content == "Customer: hi\nReply:" and msgs[2].content == "Hello!"
    assert msgs[-1].content == "Customer: when do you open?\nReply:"
    assert tpl.render("x", context="")[0].content == "Answer politely."


def test_example_bank_retrieves_most_similar_last_and_caps_per_label():
    bank = ExampleBank([Example("where is my card", "card_arrival"), Example("card still not arrived", "card_arrival"),
                        Example("exchange rate for euro", "exchange_rate"), Example("top up failed", "top_up_failed")],
                       load_embedder("hash-256"))
    near = bank.nearest("my card has not arrived", k=2)
    assert len(near) == 2 and near[-1].output == "card_arrival"
    capped = bank.nearest("my card has not arrived", k=3, per_label=1)
    assert len({e.output for e in capped}) == 3
    assert bank.nearest("x", k=0) == []


def test_cot_prompts_with_worked_steps_and_reads_the_final_answer_line():
    demos = [CoTExample("I had 3 apples and bought 4 more. How many?", ("3 + 4 = 7",), "7")]
    llm = FakeLLM(["5 pens cost 5 * 2 = 10 yuan.\nAnswer: 10 yuan.", "Answer: 12"])
    res = solve("5 pens at 2 yuan each cost?", llm, demos)
    assert res.answer == "10 yuan" and "step by step" in res.prompt[0].content
    assert res.prompt[2].content == "3 + 4 = 7\nAnswer: 7"
    direct = solve("5 pens at 2 yuan each cost?", llm, demos, cot=False)
    assert direct.prompt[2].content == "Answer: 7" and direct.answer == "12"


def test_extract_answer_takes_the_last_answer_line():
    assert extract_answer("Answer: 3\nwait\nAnswer: 4") == "4"
    assert extract_answer("计算：2+2=4\n答案：4。") == "4"
    assert extract_answer("no final line") is None


def test_match_label():
    words = {"card_arrival": "card arrival", "lost_or_stolen_card": "lost or stolen card", "card_linking": "card linking"}
    assert match_label("Card arrival", words) == "card_arrival"
    assert match_label("The intent is lost or stolen card.", words) == "lost_or_stolen_card"
    assert match_label("linking my card", words) == "card_linking"
    assert match_label("weather", words) is None and match_label("", words) is None


def test_zero_and_few_shot_classification():
    bank = ExampleBank([Example("where is my card", "card_arrival"), Example("rate for euro", "exchange_rate")],
                       load_embedder("hash-256"))
    llm = FakeLLM(["exchange rate", "Card arrival"])
    assert classify("euro rate?", ["card_arrival", "exchange_rate"], llm)[0] == "exchange_rate"
    label, raw = classify("is my card coming", ["card_arrival", "exchange_rate"], llm, bank=bank, k=2)
    assert label == "card_arrival" and raw == "Card arrival"
    msgs = llm.requests[1].messages
    assert "- card arrival" in msgs[0].content and len(msgs) == 6 and msgs[-2].content == "card arrival"


def test_verbaliser_by_generation_and_by_likelihood():
    v = Verbaliser({"pos": "positive", "neg": "negative"}, "This sentence's sentiment is ___")
    llm = FakeLLM(["negative."])
    assert v.classify("terrible service", llm) == ("neg", "negative.")
    assert llm.requests[0].messages[-1].content.endswith("This sentence's sentiment is")
    scored = Verbaliser(v.words, v.template, score=lambda prompt, word: float(("love" in prompt) == (word == "positive")))
    assert scored.classify("I love it", FakeLLM())[0] == "pos"
