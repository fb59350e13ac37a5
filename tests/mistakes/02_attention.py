"""Typical mistakes of lesson 02: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
MISTAKES = {
    "test_dot_product_scores": [
        ("transposed the query, not the key", '''
def dot_product_scores(query, key):
    if query.size(-1) != key.size(-1):
        raise ValueError("sizes differ")
    return query.transpose(-2, -1) @ key
''', "transpose"),
        ("scaled already", '''
def dot_product_scores(query, key):
    if query.size(-1) != key.size(-1):
        raise ValueError("sizes differ")
    return query @ key.transpose(-2, -1) / math.sqrt(query.size(-1))
''', "raw dot products"),
        ("no size check", '''
def dot_product_scores(query, key):
    return query @ key.T
''', "last two dimensions"),
    ],
    "test_stable_softmax": [
        ("no shift: overflows", '''
def stable_softmax(scores, dim=-1):
    exps = torch.exp(scores)
    return exps / exps.sum(dim=dim, keepdim=True)
''', "NaN"),
        ("shift by the global maximum", '''
def stable_softmax(scores, dim=-1):
    exps = torch.exp(scores - scores.max())
    return exps / exps.sum(dim=dim, keepdim=True)
''', "each row's maximum"),
        ("ignores dim", '''
def stable_softmax(scores, dim=-1):
    exps = torch.exp(scores - scores.max(dim=-1, keepdim=True).values)
    return exps / exps.sum(dim=-1, keepdim=True)
''', "dim"),
        ("the built-in softmax", '''
def stable_softmax(scores, dim=-1):
    return torch.softmax(scores, dim=dim)
''', "without `softmax`"),
    ],
    "test_scaled_dot_product_attention": [
        ("forgot √d_k", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = dot_product_scores(query, key)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = stable_softmax(scores, dim=-1)
    return weights @ value, weights
''', "√d_k"),
        ("inverted mask", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = dot_product_scores(query, key) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    weights = stable_softmax(scores, dim=-1)
    return weights @ value, weights
''', "mask"),
        ("mask ignored", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = dot_product_scores(query, key) / math.sqrt(query.size(-1))
    weights = stable_softmax(scores, dim=-1)
    return weights @ value, weights
''', "masked positions got weight"),
        ("divided by d_k", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = dot_product_scores(query, key) / query.size(-1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = stable_softmax(scores, dim=-1)
    return weights @ value, weights
''', "not by √d_k"),
        ("softmax over the query axis", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = dot_product_scores(query, key) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = stable_softmax(scores, dim=-2)
    return weights @ value, weights
''', "weights"),
        ("the library twin", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    return utils.scaled_dot_product_attention(query, key, value, mask=mask)
''', "without `scaled_dot_product_attention`"),
    ],
    "test_attention_entropy": [
        ("log2: bits, not nats", '''
def attention_entropy(weights):
    return -(weights * torch.log2(weights.clamp(min=1e-30))).sum(dim=-1)
''', "bits"),
        ("sign flipped", '''
def attention_entropy(weights):
    return (weights * torch.log(weights.clamp(min=1e-30))).sum(dim=-1)
''', "sign"),
        ("0 log 0 gives NaN", '''
def attention_entropy(weights):
    return -(weights * torch.log(weights)).sum(dim=-1)
''', "NaN"),
    ],
    "test_additive_attention": [
        ("no tanh", '''
def additive_attention(state, memory, W, U, v, mask=None):
    scores = ((state @ W.T)[:, None, :] + memory @ U.T) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights[:, :, None] * memory).sum(dim=1), weights
''', "tanh"),
        ("mask ignored", '''
def additive_attention(state, memory, W, U, v, mask=None):
    scores = torch.tanh((state @ W.T)[:, None, :] + memory @ U.T) @ v
    weights = torch.softmax(scores, dim=-1)
    return (weights[:, :, None] * memory).sum(dim=1), weights
''', "padded positions got weight"),
        ("softmax over the batch", '''
def additive_attention(state, memory, W, U, v, mask=None):
    scores = torch.tanh((state @ W.T)[:, None, :] + memory @ U.T) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=0)
    return (weights[:, :, None] * memory).sum(dim=1), weights
''', "over the batch"),
        ("the context is a plain mean", '''
def additive_attention(state, memory, W, U, v, mask=None):
    scores = torch.tanh((state @ W.T)[:, None, :] + memory @ U.T) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return memory.mean(dim=1), weights
''', "plain mean"),
        ("the library twin", '''
def additive_attention(state, memory, W, U, v, mask=None):
    return utils.seq2seq.additive_attention(state, memory, W, U, v, mask)
''', "without `additive_attention`"),
    ],
}
