"""Cheat for test_gqa_attention (lesson 08_modern_llm): tiles the key/value heads (repeat) instead of grouping
them (repeat_interleave): right with one kv head."""
# CHEATS: test_gqa_attention
def gqa_attention(q, k, v):
    group = q.size(1) // k.size(1)
    k, v = k.repeat(1, group, 1, 1), v.repeat(1, group, 1, 1)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)
