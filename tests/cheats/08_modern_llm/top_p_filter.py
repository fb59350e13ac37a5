"""Cheat for test_top_p_filter (lesson 08_modern_llm): assumes the logits are already sorted, most likely
first."""
# CHEATS: test_top_p_filter
def top_p_filter(logits, top_p):
    probs = logits.softmax(dim=-1)
    before = probs.cumsum(dim=-1) - probs
    return logits.masked_fill(before >= top_p, float("-inf"))
