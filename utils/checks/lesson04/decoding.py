"""Checks of lesson 04's decoding exercises: the decoder's mask and greedy translation."""
import torch

from ...attention import causal_mask, padding_mask
from ...transformer import Transformer
from ..compare import expect_equal, expect_tensor
from ..core import CheckFailed, Exercise, randint, register


# --- decoder_mask --------------------------------------------------------------------------------------------------

def _mask_cases(g):
    cases = [{"tgt_in": torch.tensor([[1, 7, 8, 9], [1, 5, 0, 0]]), "pad_id": 0}]
    for B, Lt, pad_id in [(1, 1, 0), (3, 9, 0), (4, 6, 2), (2, 17, 5)]:
        tgt_in = torch.randint(0, 8, (B, Lt), generator=g)
        tgt_in[:, 0] = 7
        cases.append({"tgt_in": tgt_in, "pad_id": pad_id})
    tgt_in = torch.randint(3, 20, (5, 11), generator=g)
    lengths = torch.randint(2, 12, (5,), generator=g)
    tgt_in[torch.arange(11)[None, :] >= lengths[:, None]] = 0
    tgt_in[:, 0] = 1
    cases.append({"tgt_in": tgt_in, "pad_id": 0, "note": "padded sentences"})
    return cases


def _mask_judge(got, c):
    tgt_in, pad_id = c["tgt_in"], c["pad_id"]
    Lt = tgt_in.size(1)
    ones = torch.ones(Lt, Lt, dtype=torch.bool)
    keys = padding_mask(tgt_in, pad_id)  # (B, 1, 1, Lt)
    ref = causal_mask(Lt) & keys
    mistakes = [
        (ones.triu() & keys, "the triangle points the wrong way (triu): position i may attend to j <= i, the lower "
         "triangle (tril); with triu it reads the future"),
        (ones.tril(-1) & keys, "the diagonal is False: a position may attend to itself (j <= i: tril(), diagonal 0)"),
        (ones.tril(1) & keys, "off by one: position i can see position i + 1, the word it must predict (use tril())"),
        (ones.tril() & (tgt_in != pad_id)[:, None, :, None], "padding is masked along the queries (rows); mask the "
         "keys (columns): (tgt_in != pad_id)[:, None, None, :]"),
        (ones.tril().expand(tgt_in.size(0), 1, Lt, Lt), "padding tokens can be attended to: combine the triangle "
         "with tgt_in != pad_id (&)"),
        (ones.tril() | keys, "combined with `or`: a key must be in the past AND not padding (&)"),
        (~ref, "the mask is inverted: True means 'may attend'"),
        ((ones.tril() & keys)[:, 0], "the heads' dimension is missing: return (B, 1, Lt, Lt)"),
    ]
    expect_tensor(got, ref, "the mask", "(B, 1, Lt, Lt)", mistakes, dtype_kind="bool")


register(Exercise(
    test="test_decoder_mask", names=("decoder_self_attention_mask",), cases=_mask_cases,
    call=lambda f, c: f(c["tgt_in"], c["pad_id"]), judge=_mask_judge,
    forbidden=("causal_mask", "generate_square_subsequent_mask"), allowed=("decoder_self_attention_mask",)))


# --- greedy_translate ------------------------------------------------------------------------------------------------

class _NoShortcut(Transformer):
    def greedy_decode(self, *args, **kwargs):
        raise AssertionError("write the loop with model.encode and model.decode")


def _tiny(state):
    model = _NoShortcut(11, 9, d_model=16, num_heads=2, num_layers=2, d_ff=32, dropout=0.0).eval()
    model.load_state_dict(state)
    return model


def _greedy_cases(g):
    cases = []
    for eos_bias, max_len, bos, eos in [(1.5, 8, 1, 2), (0.0, 5, 1, 2), (3.0, 10, 1, 2), (-5.0, 6, 1, 2),
                                        (1.0, 1, 1, 2), (2.0, 9, 3, 5)]:
        with torch.random.fork_rng():
            torch.manual_seed(randint(g, 0, 2 ** 31))
            model = Transformer(11, 9, d_model=16, num_heads=2, num_layers=2, d_ff=32, dropout=0.0)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        state["generator.bias"][eos] += eos_bias  # sentences end at different lengths
        srcs = [torch.randint(3, 11, (int(torch.randint(1, 7, (1,), generator=g)),), generator=g) for _ in range(4)]
        cases.append({"state": state, "srcs": srcs, "bos_id": bos, "eos_id": eos, "max_len": max_len})
    return cases


def _greedy_call(f, c):
    model = _tiny(c["state"])
    return [f(model, src, c["bos_id"], c["eos_id"], c["max_len"]) for src in c["srcs"]]


@torch.no_grad()
def _greedy(model, src, bos, eos, max_len, position=-1, stop=True):
    memory, src_mask = model.encode(src[None])
    ys = [bos]
    for _ in range(max_len):
        next_id = int(model.decode(torch.tensor([ys]), memory, src_mask)[0, position].argmax())
        ys.append(next_id)
        if stop and next_id == eos:
            break
    return ys


def _greedy_judge(got, c):
    model, bos, eos, max_len = _tiny(c["state"]), c["bos_id"], c["eos_id"], c["max_len"]
    if not isinstance(got, list) or len(got) != len(c["srcs"]):
        raise CheckFailed("greedy_translate should return a list of ids for each sentence")
    for src, ids in zip(c["srcs"], got):
        if isinstance(ids, torch.Tensor):
            raise CheckFailed("return a Python list of ints (ys.tolist() or [int(i) for i in ...]), not a tensor")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise CheckFailed("return a list of Python ints: int(logits.argmax()), not tensors")
        expected = _greedy(model, src, bos, eos, max_len)
        ended = expected[-1] == eos
        mistakes = [
            (_greedy(model, src, bos, eos, max_len, stop=False), "it kept writing after <eos>: stop as soon as you "
             "append eos_id"),
            (_greedy(model, src, bos, eos, max_len, position=0), "the next word was read from the FIRST position's "
             "logits; it is scored at the last position: model.decode(...)[0, -1]"),
            (expected[1:], "the list should start with bos_id"),
            (expected[:-1] if ended else None, "the list should end with eos_id: append it, then stop"),
            (_greedy(model, src, bos, eos, max_len - 1) if not ended and max_len > 1 else None,
             f"one id too few: write up to max_len = {max_len} new ids after <bos>"),
            (_greedy(model, src, bos, eos, max_len + 1) if not ended else None,
             f"one id too many: write at most max_len = {max_len} new ids after <bos>"),
        ]
        expect_equal(ids, expected, f"the translation of {src.tolist()} (max_len={max_len}, eos_id={eos})",
                     [m for m in mistakes if m[0] is not None and m[0] != expected])


register(Exercise(
    test="test_greedy_translate", names=("greedy_translate",), cases=_greedy_cases, call=_greedy_call,
    judge=_greedy_judge, forbidden=("greedy_decode", "beam_search", "translate"), allowed=("greedy_translate",),
    on_error=lambda case, error: ("write the loop with model.encode and model.decode"
                                  if "greedy_decode" in error or "model.encode" in error else "")))
