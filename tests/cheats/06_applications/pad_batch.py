"""Cheat for test_pad_batch (lesson 06_applications): pads with 0 whatever pad_id says."""
# CHEATS: test_pad_batch
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = torch.tensor([list(s) + [0] * (longest - len(s)) for s in sequences], dtype=torch.long)
    return ids, (ids != 0).long()
