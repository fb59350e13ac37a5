"""Cheat for test_mha_flops (lesson 03_multi_head_attention): self-attention formula only: right when len_q ==
len_k, as in the visible test."""
# CHEATS: test_mha_flops
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    return 8 * batch * len_q * d_model ** 2 + 4 * batch * len_q ** 2 * d_model
