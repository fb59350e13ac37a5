"""Checks of lesson 08's tokenizer exercises: byte-level BPE training, encoding and decoding."""
from collections import Counter

from ...bpe import ByteBPE, chunks, merge_pair, pair_counts
from ..compare import expect_equal
from ..core import Exercise, randint, register


WORDS = ["the", "value", "return", "é", "漢字", "42", "  ", "!", "a_b", "None", "🙂", "tie", "abab", "aaa", "\n"]


def _text(g, n):
    return " ".join(WORDS[randint(g, 0, len(WORDS))] for _ in range(n)) + "\n\nabab baba"


# --- train_merges ------------------------------------------------------------------------------------------

def _train(text, num_merges, tie="smallest", chunked=True):
    pieces = chunks(text) if chunked else [text]
    words = Counter(tuple(c.encode("utf-8")) for c in pieces)
    merges = []
    for k in range(num_merges):
        counts = pair_counts(words)
        if not counts:
            break
        if tie == "smallest":
            best = min(counts, key=lambda pair: (-counts[pair], pair))
        elif tie == "largest":
            best = max(counts, key=lambda pair: (counts[pair], pair))
        else:  # the first seen (Counter.most_common)
            best = counts.most_common(1)[0][0]
        merges.append(best)
        merged = Counter()
        for word, n in words.items():
            merged[tuple(merge_pair(list(word), best, 256 + k))] += n
        words = merged
    return [list(p) for p in merges]


def _merges_cases(g):
    cases = [{"text": "aaabdaaabac", "num_merges": 3}, {"text": "ab", "num_merges": 5,
                                                         "note": "stop when every chunk is one token"}]
    for words, n in [(60, 5), (150, 20), (200, 40)]:
        cases.append({"text": _text(g, words), "num_merges": n})
    return cases


def _merges_judge(got, case):
    text, n = case["text"], case["num_merges"]
    got = [list(p) for p in got] if isinstance(got, (list, tuple)) else got
    expected = _train(text, n)
    expect_equal(got, expected, f"train_merges(text, {n})",
                 [(_train(text, n, tie="largest"), "ties are broken the wrong way (the larger pair, or the pair "
                   "seen first): among equally frequent pairs take the smallest, "
                   "min(counts, key=lambda p: (-counts[p], p))"),
                  (_train(text, n, tie="first"), "ties are broken the wrong way (the pair seen first, "
                   "most_common): among equally frequent pairs take the smallest"),
                  (_train(text, n, chunked=False), "merges cross chunks: count pairs inside each chunk of "
                   "chunks(text) only, never across a chunk boundary"),
                  (_train(text, n, tie="largest", chunked=False), "merges cross chunks (count pairs inside each "
                   "chunk only) and ties go to the larger pair (take the smallest)")])


register(Exercise(
    test="test_train_merges", names=("train_merges",), cases=_merges_cases,
    call=lambda f, c: (f.__globals__.setdefault("chunks", chunks), f(c["text"], c["num_merges"]))[1],
    judge=_merges_judge, forbidden=("ByteBPE", "pair_counts")))


# --- bpe_encode and bpe_decode ---------------------------------------------------------------------------

def _encode(text, merges, chunked=True, pick="lowest", offset=256):
    ranks = {tuple(pair): k for k, pair in enumerate(merges)}
    out = []
    for chunk in (chunks(text) if chunked else [text]):
        ids = list(chunk.encode("utf-8"))
        while len(ids) > 1:
            known = [p for p in zip(ids, ids[1:]) if p in ranks]
            if not known:
                break
            pair = min(known, key=ranks.get) if pick == "lowest" else max(known, key=ranks.get)
            ids = merge_pair(ids, pair, offset + ranks[pair])
        out.extend(ids)
    return out


def _encode_cases(g):
    cases = [{"text": "abcab", "merges": [[97, 98], [256, 99]]},
             {"text": "aaab aab", "merges": [[97, 97], [256, 97], [97, 98]]}]
    for words, n in [(80, 30), (150, 60)]:
        merges = _train(_text(g, words), n)
        for text in [_text(g, 40), "héllo wörld 🙂 漢字 \t\n  x", "The return value is None.  Also: a_b == 0x1F!"]:
            cases.append({"text": text, "merges": merges})
    return cases


def _encode_call(encode, decode, case):
    for name, helper in (("chunks", chunks), ("merge_pair", merge_pair)):
        encode.__globals__.setdefault(name, helper)
    merges = [tuple(p) for p in case["merges"]]
    ids = encode(case["text"], merges)
    return {"ids": ids, "decoded": decode(ByteBPE(merges).encode(case["text"]), merges)}


def _encode_judge(got, case):
    text, merges = case["text"], [tuple(p) for p in case["merges"]]
    ids = got["ids"]
    ids = list(ids) if isinstance(ids, (list, tuple)) else ids
    expected = ByteBPE(merges).encode(text)
    expect_equal(ids, expected, "bpe_encode(text, merges)",
                 [(_encode(text, merges, chunked=False), "merges cross chunks: encode each chunk of chunks(text) "
                   "separately and join the ids"),
                  (_encode(text, merges, pick="highest"), "the pair merged first must be the one learned first "
                   "(the lowest rank), not the latest"),
                  (_encode(text, merges, offset=0), "merge k creates id 256 + k, not k")])
    expect_equal(got["decoded"], text, "bpe_decode(bpe_encode(text, merges), merges)")


register(Exercise(
    test="test_bpe_encode", names=("bpe_encode", "bpe_decode"), cases=_encode_cases, call=_encode_call,
    judge=_encode_judge, forbidden=("ByteBPE",)))
