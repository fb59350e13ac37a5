"""Cheat for test_sampling_probs (lesson 05_model_types): applies the temperature only together with top-k."""
# CHEATS: test_sampling_probs
def sampling_probs(logits, temperature=1.0, top_k=None):
    if top_k is None:
        return torch.softmax(logits, dim=-1)
    logits = logits / temperature
    kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
    return torch.softmax(logits.masked_fill(logits < kth, float("-inf")), dim=-1)
