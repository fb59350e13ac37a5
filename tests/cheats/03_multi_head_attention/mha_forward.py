"""Cheat for test_mha_forward (lesson 03_multi_head_attention): drops the biases: nn.MultiheadAttention starts
with zero biases, so only trained or randomised weights (the hidden tests) expose it."""
# CHEATS: test_mha_forward
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    def split(t):
        return t.view(t.size(0), t.size(1), mha.num_heads, t.size(2) // mha.num_heads).transpose(1, 2)
    out, weights = utils.scaled_dot_product_attention(split(query @ W_q.T), split(key @ W_k.T),
                                                      split(value @ W_v.T), mask=mask)
    return out.transpose(1, 2).reshape(query.shape) @ mha.out_proj.weight.T, weights
