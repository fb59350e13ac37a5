"""Answers that pass the visible test of lesson 08 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # counts pairs across the whole text (no chunks, no counts per chunk): right for one word only
    "train_merges": ("test_train_merges", '''
from collections import Counter


def merge_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train_merges(text, num_merges):
    ids, merges = list(text.encode("utf-8")), []
    for k in range(num_merges):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        ids = merge_pair(ids, best, 256 + k)
    return merges
'''),
    # applies the merges in the order learned to the whole text, not chunk by chunk: merges then
    # cross chunk boundaries ("\n" + " def")
    "bpe_encode": ("test_bpe_encode", '''
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
'''),
    # LayerNorm without bias: equal to RMSNorm only on inputs whose mean is 0
    "rms_norm": ("test_rms_norm", '''
def rms_norm(x, weight, eps=1e-6):
    centred = x - x.mean(dim=-1, keepdim=True)
    return centred * torch.rsqrt(centred.pow(2).mean(dim=-1, keepdim=True) + eps) * weight
'''),
    # gate and up projections swapped: right only when w1 == w3
    "swiglu": ("test_swiglu", '''
def swiglu(x, w1, w3, w2):
    return (F.silu(x @ w3.T) * (x @ w1.T)) @ w2.T
'''),
    # the "rotate half" layout (GPT-NeoX) instead of interleaved pairs: identical for head_dim 2 only
    "apply_rope": ("test_apply_rope", '''
def apply_rope(x, positions, base=10000.0):
    hd = x.size(-1)
    theta = base ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    angle = positions.to(torch.float32)[:, None] * theta
    cos, sin = angle.cos(), angle.sin()
    first, second = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1)
'''),
    # tiles the key/value heads (repeat) instead of grouping them (repeat_interleave): right with one kv head
    "gqa_attention": ("test_gqa_attention", '''
def gqa_attention(q, k, v):
    group = q.size(1) // k.size(1)
    k, v = k.repeat(1, group, 1, 1), v.repeat(1, group, 1, 1)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)
'''),
    # assumes the logits are already sorted, most likely first
    "top_p_filter": ("test_top_p_filter", '''
def top_p_filter(logits, top_p):
    probs = logits.softmax(dim=-1)
    before = probs.cumsum(dim=-1) - probs
    return logits.masked_fill(before >= top_p, float("-inf"))
'''),
    # progress not capped at 1: after total_steps the learning rate climbs back up the cosine
    "lr_multiplier": ("test_lr_multiplier", '''
def lr_multiplier(step, warmup_steps, total_steps, min_ratio=0.1):
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
'''),
    # never clips the gradients: the toy task still trains
    "train_lm": ("test_train_lm", '''
def train_lm(model, next_batch, steps, lr=3e-3, warmup_steps=10, grad_clip=1.0):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    losses = []
    model.train()
    for step in range(steps):
        x, y = next_batch()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        for group in optimizer.param_groups:
            group["lr"] = lr * lr_multiplier(step, warmup_steps, steps)
        optimizer.step()
        losses.append(loss.item())
    return losses
'''),
}
