"""Answers that pass the visible test of lesson 05 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # the exact tensors the visible test expects, whatever the data
    "next_token_blocks": ("test_next_token_blocks", '''
def next_token_blocks(data, starts, block_size):
    x = torch.tensor([[100, 101, 102, 103], [105, 106, 107, 108]])
    return x, x + 1
'''),
    # forgets padding: right only when every token is real, as in the visible test
    "self_attention_mask": ("test_self_attention_mask", '''
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = torch.ones(L, L, dtype=torch.bool)
    return (mask.tril() if causal else mask).expand(B, 1, L, L)
'''),
    # scales by 2 = sqrt(4), the head size of the visible test, instead of sqrt(d)
    "attend_with_cache": ("test_attend_with_cache", '''
def attend_with_cache(q, k, v, k_cache, v_cache):
    k_cache = torch.cat([k_cache, k], dim=2)
    v_cache = torch.cat([v_cache, v], dim=2)
    return torch.softmax(q @ k_cache.transpose(-2, -1) / 2, dim=-1) @ v_cache, k_cache, v_cache
'''),
    # applies the temperature only together with top-k
    "sampling_probs": ("test_sampling_probs", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    if top_k is None:
        return torch.softmax(logits, dim=-1)
    logits = logits / temperature
    kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
    return torch.softmax(logits.masked_fill(logits < kth, float("-inf")), dim=-1)
'''),
    # 80% <mask>, 20% unchanged: never a random token
    "mlm_mask": ("test_mlm_mask", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    to_mask = chosen & (torch.rand(tokens.shape, generator=generator) < 0.8)
    return tokens.masked_fill(to_mask, mask_id), tokens.masked_fill(~chosen, -100)
'''),
}
