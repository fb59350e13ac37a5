"""Cheat for test_self_attention_mask (lesson 05_model_types): forgets padding: right only when every token is
real, as in the visible test."""
# CHEATS: test_self_attention_mask
def self_attention_mask(valid, causal):
    B, L = valid.shape
    mask = torch.ones(L, L, dtype=torch.bool)
    return (mask.tril() if causal else mask).expand(B, 1, L, L)
