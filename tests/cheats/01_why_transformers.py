"""Answers that pass the visible test of lesson 01 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
rnn_cell_step and rnn_unroll have none: their visible tests already compare with PyTorch on random
weights, so no hard-coded answer passes them.
"""
CHEATS = {
    # the exact answer of the visible test, whatever the network
    "input_gradient_norms": ("test_input_gradient_norms", '''
def input_gradient_norms(network, xs):
    return torch.tensor([0.0] * (len(xs) - 1) + [4.0])
'''),
    # right shapes and dtypes, first token = target, but no real keys or fillers
    "make_recall_batch": ("test_make_recall_batch", '''
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    return torch.zeros(batch_size, distance + 1, dtype=torch.long), torch.zeros(batch_size, dtype=torch.long)
'''),
}
