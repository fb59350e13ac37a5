"""Cheat for test_greedy_translate (lesson 04_full_transformer): calls the library's loop instead of writing
one."""
# CHEATS: test_greedy_translate
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    return model.greedy_decode(src[None], bos_id, eos_id, max_len)[0].tolist()
