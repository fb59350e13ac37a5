"""Typical mistakes of lesson 04: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
MISTAKES = {
    "test_positional_encoding": [
        ("sin and cos swapped", '''
def positional_encoding(max_len, d_model):
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.cos(angles)
    pe[:, 1::2] = torch.sin(angles)
    return pe
''', "swapped"),
        ("exponent i/d", '''
def positional_encoding(max_len, d_model):
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    i = torch.arange(d_model // 2, dtype=torch.float32)
    angles = position / 10000 ** (i / d_model)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe
''', "exponent is i/d"),
        ("exponent 2 * column / d", '''
def positional_encoding(max_len, d_model):
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)
    angles = position / 10000 ** (2 * two_i / d_model)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe
''', "already 2i"),
        ("sines then cosines", '''
def positional_encoding(max_len, d_model):
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
''', "interleave"),
        ("float64", '''
def positional_encoding(max_len, d_model):
    position = torch.arange(max_len, dtype=torch.float64)[:, None]
    angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe
''', "float32"),
        ("positions from 1", '''
def positional_encoding(max_len, d_model):
    position = torch.arange(1, max_len + 1, dtype=torch.float32)[:, None]
    angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe
''', "positions start at 1"),
        ("the library's table", '''
def positional_encoding(max_len, d_model):
    return utils.sinusoidal_positional_encoding(max_len, d_model)
''', "without `sinusoidal`"),
    ],
    "test_contextual_vectors": [
        ("positions always added", '''
def contextual_vectors(sentence, positions=True):
    ids = torch.tensor([[WORD_ID[word] for word in sentence.lower().split()]])
    x = EMBED(ids) + utils.sinusoidal_positional_encoding(ids.size(1), D)
    return ATTN(x, x, x)[0]
''', "only when `positions` is True"),
        ("positions added after attention", '''
def contextual_vectors(sentence, positions=True):
    ids = torch.tensor([[WORD_ID[word] for word in sentence.lower().split()]])
    x = EMBED(ids)
    out = ATTN(x, x, x)[0]
    if positions:
        out = out + utils.sinusoidal_positional_encoding(ids.size(1), D)
    return out
''', "after attention"),
        ("batch dimension kept", '''
def contextual_vectors(sentence, positions=True):
    ids = torch.tensor([[WORD_ID[word] for word in sentence.lower().split()]])
    x = EMBED(ids)
    if positions:
        x = x + utils.sinusoidal_positional_encoding(ids.size(1), D)
    return ATTN(x, x, x)
''', "(1, L, D)"),
        ("no lower case", '''
def contextual_vectors(sentence, positions=True):
    ids = torch.tensor([[WORD_ID[word] for word in sentence.split()]])
    x = EMBED(ids)
    if positions:
        x = x + utils.sinusoidal_positional_encoding(ids.size(1), D)
    return ATTN(x, x, x)[0]
''', "lower case"),
    ],
    "test_encoder_layer": [
        ("pre-norm", '''
class MyEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.self_attn = utils.MultiHeadAttention(d_model, num_heads)
        self.feed_forward = utils.FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        h = self.norm1(x)
        x = x + self.self_attn(h, h, h, mask=mask)
        return x + self.feed_forward(self.norm2(x))
''', "pre-norm"),
        ("no residual", '''
class MyEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.self_attn = utils.MultiHeadAttention(d_model, num_heads)
        self.feed_forward = utils.FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        x = self.norm1(self.self_attn(x, x, x, mask=mask))
        return self.norm2(self.feed_forward(x))
''', "no residual"),
        ("mask not passed", '''
class MyEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.self_attn = utils.MultiHeadAttention(d_model, num_heads)
        self.feed_forward = utils.FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        x = self.norm1(x + self.self_attn(x, x, x))
        return self.norm2(x + self.feed_forward(x))
''', "mask=mask"),
        ("norm1 used twice", '''
class MyEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.self_attn = utils.MultiHeadAttention(d_model, num_heads)
        self.feed_forward = utils.FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        x = self.norm1(x + self.self_attn(x, x, x, mask=mask))
        return self.norm1(x + self.feed_forward(x))
''', "norm1 is used twice"),
        ("dropout added", '''
class MyEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.self_attn = utils.MultiHeadAttention(d_model, num_heads)
        self.feed_forward = utils.FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x, mask=None):
        x = self.norm1(x + self.dropout(self.self_attn(x, x, x, mask=mask)))
        return self.norm2(x + self.dropout(self.feed_forward(x)))
''', "no dropout"),
        ("parts under other names", '''
class MyEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.attention = utils.MultiHeadAttention(d_model, num_heads)
        self.ffn = utils.FeedForward(d_model, d_ff)
        self.ln1 = nn.LayerNorm(d_model)
        self.ln2 = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        x = self.ln1(x + self.attention(x, x, x, mask=mask))
        return self.ln2(x + self.ffn(x))
''', "self.self_attn"),
    ],
    "test_decoder_mask": [
        ("triu: sees the future", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    Lt = tgt_in.size(1)
    causal = torch.ones(Lt, Lt, dtype=torch.bool).triu()
    return causal & (tgt_in != pad_id)[:, None, None, :]
''', "wrong way"),
        ("padding on the query axis", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    Lt = tgt_in.size(1)
    causal = torch.ones(Lt, Lt, dtype=torch.bool).tril()
    return causal & (tgt_in != pad_id)[:, None, :, None]
''', "queries (rows)"),
        ("no padding", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    B, Lt = tgt_in.shape
    return torch.ones(Lt, Lt, dtype=torch.bool).tril().expand(B, 1, Lt, Lt)
''', "padding tokens can be attended to"),
        ("diagonal excluded", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    Lt = tgt_in.size(1)
    causal = torch.ones(Lt, Lt, dtype=torch.bool).tril(diagonal=-1)
    return causal & (tgt_in != pad_id)[:, None, None, :]
''', "diagonal"),
        ("True = blocked", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    Lt = tgt_in.size(1)
    blocked = torch.ones(Lt, Lt, dtype=torch.bool).triu(diagonal=1)
    return blocked | (tgt_in == pad_id)[:, None, None, :]
''', "inverted"),
        ("float mask", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    Lt = tgt_in.size(1)
    causal = torch.ones(Lt, Lt).tril()
    return causal * (tgt_in != pad_id)[:, None, None, :].float()
''', "boolean"),
    ],
    "test_greedy_translate": [
        ("never stops at <eos>", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    memory, src_mask = model.encode(src[None])
    ys = [bos_id]
    for _ in range(max_len):
        logits = model.decode(torch.tensor([ys]), memory, src_mask)[0, -1]
        ys.append(int(logits.argmax()))
    return ys
''', "after <eos>"),
        ("first position's logits", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    memory, src_mask = model.encode(src[None])
    ys = [bos_id]
    for _ in range(max_len):
        next_id = int(model.decode(torch.tensor([ys]), memory, src_mask)[0, 0].argmax())
        ys.append(next_id)
        if next_id == eos_id:
            break
    return ys
''', "FIRST position"),
        ("tensors, not ints", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    memory, src_mask = model.encode(src[None])
    ys = [bos_id]
    for _ in range(max_len):
        next_id = model.decode(torch.tensor([ys]), memory, src_mask)[0, -1].argmax()
        ys.append(next_id)
        if next_id == eos_id:
            break
    return ys
''', "Python ints"),
        ("eos left out", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    memory, src_mask = model.encode(src[None])
    ys = [bos_id]
    for _ in range(max_len):
        next_id = int(model.decode(torch.tensor([ys]), memory, src_mask)[0, -1].argmax())
        if next_id == eos_id:
            break
        ys.append(next_id)
    return ys
''', "end with eos_id"),
        ("one id too few", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    memory, src_mask = model.encode(src[None])
    ys = [bos_id]
    while len(ys) < max_len:
        next_id = int(model.decode(torch.tensor([ys]), memory, src_mask)[0, -1].argmax())
        ys.append(next_id)
        if next_id == eos_id:
            break
    return ys
''', "too few"),
        ("the library's loop", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    return model.greedy_decode(src[None], bos_id, eos_id, max_len)[0].tolist()
''', "without `greedy_decode`"),
    ],
}
