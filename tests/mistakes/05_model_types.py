"""Typical mistakes of lesson 05: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
MISTAKES = {
    "test_next_token_blocks": [
        ("targets not shifted", '''
def next_token_blocks(data, starts, block_size):
    x = torch.stack([data[s: s + block_size] for s in starts.tolist()])
    return x, x.clone()
''', "shifted by one"),
        ("targets one short", '''
def next_token_blocks(data, starts, block_size):
    x = torch.stack([data[s: s + block_size] for s in starts.tolist()])
    y = torch.stack([data[s + 1: s + block_size] for s in starts.tolist()])
    return x, y
''', "one token short"),
        ("inputs and targets swapped", '''
def next_token_blocks(data, starts, block_size):
    x = torch.stack([data[s: s + block_size] for s in starts.tolist()])
    y = torch.stack([data[s + 1: s + block_size + 1] for s in starts.tolist()])
    return y, x
''', "x is shifted by one"),
        ("inputs one too long", '''
def next_token_blocks(data, starts, block_size):
    x = torch.stack([data[s: s + block_size + 1] for s in starts.tolist()])
    y = torch.stack([data[s + 1: s + block_size + 2] for s in starts.tolist()])
    return x, y
''', "block_size + 1"),
    ],
    "test_self_attention_mask": [
        ("causal mask includes the future (triu)", '''
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = valid[:, None, None, :].expand(B, 1, L, L)
    if causal:
        mask = mask & torch.ones(L, L, dtype=torch.bool).triu()
    return mask
''', "includes the future"),
        ("padding ignored", '''
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = torch.ones(B, 1, L, L, dtype=torch.bool)
    return mask.tril() if causal else mask
''', "padding is not hidden"),
        ("padding on the query axis", '''
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = valid[:, None, :, None].expand(B, 1, L, L)
    if causal:
        mask = mask & torch.ones(L, L, dtype=torch.bool).tril()
    return mask
''', "query axis"),
        ("diagonal excluded", '''
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = valid[:, None, None, :].expand(B, 1, L, L)
    if causal:
        mask = mask & torch.ones(L, L, dtype=torch.bool).tril(-1)
    return mask
''', "diagonal"),
        ("0/1 integers instead of booleans", '''
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = valid[:, None, None, :].expand(B, 1, L, L).long()
    if causal:
        mask = mask * torch.ones(L, L, dtype=torch.long).tril()
    return mask
''', "boolean"),
    ],
    "test_attend_with_cache": [
        ("appended on the feature axis", '''
def attend_with_cache(q, k, v, k_cache, v_cache):
    k_cache = torch.cat([k_cache, k], dim=-1)
    v_cache = torch.cat([v_cache, v], dim=-1)
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.size(-1))
    return torch.softmax(scores, dim=-1) @ v_cache, k_cache, v_cache
''', "dim=2"),
        ("appended along the heads", '''
def attend_with_cache(q, k, v, k_cache, v_cache):
    k_cache = torch.cat([k_cache, k], dim=1)
    v_cache = torch.cat([v_cache, v], dim=1)
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.size(-1))
    return torch.softmax(scores, dim=-1) @ v_cache, k_cache, v_cache
''', "dim=2"),
        ("forgot √d", '''
def attend_with_cache(q, k, v, k_cache, v_cache):
    k_cache = torch.cat([k_cache, k], dim=2)
    v_cache = torch.cat([v_cache, v], dim=2)
    return torch.softmax(q @ k_cache.transpose(-2, -1), dim=-1) @ v_cache, k_cache, v_cache
''', "√d"),
        ("attends before appending", '''
def attend_with_cache(q, k, v, k_cache, v_cache):
    keys, values = torch.cat([k_cache, k], dim=2), torch.cat([v_cache, v], dim=2)
    if k_cache.size(2) == 0:
        k_cache, v_cache = keys, values
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.size(-1))
    return torch.softmax(scores, dim=-1) @ v_cache, keys, values
''', "attend to itself"),
        ("new entry prepended", '''
def attend_with_cache(q, k, v, k_cache, v_cache):
    k_cache = torch.cat([k, k_cache], dim=2)
    v_cache = torch.cat([v, v_cache], dim=2)
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.size(-1))
    return torch.softmax(scores, dim=-1) @ v_cache, k_cache, v_cache
''', "put first"),
    ],
    "test_sampling_probs": [
        ("no temperature", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)
''', "temperature is ignored"),
        ("multiplied by the temperature", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    logits = logits * temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)
''', "multiplied by the temperature"),
        ("top-k keeps k+1", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, min(top_k + 1, logits.size(-1)), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)
''', "k+1"),
        ("top-k keeps k-1 (<= kth)", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits <= kth, float("-inf"))
    return torch.softmax(logits, dim=-1)
''', "k-1"),
        ("zeroed after the softmax, not renormalised", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(probs, top_k, dim=-1).values[:, -1:]
        probs = probs.masked_fill(probs < kth, 0.0)
    return probs
''', "renormalising"),
        ("top_k larger than the vocabulary crashes", '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)
''', "every token is kept"),
    ],
    "test_mlm_mask": [
        ("mask_prob ignored: the wrong ratio", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < 0.15
    action = torch.rand(tokens.shape, generator=generator)
    random_tokens = torch.randint(0, vocab_size, tokens.shape, generator=generator)
    inputs = tokens.masked_fill(chosen & (action < 0.8), mask_id)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_tokens, inputs)
    return inputs, tokens.masked_fill(~chosen, -100)
''', "mask_prob seems ignored"),
        ("never a random token", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    to_mask = chosen & (torch.rand(tokens.shape, generator=generator) < 0.8)
    return tokens.masked_fill(to_mask, mask_id), tokens.masked_fill(~chosen, -100)
''', "never replaced by a random token"),
        ("independent draws: 80/2/18", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    to_mask = chosen & (torch.rand(tokens.shape, generator=generator) < 0.8)
    to_random = chosen & ~to_mask & (torch.rand(tokens.shape, generator=generator) < 0.1)
    random_tokens = torch.randint(0, vocab_size, tokens.shape, generator=generator)
    inputs = torch.where(to_random, random_tokens, tokens.masked_fill(to_mask, mask_id))
    return inputs, tokens.masked_fill(~chosen, -100)
''', "wrong ratio"),
        ("labels 0 instead of -100", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    action = torch.rand(tokens.shape, generator=generator)
    random_tokens = torch.randint(0, vocab_size, tokens.shape, generator=generator)
    inputs = tokens.masked_fill(chosen & (action < 0.8), mask_id)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_tokens, inputs)
    return inputs, tokens.masked_fill(~chosen, 0)
''', "-100"),
        ("modifies tokens in place", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    labels = tokens.masked_fill(~chosen, -100)
    action = torch.rand(tokens.shape, generator=generator)
    random_tokens = torch.randint(0, vocab_size, tokens.shape, generator=generator)
    tokens[chosen & (action < 0.8)] = mask_id
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    tokens[to_random] = random_tokens[to_random]
    return tokens, labels
''', "in place"),
        ("ignores the generator", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape) < mask_prob
    action = torch.rand(tokens.shape)
    random_tokens = torch.randint(0, vocab_size, tokens.shape)
    inputs = tokens.masked_fill(chosen & (action < 0.8), mask_id)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_tokens, inputs)
    return inputs, tokens.masked_fill(~chosen, -100)
''', "generator"),
        ("random tokens from a few ids", '''
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    action = torch.rand(tokens.shape, generator=generator)
    random_tokens = torch.randint(0, 10, tokens.shape, generator=generator)
    inputs = tokens.masked_fill(chosen & (action < 0.8), mask_id)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_tokens, inputs)
    return inputs, tokens.masked_fill(~chosen, -100)
''', "whole vocabulary"),
    ],
}
