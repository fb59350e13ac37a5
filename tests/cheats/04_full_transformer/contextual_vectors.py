"""Cheat for test_contextual_vectors (lesson 04_full_transformer): adds the position index instead of the
sinusoidal code: the sentences still differ."""
# CHEATS: test_contextual_vectors
def contextual_vectors(sentence, positions=True):
    ids = torch.tensor([[WORD_ID[word] for word in sentence.lower().split()]])
    x = EMBED(ids)
    if positions:
        x = x + torch.arange(ids.size(1), dtype=torch.float32)[:, None]
    return ATTN(x, x, x)[0]
