"""Cheat for test_decoder_mask (lesson 04_full_transformer): the visible example's 4 x 4 triangle, hard-coded."""
# CHEATS: test_decoder_mask
def decoder_self_attention_mask(tgt_in, pad_id):
    triangle = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool)
    return triangle & (tgt_in != pad_id)[:, None, None, :]
