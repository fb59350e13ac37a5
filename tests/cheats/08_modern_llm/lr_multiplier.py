"""Cheat for test_lr_multiplier (lesson 08_modern_llm): progress not capped at 1: after total_steps the
learning rate climbs back up the cosine."""
# CHEATS: test_lr_multiplier
def lr_multiplier(step, warmup_steps, total_steps, min_ratio=0.1):
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
