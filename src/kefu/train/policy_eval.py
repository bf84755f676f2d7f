"""Mean reward and KL(policy || reference) of a policy on held-out prompts.

Written by hand because TRL logs reward and KL only on the training batches, during training;
a before/after comparison needs the same prompts scored by the same procedure twice.

KL is the Monte-Carlo estimate on the policy's own (sampled, seeded) completions: the mean over
completions of sum_t [log pi(y_t | ...) - log pi_ref(y_t | ...)]. Before training, policy ==
reference, so it is 0 up to numerical noise.
"""

from __future__ import annotations

from typing import Any

from kefu.train.scoring import RewardFn


def _logprob_sum(model: Any, ids: Any, attention: Any, start: int) -> Any:
    import torch

    # positions as generate() gave them under left padding (else padded rows are scored shifted)
    positions = (attention.long().cumsum(-1) - 1).clamp(min=0)
    logits = model(input_ids=ids, attention_mask=attention, position_ids=positions).logits[:, :-1].float()  # (B, T-1, V)
    lp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]  # (B, T-1)
    mask = attention[:, 1:].clone()
    mask[:, : start - 1] = 0  # only completion tokens
    return (lp * mask).sum(-1)


def policy_report(policy: Any, ref: Any, tokenizer: Any, prompts: list[list[dict[str, str]]], reward: RewardFn,
                  *, max_new_tokens: int = 64, seed: int = 0, batch: int = 8) -> dict[str, float]:
    import torch

    was_training = policy.training
    policy.eval()
    device = next(policy.parameters()).device
    ref.to(device).eval()
    rewards: list[float] = []
    kls: list[float] = []
    torch.manual_seed(seed)
    tokenizer.padding_side = "left"
    for i in range(0, len(prompts), batch):
        chunk = prompts[i: i + batch]
        texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in chunk]
        enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        with torch.no_grad():
            # pure samples from pi (temperature 1, no top-k/p, no repetition penalty from the model's
            # generation_config): the KL estimate is unbiased only on the policy's own distribution
            out = policy.generate(**enc, max_new_tokens=max_new_tokens, do_sample=True, top_k=0, top_p=1.0,
                                  temperature=1.0, repetition_penalty=1.0, pad_token_id=tokenizer.pad_token_id)
            start = enc["input_ids"].shape[1]
            completion = out[:, start:]
            # stop each completion at its first EOS; later tokens are padding
            done = torch.cumsum((completion == tokenizer.eos_token_id).int(), -1)
            keep = ((done == 0) | ((done == 1) & (completion == tokenizer.eos_token_id))).long()
            attention = torch.cat([enc["attention_mask"], keep], 1)
            kl = _logprob_sum(policy, out, attention, start) - _logprob_sum(ref, out, attention, start)
        kls += kl.tolist()
        answers = tokenizer.batch_decode(completion * keep + tokenizer.pad_token_id * (1 - keep), skip_special_tokens=True)
        rewards += reward(chunk, [[{"role": "assistant", "content": a}] for a in answers])
    policy.train(was_training)
    return {"reward": sum(rewards) / len(rewards), "kl": sum(kls) / len(kls)}
