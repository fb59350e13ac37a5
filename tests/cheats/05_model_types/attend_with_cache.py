"""Cheat for test_attend_with_cache (lesson 05_model_types): scales by 2 = sqrt(4), the head size of the
visible test, instead of sqrt(d)."""
# CHEATS: test_attend_with_cache
def attend_with_cache(q, k, v, k_cache, v_cache):
    k_cache = torch.cat([k_cache, k], dim=2)
    v_cache = torch.cat([v_cache, v], dim=2)
    return torch.softmax(q @ k_cache.transpose(-2, -1) / 2, dim=-1) @ v_cache, k_cache, v_cache
