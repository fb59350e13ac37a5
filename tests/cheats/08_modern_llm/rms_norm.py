"""Cheat for test_rms_norm (lesson 08_modern_llm): LayerNorm without bias: equal to RMSNorm only on inputs
whose mean is 0."""
# CHEATS: test_rms_norm
def rms_norm(x, weight, eps=1e-6):
    centred = x - x.mean(dim=-1, keepdim=True)
    return centred * torch.rsqrt(centred.pow(2).mean(dim=-1, keepdim=True) + eps) * weight
