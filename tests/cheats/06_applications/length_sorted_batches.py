"""Cheat for test_length_sorted_batches (lesson 06_applications):
sorts by length but breaks ties the wrong way (unstable), and chunks correctly."""
# CHEATS: test_length_sorted_batches
def length_sorted_batches(lengths, batch_size):
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], -i))
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
