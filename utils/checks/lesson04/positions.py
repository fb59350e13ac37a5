"""Checks of lesson 04's position exercises: the sinusoidal table and contextual vectors."""
import math

import torch
import torch.nn as nn

from ...attention import MultiHeadAttention
from ...positional import sinusoidal_positional_encoding
from ..compare import expect_tensor
from ..core import CheckFailed, Exercise, randint, register


WORDS = ["cats", "dogs", "mice", "chase", "fear", "see"]  # lesson 04's six-word vocabulary
D = 16


# --- positional_encoding ------------------------------------------------------------------------------------

def _pe_cases(g):
    sizes = [(50, 16), (1, 2), (7, 4), (128, 64), (300, 32), (20, 6), (40, 10)]
    sizes.append((int(torch.randint(2, 200, (1,), generator=g)), 2 * int(torch.randint(1, 40, (1,), generator=g))))
    return [{"max_len": m, "d_model": d} for m, d in sizes]


def _pe_variant(max_len, d, exponent=lambda two_i, d: two_i / d, swap=False, start=0):
    position = torch.arange(start, start + max_len, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, d, 2, dtype=torch.float64)
    angles = position / 10000 ** exponent(two_i, d)
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = ((torch.cos(angles), torch.sin(angles)) if swap
                                else (torch.sin(angles), torch.cos(angles)))
    return pe.float()


def _pe_judge(got, c):
    m, d = c["max_len"], c["d_model"]
    mistakes = [
        (_pe_variant(m, d, swap=True), "sin and cos are swapped: even columns (0, 2, ...) hold the sines, "
         "odd columns the cosines"),
        (sinusoidal_positional_encoding(m, d, layout="halves"), "all the sines come first, then all the cosines: "
         "interleave them, sines in columns 0::2 and cosines in 1::2"),
        (_pe_variant(m, d, exponent=lambda two_i, d: two_i / 2 / d), "the exponent is i/d; the formula's "
         "exponent is 2i/d, where 2i is the even column index (0, 2, 4, ...)"),
        (_pe_variant(m, d, exponent=lambda two_i, d: 2 * two_i / d), "the exponent is 2·(2i)/d: the even column "
         "index 2i (0, 2, 4, ...) is already 2i, so the exponent is column / d_model"),
        (_pe_variant(m, d, exponent=lambda two_i, d: -two_i / d), "the exponent's sign is flipped: divide the "
         "position by 10000^(2i/d), do not multiply by it"),
        (_pe_variant(m, d, start=1), "positions start at 1: the first row is position 0 (sin 0 = 0, cos 0 = 1)"),
    ]
    expect_tensor(got, sinusoidal_positional_encoding(m, d), "the table", "(max_len, d_model)",
                  mistakes, atol=1e-4, rtol=0)
    if got.dtype != torch.float32:
        raise CheckFailed(f"the table should be float32, got {got.dtype}: build it from "
                          "torch.arange(..., dtype=torch.float32)")


register(Exercise(
    test="test_positional_encoding", names=("positional_encoding",), cases=_pe_cases,
    call=lambda f, c: f(c["max_len"], c["d_model"]), judge=_pe_judge,
    forbidden=("sinusoidal", "PositionalEncoding"), allowed=("positional_encoding",)))


# --- contextual_vectors ---------------------------------------------------------------------------------------

def _modules(c):
    embed = nn.Embedding(len(WORDS), D)
    embed.load_state_dict({"weight": c["embed"]})
    attn = MultiHeadAttention(D, num_heads=2)
    attn.load_state_dict(c["attn"])
    return embed, attn


def _context_cases(g):
    sentences = ["cats chase dogs", "dogs chase cats", "cats chase mice", "Dogs chase cats", "mice fear cats",
                 "cats see dogs chase mice", "dogs"]
    length = int(torch.randint(2, 8, (1,), generator=g))
    sentences.append(" ".join(WORDS[i] for i in torch.randint(0, len(WORDS), (length,), generator=g).tolist()))
    cases = []
    for number, sentence in enumerate(sentences):
        if number in (0, 4, 7):  # three sets of weights: EMBED and ATTN as the lesson's random modules
            with torch.random.fork_rng():
                torch.manual_seed(randint(g, 0, 2 ** 31))
                embed, attn = nn.Embedding(len(WORDS), D), MultiHeadAttention(D, num_heads=2)
            weights = {"embed": embed.weight.detach().clone(),
                       "attn": {k: v.clone() for k, v in attn.state_dict().items()}}
        for positions in (False, True):
            cases.append({"sentence": sentence, "positions": positions, **weights})
    return cases


def _context_call(f, c):
    """Run the answer with the lesson's globals EMBED, ATTN, WORD_ID and D set to this case's, then put them back."""
    namespace = f.__globals__
    embed, attn = _modules(c)
    new = {"EMBED": embed, "ATTN": attn, "WORD_ID": {w: i for i, w in enumerate(WORDS)}, "D": D}
    missing = object()
    saved = {name: namespace.get(name, missing) for name in new}
    namespace.update(new)
    try:
        with torch.no_grad():
            return f(c["sentence"], positions=c["positions"])
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def _context_judge(got, c):
    embed, attn = _modules(c)
    ids = torch.tensor([[WORDS.index(w) for w in c["sentence"].lower().split()]])
    pe = sinusoidal_positional_encoding(ids.size(1), D)
    with torch.no_grad():
        x = embed(ids)
        plain, with_pe = attn(x, x, x)[0], attn(x + pe, x + pe, x + pe)[0]
        scaled = x * math.sqrt(D) + (pe if c["positions"] else 0)
        mistakes = [
            (with_pe if not c["positions"] else None, "positions=False must leave the embeddings as they are: "
             "add the encoding only when `positions` is True"),
            (plain if c["positions"] else None, "positions=True did not change the output: add "
             "utils.sinusoidal_positional_encoding(L, D) to the embeddings before ATTN"),
            (plain + pe if c["positions"] else None, "the positions were added after attention: add them to the "
             "embeddings, before ATTN, so that attention can use them"),
            ((with_pe if c["positions"] else plain)[None], "the output is (1, L, D): return (L, D), the batch's only "
             "element ([0])"),
            (attn(scaled, scaled, scaled)[0], "the embeddings were scaled by √D: this exercise adds the encoding to "
             "EMBED's output as it is"),
        ]
    expect_tensor(got, with_pe if c["positions"] else plain, "the contextual vectors", "(L, D)", mistakes,
                  atol=1e-5, rtol=1e-5)


def _context_hint(case, error):
    if "KeyError" in error:
        return "look the words up in lower case (sentence.lower().split()): WORD_ID has 'dogs', not 'Dogs'"
    if "shape" in error or "size" in error:
        return ("EMBED(ids) with ids (1, L) gives (1, L, D); "
                "utils.sinusoidal_positional_encoding(L, D) is (L, D) and broadcasts")
    return ""


register(Exercise(
    test="test_contextual_vectors", names=("contextual_vectors",), cases=_context_cases, call=_context_call,
    judge=_context_judge, on_error=_context_hint))
