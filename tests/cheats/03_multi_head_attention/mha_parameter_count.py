"""Cheat for test_mha_parameter_count (lesson 03_multi_head_attention): ignores `bias`: right for the visible
test's bias=True, wrong for bias=False."""
# CHEATS: test_mha_parameter_count
def mha_parameter_count(d_model, num_heads, bias=True):
    return 4 * d_model * d_model + 4 * d_model
