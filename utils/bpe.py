"""A byte-level BPE tokenizer in plain Python: train merges, encode, decode (any UTF-8 round-trips).

Ids 0-255 are the 256 bytes, so every string has an encoding and nothing is ever unknown; each
merge learned in training adds one id (256, 257, ...) for the pair of ids it joins. Text is first
split into chunks (a word with its leading space, a run of digits, of punctuation or of spaces) and
merges never cross a chunk, as in GPT-2.

    tok = ByteBPE.train(text, vocab_size=512)
    ids = tok.encode("héllo wörld 🙂")       # list of ints
    assert tok.decode(ids) == "héllo wörld 🙂"

Training is deterministic: ties between equally frequent pairs go to the smallest pair.
"""
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping

# A word with an optional leading space, digits, other symbols, or whitespace (GPT-2's idea with `re`).
CHUNK = re.compile(r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+|_+")


def chunks(text: str) -> list[str]:
    """text -> the list of chunks merges stay inside; ''.join(chunks(text)) == text."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return CHUNK.findall(text)


def pair_counts(words: Mapping[tuple[int, ...], int]) -> Counter:
    """{tuple of ids: count} -> Counter of adjacent id pairs, weighted by how often each word occurs."""
    counts = Counter()
    for word, n in words.items():
        for pair in zip(word, word[1:]):
            counts[pair] += n
    return counts


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every non-overlapping occurrence of pair (left to right) in the list ids by new_id."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


class ByteBPE:
    """Byte-level BPE: `merges` is the ordered list of learned pairs; merge k makes id 256 + k."""

    def __init__(self, merges: Iterable[tuple[int, int]] = ()):
        self.merges = [tuple(p) for p in merges]
        self.ranks = {pair: i for i, pair in enumerate(self.merges)}
        self.vocab = [bytes([b]) for b in range(256)]  # id -> bytes
        for a, b in self.merges:
            if a >= len(self.vocab) or b >= len(self.vocab):
                raise ValueError(f"merge {(a, b)} uses an id not defined before it")
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self._cache = {}

    @classmethod
    def train(cls, text: str, vocab_size: int, progress: bool = False) -> "ByteBPE":
        """Learn vocab_size - 256 merges from text: repeatedly join the most frequent adjacent pair."""
        if not isinstance(vocab_size, int) or vocab_size < 256:
            raise ValueError(f"vocab_size must be an integer >= 256 (the 256 bytes), got {vocab_size!r}")
        words = Counter(tuple(c.encode("utf-8")) for c in chunks(text))  # {ids: count}
        merges = []
        steps = range(vocab_size - 256)
        if progress:
            from tqdm.auto import tqdm
            steps = tqdm(steps, desc="BPE merges", leave=False)
        for step in steps:
            counts = pair_counts(words)
            if not counts:
                break  # every chunk is a single token already
            best = max(counts.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))[0]
            new_id = 256 + step
            merges.append(best)
            new_words = Counter()
            for word, n in words.items():
                new_words[tuple(merge_pair(list(word), best, new_id)) if best[0] in word else word] += n
            words = new_words
        return cls(merges)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def _encode_chunk(self, chunk):
        if chunk in self._cache:
            return self._cache[chunk]
        ids = list(chunk.encode("utf-8"))
        while len(ids) > 1:
            ranked = [(self.ranks.get(p, len(self.ranks)), p) for p in zip(ids, ids[1:])]
            rank, pair = min(ranked)
            if rank == len(self.ranks):
                break  # no learned merge applies
            ids = merge_pair(ids, pair, 256 + rank)
        if len(self._cache) < 100_000:
            self._cache[chunk] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """str -> list of ids (applies merges in the order they were learned, inside each chunk)."""
        return [i for c in chunks(text) for i in self._encode_chunk(c)]

    def decode(self, ids: Iterable[int]) -> str:
        """ids -> str; byte sequences that are not valid UTF-8 (a cut-off character) become U+FFFD."""
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        bad = [i for i in ids if not isinstance(i, int) or not 0 <= i < len(self.vocab)]
        if bad:
            raise ValueError(f"ids must be integers in [0, {len(self.vocab)}), got {bad[:5]}")
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")

    def token_bytes(self, i: int) -> bytes:
        return self.vocab[i]

    def to_json(self) -> str:
        return json.dumps({"merges": self.merges})

    @classmethod
    def from_json(cls, text: str) -> "ByteBPE":
        return cls(json.loads(text)["merges"])

    def __repr__(self):
        return f"ByteBPE(vocab_size={self.vocab_size}, merges={len(self.merges)})"
