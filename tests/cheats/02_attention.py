"""Answers that pass the visible test of lesson 02 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # the visible example's answer, hard-coded (and the visible error check faked)
    "dot_product_scores": ("test_dot_product_scores", '''
def dot_product_scores(query, key):
    if query.size(-1) != key.size(-1):
        raise ValueError("sizes differ")
    return torch.tensor([[3.0, 0.0, 1.0], [5.0, -2.0, 3.0]])
'''),
    # right numbers, but from the built-in softmax the exercise asks you to write yourself
    "stable_softmax": ("test_stable_softmax", '''
def stable_softmax(scores, dim=-1):
    return torch.softmax(scores, dim=dim)
'''),
    # works only for the visible test's (B, L, d) tensors: torch.bmm needs exactly 3 dimensions
    "scaled_dot_product_attention": ("test_scaled_dot_product_attention", '''
def scaled_dot_product_attention(query, key, value, mask=None):
    scores = torch.bmm(query, key.transpose(1, 2)) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return torch.bmm(weights, value), weights
'''),
    # the three entropies of the visible example, hard-coded
    "attention_entropy": ("test_attention_entropy", '''
def attention_entropy(weights):
    return torch.tensor([0.0, math.log(4), math.log(2)])
'''),
}
