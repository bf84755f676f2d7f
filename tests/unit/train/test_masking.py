"""Loss on assistant tokens only: inspect the labels built for SFT."""

from transformers import AutoTokenizer

from kefu.train.tokenize import IGNORE, ensure_chat_template, sft_features

CONV = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is my order?"},
        {"role": "assistant", "content": "It has shipped."}, {"role": "user", "content": "Thank you"},
        {"role": "assistant", "content": "Goodbye!"}]


def _labelled_text(tok, feats):
    return tok.decode([t for t, lab in zip(feats["input_ids"], feats["labels"], strict=True) if lab != IGNORE])


def test_only_assistant_tokens_and_end_of_turn_are_labelled(tiny_lm_dir):
    tok = AutoTokenizer.from_pretrained(tiny_lm_dir)
    f = sft_features(tok, CONV)
    # the sequence is exactly the chat template's rendering
    assert f["input_ids"] == tok(tok.apply_chat_template(CONV, tokenize=False), add_special_tokens=False)["input_ids"]
    assert _labelled_text(tok, f) == "It has shipped.<|im_end|>\nGoodbye!<|im_end|>\n"
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    assert eos == tok.eos_token_id
    labelled_eos = [i for i, (t, lab) in enumerate(zip(f["input_ids"], f["labels"], strict=True)) if t == eos and lab == eos]
    assert len(labelled_eos) == 2  # both assistant turns end with a learned EOS
    # system / user turns (with their <|im_end|>) and the assistant header are all -100
    masked = tok.decode([t for t, lab in zip(f["input_ids"], f["labels"], strict=True) if lab == IGNORE])
    assert "Be brief." in masked and "Where is my order?" in masked and "Thank you" in masked
    assert "shipped" not in masked and masked.count("<|im_start|>assistant") == 2


def test_base_model_gets_a_template_whose_turns_end_with_eos(tiny_base_lm_dir):
    tok = ensure_chat_template(AutoTokenizer.from_pretrained(tiny_base_lm_dir))
    f = sft_features(tok, CONV[1:3])
    assert f["labels"][-2] == tok.eos_token_id and f["labels"][0] == IGNORE


def test_truncation_keeps_the_start(tiny_lm_dir):
    tok = AutoTokenizer.from_pretrained(tiny_lm_dir)
    f = sft_features(tok, CONV, max_length=10)
    assert len(f["input_ids"]) == len(f["labels"]) == 10
