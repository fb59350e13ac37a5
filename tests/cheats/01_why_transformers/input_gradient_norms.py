"""Cheat for test_input_gradient_norms (lesson 01_why_transformers): the exact answer of the visible test,
whatever the network."""
# CHEATS: test_input_gradient_norms
def input_gradient_norms(network, xs):
    return torch.tensor([0.0] * (len(xs) - 1) + [4.0])
