"""Cheat for test_apply_rope (lesson 08_modern_llm): the "rotate half" layout (GPT-NeoX) instead of
interleaved pairs: identical for head_dim 2 only."""
# CHEATS: test_apply_rope
def apply_rope(x, positions, base=10000.0):
    hd = x.size(-1)
    theta = base ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    angle = positions.to(torch.float32)[:, None] * theta
    cos, sin = angle.cos(), angle.sin()
    first, second = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1)
