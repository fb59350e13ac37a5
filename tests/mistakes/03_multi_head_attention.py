"""Typical mistakes of lesson 03: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
MISTAKES = {
    "test_split_heads": [
        ("view straight to (B, H, L, d_head), no transpose", '''
def split_heads(x, num_heads):
    B, length, d_model = x.shape
    if d_model % num_heads != 0:
        raise ValueError(f"{d_model} is not divisible by {num_heads}")
    return x.reshape(B, num_heads, length, d_model // num_heads)
''', "without a transpose"),
        ("interleaved columns", '''
def split_heads(x, num_heads):
    B, length, d_model = x.shape
    if d_model % num_heads != 0:
        raise ValueError(f"{d_model} is not divisible by {num_heads}")
    return x.view(B, length, d_model // num_heads, num_heads).permute(0, 3, 1, 2)
''', "interleaved"),
        ("forgot the transpose", '''
def split_heads(x, num_heads):
    B, length, d_model = x.shape
    if d_model % num_heads != 0:
        raise ValueError(f"{d_model} is not divisible by {num_heads}")
    return x.view(B, length, num_heads, d_model // num_heads)
''', "transpose(1, 2)"),
        ("no ValueError", '''
def split_heads(x, num_heads):
    B, length, d_model = x.shape
    return x.view(B, length, num_heads, -1).transpose(1, 2)
''', "should raise a ValueError"),
        ("the library twin", '''
def split_heads(x, num_heads):
    return utils.MultiHeadAttention(x.size(-1), num_heads).split_heads(x)
''', "without `split_heads`"),
    ],
    "test_merge_heads": [
        ("reshape without moving the head axis back", '''
def merge_heads(x):
    B, num_heads, length, d_head = x.shape
    return x.reshape(B, length, num_heads * d_head)
''', "transpose(1, 2) first"),
        ("wrong permutation", '''
def merge_heads(x):
    B, num_heads, length, d_head = x.shape
    return x.permute(0, 2, 3, 1).reshape(B, length, num_heads * d_head)
''', "wrong permutation"),
        ("view after transpose, no contiguous", '''
def merge_heads(x):
    B, num_heads, length, d_head = x.shape
    return x.transpose(1, 2).view(B, length, num_heads * d_head)
''', "contiguous"),
    ],
    "test_multi_head_attend": [
        ("ignores the mask", '''
def multi_head_attend(q, k, v, num_heads, mask=None):
    out, weights = utils.scaled_dot_product_attention(
        split_heads(q, num_heads), split_heads(k, num_heads), split_heads(v, num_heads))
    return merge_heads(out), weights
''', "mask was ignored"),
        ("inverted mask", '''
def multi_head_attend(q, k, v, num_heads, mask=None):
    out, weights = utils.scaled_dot_product_attention(
        split_heads(q, num_heads), split_heads(k, num_heads), split_heads(v, num_heads),
        mask=None if mask is None else ~mask)
    return merge_heads(out), weights
''', "inverted"),
        ("scaled by √d_model", '''
def multi_head_attend(q, k, v, num_heads, mask=None):
    scale = math.sqrt(q.size(-1) // num_heads) / math.sqrt(q.size(-1))
    out, weights = utils.scaled_dot_product_attention(
        split_heads(q * scale, num_heads), split_heads(k, num_heads), split_heads(v, num_heads), mask=mask)
    return merge_heads(out), weights
''', "√d_head"),
        ("merged without the transpose", '''
def multi_head_attend(q, k, v, num_heads, mask=None):
    out, weights = utils.scaled_dot_product_attention(
        split_heads(q, num_heads), split_heads(k, num_heads), split_heads(v, num_heads), mask=mask)
    return out.reshape(q.shape), weights
''', "merged without"),
    ],
    "test_mha_forward": [
        ("drops every bias", '''
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    out, weights = multi_head_attend(query @ W_q.T, key @ W_k.T, value @ W_v.T, mha.num_heads, mask=mask)
    return out @ mha.out_proj.weight.T, weights
''', "bias"),
        ("drops the output bias", '''
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
    q, k, v = F.linear(query, W_q, b_q), F.linear(key, W_k, b_k), F.linear(value, W_v, b_v)
    out, weights = multi_head_attend(q, k, v, mha.num_heads, mask=mask)
    return out @ mha.out_proj.weight.T, weights
''', "output projection's bias"),
        ("ignores the mask", '''
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
    q, k, v = F.linear(query, W_q, b_q), F.linear(key, W_k, b_k), F.linear(value, W_v, b_v)
    out, weights = multi_head_attend(q, k, v, mha.num_heads)
    return mha.out_proj(out), weights
''', "mask was ignored"),
        ("PyTorch's mask convention", '''
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
    q, k, v = F.linear(query, W_q, b_q), F.linear(key, W_k, b_k), F.linear(value, W_v, b_v)
    out, weights = multi_head_attend(q, k, v, mha.num_heads, mask=None if mask is None else ~mask)
    return mha.out_proj(out), weights
''', "inverted"),
        ("x @ W instead of x @ W.T", '''
def mha_forward(query, key, value, mha, mask=None):
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
    out, weights = multi_head_attend(query @ W_q + b_q, key @ W_k + b_k, value @ W_v + b_v, mha.num_heads, mask=mask)
    return mha.out_proj(out), weights
''', "transposed"),
        ("calls the module itself", '''
def mha_forward(query, key, value, mha, mask=None):
    return mha(query, key, value, attn_mask=None if mask is None else ~mask, average_attn_weights=False)
''', "by hand"),
    ],
    "test_mha_parameter_count": [
        ("no biases", '''
def mha_parameter_count(d_model, num_heads, bias=True):
    return 4 * d_model * d_model
''', "biases are missing"),
        ("ignores bias=False", '''
def mha_parameter_count(d_model, num_heads, bias=True):
    return 4 * d_model * d_model + 4 * d_model
''', "bias=False"),
        ("per head", '''
def mha_parameter_count(d_model, num_heads, bias=True):
    return num_heads * (4 * d_model * d_model + (4 * d_model if bias else 0))
''', "number of heads"),
        ("forgot the output projection", '''
def mha_parameter_count(d_model, num_heads, bias=True):
    return 3 * d_model * d_model + (3 * d_model if bias else 0)
''', "output projection"),
    ],
    "test_mha_flops": [
        ("multiply-adds, not FLOPs", '''
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    projections = batch * d_model * d_model * (2 * len_q + 2 * len_k)
    attention = 2 * batch * len_q * len_k * d_model
    return projections + attention
''', "multiply-adds"),
        ("self-attention only", '''
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    return 8 * batch * len_q * d_model ** 2 + 4 * batch * len_q ** 2 * d_model
''', "len_k"),
        ("attention times the heads", '''
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    projections = 2 * batch * d_model * d_model * (2 * len_q + 2 * len_k)
    return projections + 4 * batch * len_q * len_k * d_model * num_heads
''', "num_heads"),
        ("no output projection", '''
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    return 2 * batch * d_model * d_model * (len_q + 2 * len_k) + 4 * batch * len_q * len_k * d_model
''', "output projection"),
    ],
}
