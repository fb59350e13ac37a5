"""Typical mistakes of lesson 08: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
_TRAIN = '''
def train_merges(text, num_merges):
    words = Counter(tuple(c.encode("utf-8")) for c in {pieces})
    merges = []
    for k in range(num_merges):
        counts = Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] += n
        if not counts:
            break
        best = {best}
        merges.append(best)
        merged = Counter()
        for word, n in words.items():
            merged[tuple(merge_pair(list(word), best, 256 + k))] += n
        words = merged
    return merges
'''
_SMALLEST = "min(counts, key=lambda pair: (-counts[pair], pair))"

_ENCODE = '''
def bpe_encode(text, merges):
    ranks = {{tuple(pair): k for k, pair in enumerate(merges)}}
    out = []
    for chunk in {pieces}:
        ids = list(chunk.encode("utf-8"))
        while len(ids) > 1:
            pair = {pick}(zip(ids, ids[1:]), key=lambda p: ranks.get(p, {missing}))
            if pair not in ranks:
                break
            ids = merge_pair(ids, pair, {offset} + ranks[pair])
        out.extend(ids)
    return out
'''

_ROPE = '''
def apply_rope(x, positions, base=10000.0):
    hd = x.size(-1)
    theta = base ** (-{exponent} / hd)
    angle = {sign}positions.to(torch.float32)[:, None] * theta
    cos, sin = angle.cos(), angle.sin()
{rotate}
'''
_PAIRS = '''    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)'''
_HALVES = '''    first, second = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1)'''
_I2 = "torch.arange(0, hd, 2, dtype=torch.float32)"

_TOP_P = '''
def top_p_filter(logits, top_p):
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = {probs}
    cumulative = probs.cumsum(dim=-1)
    drop_sorted = {drop}
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))
'''

_LR = '''
def lr_multiplier(step, warmup_steps, total_steps, min_ratio=0.1):
    if step < warmup_steps:
        return {warm} / warmup_steps
    progress = {progress}
    return {floor}
'''
_FLOOR = "min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))"
_CLAMPED = "min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))"

_LM = '''
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
{body}
        losses.append(loss.item())
    return losses
'''
_CLIP = "        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n"
_SET = "        for group in optimizer.param_groups:\n            group['lr'] = lr * {m}\n"
_STEP = "        optimizer.step()\n"
_M = "lr_multiplier(step, warmup_steps, steps)"

MISTAKES = {
    "test_train_merges": [
        ("ties broken by the larger pair", _TRAIN.format(
            pieces="chunks(text)", best="max(counts, key=lambda pair: (counts[pair], pair))"), "larger pair"),
        ("ties broken by first seen", _TRAIN.format(
            pieces="chunks(text)", best="counts.most_common(1)[0][0]"), "seen first"),
        ("merges across chunks", _TRAIN.format(pieces="[text]", best=_SMALLEST), "merges cross chunks"),
    ],
    "test_bpe_encode": [
        ("merges across chunks", _ENCODE.format(pieces="[text]", pick="min", missing="math.inf", offset=256),
         "merges cross chunks"),
        ("latest merge first", _ENCODE.format(pieces="chunks(text)", pick="max", missing="-1", offset=256),
         "lowest rank"),
        ("ids without the 256 offset", _ENCODE.format(pieces="chunks(text)", pick="min", missing="math.inf",
                                                      offset=0), "256 + k"),
    ],
    "test_rms_norm": [
        ("mean instead of mean of squares", '''
def rms_norm(x, weight, eps=1e-6):
    return x * torch.rsqrt(x.abs().mean(dim=-1, keepdim=True) + eps) * weight
''', "mean of squares"),
        ("eps outside the sqrt", '''
def rms_norm(x, weight, eps=1e-6):
    return x / (x.pow(2).mean(dim=-1, keepdim=True).sqrt() + eps) * weight
''', "outside the square root"),
        ("forgot the weight", '''
def rms_norm(x, weight, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
''', "weight is missing"),
        ("LayerNorm's centring", '''
def rms_norm(x, weight, eps=1e-6):
    c = x - x.mean(dim=-1, keepdim=True)
    return c * torch.rsqrt(c.pow(2).mean(dim=-1, keepdim=True) + eps) * weight
''', "LayerNorm"),
    ],
    "test_swiglu": [
        ("gate and up swapped", '''
def swiglu(x, w1, w3, w2):
    return (F.silu(x @ w3.T) * (x @ w1.T)) @ w2.T
''', "swapped"),
        ("relu instead of silu", '''
def swiglu(x, w1, w3, w2):
    return (torch.relu(x @ w1.T) * (x @ w3.T)) @ w2.T
''', "relu is used instead of silu"),
        ("gelu instead of silu", '''
def swiglu(x, w1, w3, w2):
    return (F.gelu(x @ w1.T) * (x @ w3.T)) @ w2.T
''', "gelu is used instead of silu"),
    ],
    "test_apply_rope": [
        ("rotating halves", _ROPE.format(exponent=_I2, sign="", rotate=_HALVES), "interleaved pairs"),
        ("wrong sign", _ROPE.format(exponent=_I2, sign="-", rotate=_PAIRS), "wrong sign"),
        ("exponent i/hd", _ROPE.format(exponent="torch.arange(0, hd // 2, dtype=torch.float32)", sign="",
                                       rotate=_PAIRS), "2i/hd"),
    ],
    "test_gqa_attention": [
        ("repeat instead of repeat_interleave", '''
def gqa_attention(q, k, v):
    group = q.size(1) // k.size(1)
    k, v = k.repeat(1, group, 1, 1), v.repeat(1, group, 1, 1)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)
''', "repeat_interleave"),
        ("not causal", '''
def gqa_attention(q, k, v):
    group = q.size(1) // k.size(1)
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    return F.scaled_dot_product_attention(q, k, v)
''', "not causal"),
        ("not causal, by hand", '''
def gqa_attention(q, k, v):
    group = q.size(1) // k.size(1)
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), dim=-1) @ v
''', "not causal"),
    ],
    "test_top_p_filter": [
        ("crossing token excluded", _TOP_P.format(probs="sorted_logits.softmax(dim=-1)", drop="cumulative > top_p"),
         "crosses top_p"),
        ("keeping by cumulative >= p", _TOP_P.format(probs="sorted_logits.softmax(dim=-1)",
                                                     drop="cumulative < top_p"), ">= top_p"),
        ("logits without softmax", _TOP_P.format(probs="sorted_logits", drop="cumulative - probs >= top_p"),
         "softmax"),
    ],
    "test_lr_multiplier": [
        ("warm-up off by one", _LR.format(warm="step", progress=_CLAMPED, floor=_FLOOR), "off by one"),
        ("no floor min_ratio", _LR.format(warm="(step + 1)", progress=_CLAMPED,
                                          floor="0.5 * (1 + math.cos(math.pi * progress))"), "no floor"),
        ("progress not clamped", _LR.format(warm="(step + 1)",
                                            progress="(step - warmup_steps) / max(1, total_steps - warmup_steps)",
                                            floor=_FLOOR), "clamp"),
    ],
    "test_train_lm": [
        ("no clipping", _LM.format(body=_SET.format(m=_M) + _STEP), "not clipped"),
        ("no warm-up", _LM.format(body=_CLIP + _SET.format(m="lr_multiplier(step, 0, steps)") + _STEP),
         "no warm-up"),
        ("lr set after optimizer.step", _LM.format(body=_CLIP + _STEP + _SET.format(m=_M)), "after optimizer.step"),
        ("constant lr", _LM.format(body=_CLIP + _STEP), "stays constant"),
    ],
}
