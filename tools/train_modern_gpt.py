"""Train lesson 08's shipped ModernGPT on the stdlib corpus and save it to utils/assets (seeded).

    python -m tools.train_modern_gpt [--steps 700] [--out utils/assets/course--modern-gpt.safetensors]

Byte-level BPE (utils.bpe, 1024 ids) trained on the training split, then utils.train (AdamW,
warm-up + cosine, clipping at 1). The held-out loss of the saved (reloaded) weights is recorded in
the file's metadata; tests/test_modern_lm.py measures it again.
"""
import argparse
import platform
import time

import utils
from utils.batching import lm_batches
from utils.bpe import ByteBPE
from utils.data import split_corpus, stdlib_corpus
from utils.losses import lm_loss
from utils.modern import ModernGPT
from utils.modern_lm import ASSET, held_out_loss, load_modern_gpt, modern_gpt_data, save_modern_gpt, text_sha1

CONFIG = dict(vocab_size=1024, block_size=128, d_model=128, num_heads=4, num_kv_heads=2, num_layers=4, d_ff=344)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ASSET))
    args = ap.parse_args()
    utils.configure_threads()
    start = time.perf_counter()
    text = stdlib_corpus()
    train_text, _ = split_corpus(text, 0.05)
    tok = ByteBPE.train(train_text, CONFIG["vocab_size"], progress=True)
    data = modern_gpt_data(tok, text)
    print(f"corpus {len(text):,} chars; {len(data.train_ids):,} train / {len(data.val_ids):,} val tokens "
          f"({time.perf_counter() - start:.0f} s)")
    utils.seed_everything(args.seed)
    model = ModernGPT(**CONFIG)
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")
    history = utils.train(model, lm_batches(data.train_ids, CONFIG["block_size"], args.batch_size, seed=args.seed),
                          lm_loss, args.steps, lr=args.lr, warmup_steps=max(1, args.steps // 20), weight_decay=0.1)
    save_modern_gpt(model, tok, args.out, steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    reloaded, tok2, _ = load_modern_gpt(args.out)
    val = held_out_loss(reloaded, data.val_ids)
    save_modern_gpt(reloaded, tok2, args.out, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                    seed=args.seed, val_loss=round(val, 4), val_sha1=text_sha1(data.val_text),
                    python=platform.python_version(), train_seconds=round(history.seconds))
    print(f"held-out loss {val:.4f} nats/token after {args.steps} steps ({history.seconds:.0f} s training)")
    prompt = torch_prompt(tok2, "The return value")
    print(tok2.decode(reloaded.generate(prompt, 60, temperature=0.8, top_p=0.9,
                                        generator=__import__("torch").Generator().manual_seed(0))[0]))


def torch_prompt(tok, text):
    import torch
    return torch.tensor([tok.encode(text)], dtype=torch.long)


if __name__ == "__main__":
    main()
