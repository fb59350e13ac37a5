"""Train the shipped RNN encoder-decoders (bottleneck and Bahdanau attention) and save them to utils/assets.

    python -m tools.train_seq2seq [--steps 1500] [--out utils/assets/course--rnn-seq2seq.safetensors]

Both models: the same GRU encoder and decoder, the same data (utils.seq2seq.CORPUS: 1-3 clauses joined
by "et"/"and"), the same seed, steps and optimiser (utils.train: AdamW, warm-up + cosine, clipping at 1).
The exact match per clause count of the saved (reloaded) models is recorded in the file's metadata;
tests/test_seq2seq.py measures it again.
"""
import argparse
import platform

import torch

import utils
from utils.data.french import seq2seq_loss, translation_batches
from utils.seq2seq import (ASSET, CORPUS, RNNSeq2Seq, clause_vocabularies, exact_match_by_clauses,
                           load_rnn_seq2seq, make_clause_corpus, save_rnn_seq2seq)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ASSET))
    args = ap.parse_args()
    utils.configure_threads()
    train_pairs, test = make_clause_corpus(**CORPUS)
    src_vocab, tgt_vocab = clause_vocabularies(train_pairs, test)
    models, seconds = {}, {}
    for name in ("attention", "bottleneck"):
        utils.seed_everything(args.seed)
        model = RNNSeq2Seq(len(src_vocab), len(tgt_vocab), hidden=args.hidden, attention=name == "attention")
        batches = translation_batches(train_pairs, src_vocab, tgt_vocab, 64, seed=args.seed)
        history = utils.train(model, batches, seq2seq_loss, args.steps, lr=args.lr, desc=name)
        models[name], seconds[name] = model, round(history.seconds)
        print(f"{name}: final loss {history.losses[-1]:.3f} ({history.seconds:.0f} s)")
    save_rnn_seq2seq(models, src_vocab, tgt_vocab, args.out)
    reloaded, src_vocab, tgt_vocab, _ = load_rnn_seq2seq(args.out)
    scores = {name: {str(k): round(v, 3) for k, v in exact_match_by_clauses(m, test, src_vocab, tgt_vocab).items()}
              for name, m in reloaded.items()}
    save_rnn_seq2seq(reloaded, src_vocab, tgt_vocab, args.out, steps=args.steps, lr=args.lr, seed=args.seed,
                     exact_match=scores, train_seconds=seconds, python=platform.python_version(),
                     torch=torch.__version__)
    print("exact match by clause count:", scores)


if __name__ == "__main__":
    main()
