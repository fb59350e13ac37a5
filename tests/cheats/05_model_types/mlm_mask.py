"""Cheat for test_mlm_mask (lesson 05_model_types): 80% <mask>, 20% unchanged: never a random token."""
# CHEATS: test_mlm_mask
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    to_mask = chosen & (torch.rand(tokens.shape, generator=generator) < 0.8)
    return tokens.masked_fill(to_mask, mask_id), tokens.masked_fill(~chosen, -100)
