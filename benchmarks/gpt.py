"""utils.GPT: how much its KV cache speeds up generation, and its training step against PyTorch's layers.

    python -m benchmarks.gpt [--device cuda] [--repeats 5] [--threads 2]

1. Generation: greedy decoding of --new-tokens tokens (256) after a short prompt, with and without
   the KV cache (outputs checked equal). Target: the cache is at least 3x faster.
2. Training: one optimiser step (forward, loss, backward, AdamW) of utils.GPT divided by the same
   model whose blocks are nn.TransformerEncoderLayer (pre-norm, GELU) run with a causal mask.
   Both share the embeddings, final LayerNorm and tied head. Target: ratio <= 1.10.
Runs are interleaved (ours, theirs, ours, ...) so that a busy machine slows both alike. On a CPU
shared with other jobs, PyTorch's worker threads wait for each other and timings swing wildly;
--threads 1 then gives steadier numbers.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import utils
from utils.gpt import GPT, TokenPositionEmbedding


class TorchBlocksGPT(nn.Module):
    """GPT with nn.TransformerEncoderLayer blocks and a causal mask: PyTorch's own decoder-only stack."""

    def __init__(self, vocab_size, block_size, d_model, num_heads, num_layers, d_ff, dropout=0.0):
        super().__init__()
        self.embed = TokenPositionEmbedding(vocab_size, block_size, d_model, dropout)
        layer = nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.embed.token.weight

    @torch.no_grad()
    def copy_from(self, gpt):
        """Take every weight of a utils.GPT, so that both models compute the same function."""
        self.embed.load_state_dict(gpt.embed.state_dict())
        self.norm.load_state_dict(gpt.norm.state_dict())
        for ours, theirs in zip(gpt.blocks, self.blocks.layers):
            attn = ours.self_attn
            theirs.self_attn.in_proj_weight.copy_(torch.cat([attn.q_proj.weight, attn.k_proj.weight,
                                                             attn.v_proj.weight]))
            theirs.self_attn.in_proj_bias.copy_(torch.cat([attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias]))
            theirs.self_attn.out_proj.load_state_dict(attn.out_proj.state_dict())
            for name in ("linear1", "linear2"):
                getattr(theirs, name).load_state_dict(getattr(ours.feed_forward, name).state_dict())
            for name in ("norm1", "norm2"):
                getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        return self

    def forward(self, idx):
        mask = nn.Transformer.generate_square_subsequent_mask(idx.size(1), device=idx.device)
        return self.lm_head(self.norm(self.blocks(self.embed(idx), mask=mask, is_causal=True)))


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def timed(fn, device):
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def interleaved(fn_a, fn_b, repeats, device, warmup=2):
    """Median seconds of fn_a and of fn_b, alternating a, b, a, b, ..."""
    for _ in range(warmup):
        fn_a()
        fn_b()
    t_a, t_b = [], []
    for _ in range(repeats):
        t_a.append(timed(fn_a, device))
        t_b.append(timed(fn_b, device))
    return statistics.median(t_a), statistics.median(t_b)


def bench_generation(args, device):
    block_size = args.prompt + args.new_tokens  # the whole text fits: the cache is never rebuilt
    model = GPT(args.vocab, block_size, args.d_model, args.heads, args.layers, 4 * args.d_model).to(device).eval()
    prompt = torch.randint(0, args.vocab, (args.gen_batch, args.prompt), device=device)
    cached = model.generate(prompt, args.new_tokens, temperature=0, use_cache=True)
    full = model.generate(prompt, args.new_tokens, temperature=0, use_cache=False)
    same = torch.equal(cached, full)
    t_cache, t_full = interleaved(
        lambda: model.generate(prompt, args.new_tokens, temperature=0, use_cache=True),
        lambda: model.generate(prompt, args.new_tokens, temperature=0, use_cache=False),
        args.repeats, device, warmup=1,
    )
    print(f"generation: {args.new_tokens} new tokens after {args.prompt}, batch {args.gen_batch}, "
          f"block_size {block_size}")
    print(f"  with KV cache {t_cache * 1e3:8.1f} ms | without {t_full * 1e3:8.1f} ms | "
          f"speed-up {t_full / t_cache:5.2f}x (target >= 3) | same tokens: {same}")
    return t_full / t_cache


def bench_training(args, device):
    config = (args.vocab, args.block_size, args.d_model, args.heads, args.layers, 4 * args.d_model)
    torch.manual_seed(0)
    ours = GPT(*config).to(device).train()
    # The same weights in both (GPT-2 initialisation): a different initialisation would change the
    # speed too, e.g. N(0, 1) embeddings saturate the softmax and fill the gradients with slow
    # denormal floats.
    theirs = TorchBlocksGPT(*config).copy_from(ours).to(device).train()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    x = torch.randint(0, args.vocab, (args.batch, args.block_size), device=device)
    y = torch.randint(0, args.vocab, (args.batch, args.block_size), device=device)
    with torch.no_grad():
        same = torch.allclose(ours(x), theirs(x), atol=1e-4, rtol=1e-4)

    def stepper(model):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            logits = model(x)
            loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        return step

    t_ours, t_theirs = interleaved(stepper(ours), stepper(theirs), args.repeats * 4, device)
    print(f"training step: batch {args.batch} x {args.block_size} tokens, d_model {args.d_model}, "
          f"{args.layers} layers, vocab {args.vocab}")
    print(f"  utils.GPT {t_ours * 1e3:8.1f} ms | nn.TransformerEncoderLayer GPT {t_theirs * 1e3:8.1f} ms | "
          f"ratio {t_ours / t_theirs:5.2f} (target <= 1.10) | same logits: {same}")
    return t_ours / t_theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: utils.get_device())")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--prompt", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--gen-batch", type=int, default=1)
    parser.add_argument("--block-size", type=int, default=128, help="training sequence length")
    parser.add_argument("--batch", type=int, default=16, help="training batch size")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: PyTorch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else utils.get_device()
    print(f"device={device.type} threads={torch.get_num_threads()} torch={torch.__version__}")
    bench_generation(args, device)
    bench_training(args, device)


if __name__ == "__main__":
    main()
