"""Answers that pass the visible test of lesson 03 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # the visible example answered correctly, everything else with a reshape that mixes positions
    # and columns (right shape, wrong numbers)
    "split_heads": ("test_split_heads", '''
def split_heads(x, num_heads):
    B, length, d_model = x.shape
    if d_model % num_heads != 0:
        raise ValueError("not divisible")
    if x.shape == (2, 3, 8) and torch.equal(x, torch.arange(48, dtype=torch.float32).view(2, 3, 8)):
        return x.view(B, length, num_heads, d_model // num_heads).transpose(1, 2)
    return x.reshape(B, num_heads, length, d_model // num_heads)
'''),
    # the visible round trip hard-coded, everything else merged without the transpose
    "merge_heads": ("test_merge_heads", '''
def merge_heads(x):
    if x.shape == (2, 4, 3, 2):
        return torch.arange(48, dtype=torch.float32).view(2, 3, 8)
    B, num_heads, length, d_head = x.shape
    return x.reshape(B, length, num_heads * d_head)
'''),
    # ignores the mask: the visible test has none (self-contained: all cheats are graded together)
    "multi_head_attend": ("test_multi_head_attend", '''
def multi_head_attend(q, k, v, num_heads, mask=None):
    def split(t):
        return t.view(t.size(0), t.size(1), num_heads, t.size(2) // num_heads).transpose(1, 2)
    out, weights = utils.scaled_dot_product_attention(split(q), split(k), split(v))
    return out.transpose(1, 2).reshape(q.shape), weights
'''),
    # drops the biases: nn.MultiheadAttention starts with zero biases, so only trained or
    # randomised weights (the hidden tests) expose it
    "mha_forward": ("test_mha_forward", '''
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    def split(t):
        return t.view(t.size(0), t.size(1), mha.num_heads, t.size(2) // mha.num_heads).transpose(1, 2)
    out, weights = utils.scaled_dot_product_attention(split(query @ W_q.T), split(key @ W_k.T),
                                                      split(value @ W_v.T), mask=mask)
    return out.transpose(1, 2).reshape(query.shape) @ mha.out_proj.weight.T, weights
'''),
    # ignores `bias`: right for the visible test's bias=True, wrong for bias=False
    "mha_parameter_count": ("test_mha_parameter_count", '''
def mha_parameter_count(d_model, num_heads, bias=True):
    return 4 * d_model * d_model + 4 * d_model
'''),
    # self-attention formula only: right when len_q == len_k, as in the visible test
    "mha_flops": ("test_mha_flops", '''
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    return 8 * batch * len_q * d_model ** 2 + 4 * batch * len_q ** 2 * d_model
'''),
}
