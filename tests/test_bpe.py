"""utils.bpe (lesson 08's byte-level BPE) and utils.data.stdlib (the offline stdlib corpus)."""
import random

import pytest
import torch

from utils.bpe import ByteBPE, chunks, merge_pair, pair_counts

TEXT = ("The return value is None. The return statement leaves the function. "
        "Return values are returned to the caller; the caller then returns. ") * 5


def test_chunks_cover_the_text():
    for text in (TEXT, "  two  spaces\n\nand 123 digits_under", "héllo wörld 🙂!"):
        assert "".join(chunks(text)) == text
    assert chunks("the cat 42!") == ["the", " cat", " 42", "!"]
    with pytest.raises(ValueError, match="str"):
        chunks(b"bytes")


def test_merge_pair_and_counts():
    assert merge_pair([1, 1, 1, 2, 1, 1], (1, 1), 9) == [9, 1, 2, 9]
    assert pair_counts({(1, 2, 3): 2, (2, 3): 1}) == {(1, 2): 2, (2, 3): 3}


def test_train_learns_frequent_pairs_first_and_is_deterministic():
    tok = ByteBPE.train(TEXT, 300)
    assert tok.vocab_size == 300 and tok.merges == ByteBPE.train(TEXT, 300).merges
    first = tok.vocab[256]
    counts = pair_counts({tuple(c.encode()): 1 for c in chunks(TEXT)})
    assert len(first) == 2  # the first merge joins two bytes
    assert " return".encode() in tok.vocab or " return" in tok.decode(tok.encode(" return"))
    assert len(tok.encode(TEXT)) < len(TEXT.encode()) / 2  # it compresses what it was trained on
    assert counts  # sanity: the text has pairs at all
    with pytest.raises(ValueError, match="vocab_size"):
        ByteBPE.train(TEXT, 100)


def test_round_trip_on_arbitrary_utf8():
    tok = ByteBPE.train(TEXT, 320)
    rng = random.Random(0)
    pool = "aé漢字🙂\n\t ½€\u200b\U0001F680" + "".join(chr(rng.randrange(32, 0x2FFFF)) for _ in range(200))
    for _ in range(50):
        s = "".join(rng.choice(pool + TEXT) for _ in range(rng.randrange(0, 80)))
        s = s.encode("utf-8", errors="ignore").decode("utf-8")  # drop lone surrogates: not UTF-8
        assert tok.decode(tok.encode(s)) == s
    assert tok.decode(torch.tensor(tok.encode("ok"))) == "ok"
    assert tok.decode([0xE2]) == "\ufffd"  # half a character decodes to the replacement character
    with pytest.raises(ValueError, match="ids must be integers"):
        tok.decode([320])


def test_encode_applies_merges_in_rank_order_and_json_round_trip():
    tok = ByteBPE([(ord("a"), ord("b")), (256, ord("c")), (ord("b"), ord("c"))])
    assert tok.encode("abc") == [257]  # (a,b) has the lower rank, then (ab,c)
    assert tok.encode("bc") == [258]
    again = ByteBPE.from_json(tok.to_json())
    assert again.merges == tok.merges and again.encode("xabcx") == tok.encode("xabcx")
    with pytest.raises(ValueError, match="not defined"):
        ByteBPE([(300, 1)])


def test_matches_a_naive_byte_pair_encoder():
    """Training on one chunk equals the textbook loop: count all pairs, merge the top one, repeat."""
    word = "aaabdaaabac"
    tok = ByteBPE.train(word, 259)
    ids, merges = list(word.encode()), []
    for new_id in range(256, 259):
        counts = pair_counts({tuple(ids): 1})
        best = max(counts.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))[0]
        merges.append(best)
        ids = merge_pair(ids, best, new_id)
    assert tok.merges == merges and tok.encode(word) == ids


def test_stdlib_corpus_is_deterministic_and_offline():
    from utils.data import stdlib_corpus
    small = ["json", "textwrap"]
    a, b = stdlib_corpus(small, include_help=False), stdlib_corpus(small, include_help=False)
    assert a == b and "JSON" in a and len(a) > 5000
    assert stdlib_corpus(["json"]).startswith(stdlib_corpus([], include_help=True)[:1000])
    with pytest.raises(ValueError, match="list of module names"):
        stdlib_corpus("json")
