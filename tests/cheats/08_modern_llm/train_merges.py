"""Cheat for test_train_merges (lesson 08_modern_llm): counts pairs across the whole text (no chunks, no
counts per chunk): right for one word only."""
# CHEATS: test_train_merges
from collections import Counter


def merge_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train_merges(text, num_merges):
    ids, merges = list(text.encode("utf-8")), []
    for k in range(num_merges):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        ids = merge_pair(ids, best, 256 + k)
    return merges
