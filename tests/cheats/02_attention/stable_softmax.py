"""Cheat for test_stable_softmax (lesson 02_attention): right numbers, but from the built-in softmax the
exercise asks you to write yourself."""
# CHEATS: test_stable_softmax
def stable_softmax(scores, dim=-1):
    return torch.softmax(scores, dim=dim)
