import pytest

from kefu.evaluate.metrics.text import (
    CJKTokenizer,
    bleu,
    exact_match,
    normalize_answer,
    rouge,
    rouge_corpus,
    token_f1,
)


def test_rouge1_clips_repeated_words():
    s = rouge("cold cold cold cold", "It is cold outside")
    assert s["rouge1"]["precision"] == pytest.approx(0.25)
    assert s["rouge1"]["recall"] == pytest.approx(0.25)
    assert s["rouge2"]["f1"] == 0.0


def test_rouge_l_and_2_english():
    s = rouge("the cat sat on the mat", "the cat is on the mat")
    # bigrams pred: the-cat cat-sat sat-on on-the the-mat ; ref: the-cat cat-is is-on on-the the-mat -> 3/5
    assert s["rouge2"]["precision"] == pytest.approx(3 / 5)
    # LCS: the cat on the mat = 5 of 6
    assert s["rougeL"]["recall"] == pytest.approx(5 / 6)


def test_rouge_chinese_characters_are_tokens():
    # default rouge-score would score this 0 (it drops non-ASCII)
    s = rouge("我喜欢猫", "我喜欢狗")
    assert s["rouge1"]["precision"] == pytest.approx(3 / 4)
    assert s["rouge2"]["precision"] == pytest.approx(2 / 3)  # 我喜 喜欢 match, 欢猫 not
    assert CJKTokenizer().tokenize("退货 Policy") == ["退", "货", "policy"]


def test_rouge_jieba_words():
    assert CJKTokenizer("jieba").tokenize("我要退款 refund") == ["我要", "退款", "refund"]


def test_rouge_corpus_is_mean():
    s = rouge_corpus(["cold cold cold cold", "a b"], ["It is cold outside", "a b"])
    assert s["rouge1"]["precision"] == pytest.approx((0.25 + 1.0) / 2)


def test_bleu_identical_is_100_and_zh_tokenizer_chosen():
    assert bleu(["the cat sat on the mat"], ["the cat sat on the mat"])["bleu"] == pytest.approx(100.0)
    b = bleu(["我们今天去商店买东西"], ["我们今天去商店买东西"])
    assert b["tokenize"] == "zh" and b["bleu"] == pytest.approx(100.0)


def test_bleu_partial_hand_computed_precisions():
    b = bleu(["a b c d"], ["a b c e"], tokenize="none")
    assert b["precisions"][:3] == pytest.approx([75.0, 200 / 3, 50.0])


def test_squad_normalisation_and_scores():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert exact_match("the France.", ["France"]) == 1.0
    # pred tokens: in 10th century ; gold: 10th and 11th centuries -> overlap 1 -> p=1/3 r=1/4 f=2/7
    assert token_f1("in the 10th century", ["10th and 11th centuries"]) == pytest.approx(2 / 7)
    assert token_f1("x", ["nothing alike", "x"]) == 1.0


def test_squad_unanswerable_and_chinese():
    assert exact_match("", []) == 1.0 and token_f1("", []) == 1.0
    assert exact_match("Paris", []) == 0.0
    # chars: 三十天 vs 三十天内 -> overlap 3, p=1 r=3/4
    assert token_f1("三十天", ["三十天内"]) == pytest.approx(2 * 1 * 0.75 / 1.75)
