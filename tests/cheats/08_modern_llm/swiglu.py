"""Cheat for test_swiglu (lesson 08_modern_llm): gate and up projections swapped: right only when w1 == w3."""
# CHEATS: test_swiglu
def swiglu(x, w1, w3, w2):
    return (F.silu(x @ w3.T) * (x @ w1.T)) @ w2.T
