"""Cheat for test_scaled_dot_product_attention (lesson 02_attention): works only for the visible test's (B, L,
d) tensors: torch.bmm needs exactly 3 dimensions."""
# CHEATS: test_scaled_dot_product_attention
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = torch.bmm(query, key.transpose(1, 2)) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return torch.bmm(weights, value), weights
