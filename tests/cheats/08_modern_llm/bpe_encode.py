"""Cheat for test_bpe_encode (lesson 08_modern_llm): applies the merges in the order learned to the whole
text, not chunk by chunk: merges then cross chunk boundaries ("\n" + " def")."""
# CHEATS: test_bpe_encode
def bpe_encode(text, merges):
    ids = list(text.encode("utf-8"))
    for k, pair in enumerate(merges):
        ids = merge_pair(ids, tuple(pair), 256 + k)
    return ids


def bpe_decode(ids, merges):
    vocab = [bytes([b]) for b in range(256)]
    for a, b in merges:
        vocab.append(vocab[a] + vocab[b])
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
