"""Lesson 08's data and shipped model: the stdlib corpus as token ids, and the trained ModernGPT.

    model, tok, meta = load_modern_gpt()            # utils/assets/course--modern-gpt.safetensors
    data = modern_gpt_data(tok)                      # train / val token ids (1-D torch.long)
    print(held_out_loss(model, data.val_ids), meta["val_loss"])

The checkpoint is made by ``python -m tools.train_modern_gpt`` (seeded); its metadata holds the
model's configuration, the tokenizer's merges, the training settings and the held-out loss measured
when it was saved, so a test can measure it again and compare.
"""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .bpe import ByteBPE
from .data import split_corpus, stdlib_corpus
from .modern import ModernGPT
from .losses import evaluate_lm

ASSET = Path(__file__).resolve().parent / "assets" / "course--modern-gpt.safetensors"
VAL_FRACTION = 0.05
EVAL_BLOCK, EVAL_BLOCKS = 128, 200  # held-out loss: the first 200 blocks of 128 validation tokens


@dataclass
class LMData:
    train_text: str
    val_text: str
    train_ids: torch.Tensor  # (N_train,) torch.long
    val_ids: torch.Tensor  # (N_val,) torch.long


def modern_gpt_data(tokenizer: ByteBPE, text: str | None = None) -> "LMData":
    """The stdlib corpus split 95/5 (cut at a blank line) and encoded with `tokenizer`."""
    text = stdlib_corpus() if text is None else text
    train_text, val_text = split_corpus(text, VAL_FRACTION)
    as_ids = lambda t: torch.tensor(tokenizer.encode(t), dtype=torch.long)  # noqa: E731
    return LMData(train_text, val_text, as_ids(train_text), as_ids(val_text))


def text_sha1(text: str) -> str:
    """A short fingerprint of a text (the checkpoint records its validation text's)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def held_out_loss(model: ModernGPT, val_ids: torch.Tensor, block_size: int = EVAL_BLOCK,
                  max_blocks: int = EVAL_BLOCKS) -> float:
    """Mean next-token cross-entropy (nats/token) on fixed consecutive blocks of val_ids."""
    return evaluate_lm(model, val_ids, block_size, batch_size=32, max_blocks=max_blocks)


def save_modern_gpt(model: ModernGPT, tokenizer: ByteBPE, path: str | Path, **extra: Any) -> None:
    """Weights (the tied head stored once) + config, merges and `extra` (json-able) as metadata."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    meta = {"config": json.dumps(model.config), "merges": tokenizer.to_json(), "extra": json.dumps(extra)}
    save_file(state, str(path), metadata=meta)


def load_modern_gpt(path: str | Path | None = None, device: str | torch.device = "cpu"
                    ) -> tuple[ModernGPT, ByteBPE, dict]:
    """-> (ModernGPT in eval mode, ByteBPE, metadata dict) from the shipped (or given) safetensors file."""
    path = Path(path) if path is not None else ASSET
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: run python -m tools.train_modern_gpt")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    model = ModernGPT(**json.loads(meta["config"]))
    state = load_file(str(path))
    state["lm_head.weight"] = state["tok_emb.weight"]
    model.load_state_dict(state)
    return model.to(device).eval(), ByteBPE.from_json(meta["merges"]), json.loads(meta["extra"])
