"""Typical mistakes of lesson 07: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
MISTAKES = {
    "test_patchify": [
        ("reshape without permute (wrong reshape order)", '''
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    return images.reshape(B, (H // p) * (W // p), C * p * p)
''', "wrong reshape order"),
        ("runs of p*p pixels instead of squares", '''
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    return images.reshape(B, C, (H // p) * (W // p), p * p).transpose(1, 2).reshape(B, -1, C * p * p)
''', "wrong reshape order"),
        ("channel last inside a patch", '''
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    grid = images.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)
''', "channel comes first"),
        ("grid in column order", '''
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    grid = images.reshape(B, C, H // p, p, W // p, p).permute(0, 4, 2, 1, 3, 5)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)
''', "reading order"),
        ("H split as (p, H/p)", '''
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    grid = images.reshape(B, C, p, H // p, p, W // p).permute(0, 3, 5, 1, 2, 4)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)
''', "neighbouring pixels"),
        ("F.unfold", '''
def patchify(images, patch_size):
    return F.unfold(images, kernel_size=patch_size, stride=patch_size).transpose(1, 2)
''', "without `unfold`"),
    ],
    "test_add_cls_and_positions": [
        ("[CLS] without a position", '''
def add_cls_and_positions(tokens, cls_token, positions):
    B, N, d = tokens.shape
    return torch.cat([cls_token.reshape(1, 1, d).expand(B, 1, d), tokens + positions[1:]], dim=1)
''', "[CLS] got no position"),
        ("[CLS] at the end", '''
def add_cls_and_positions(tokens, cls_token, positions):
    B, N, d = tokens.shape
    return torch.cat([tokens, cls_token.reshape(1, 1, d).expand(B, 1, d)], dim=1) + positions
''', "in front"),
        ("[CLS] not repeated for the batch", '''
def add_cls_and_positions(tokens, cls_token, positions):
    return torch.cat([cls_token.reshape(1, 1, -1), tokens], dim=1) + positions
''', "every image"),
        ("in-place write into a new tensor: no gradient", '''
def add_cls_and_positions(tokens, cls_token, positions):
    B, N, d = tokens.shape
    out = torch.zeros(B, N + 1, d)
    out[:, 0] = cls_token.detach()
    out[:, 1:] = tokens
    return out + positions.detach()
''', "no gradient"),
    ],
    "test_clip_loss": [
        ("unnormalised", '''
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = image_emb @ text_emb.T / temperature
    targets = torch.arange(logits.size(0))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''', "not normalised"),
        ("one direction only", '''
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T / temperature
    return F.cross_entropy(logits, torch.arange(logits.size(0)))
''', "only the image -> text direction"),
        ("summed, not averaged", '''
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T / temperature
    targets = torch.arange(logits.size(0))
    return F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)
''', "mean"),
        ("multiplied by the temperature", '''
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T * temperature
    targets = torch.arange(logits.size(0))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''', "divide by it"),
        ("normalised over the batch", '''
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = F.normalize(image_emb, dim=0) @ F.normalize(text_emb, dim=0).T / temperature
    targets = torch.arange(logits.size(0))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''', "dim=-1"),
    ],
    "test_zero_shot_predict": [
        ("raw dot product", '''
def zero_shot_predict(image_emb, prompt_emb):
    return (image_emb @ prompt_emb.T).argmax(dim=-1)
''', "cosine"),
        ("argmax on the wrong axis", '''
def zero_shot_predict(image_emb, prompt_emb):
    similarity = F.normalize(image_emb, dim=-1) @ F.normalize(prompt_emb, dim=-1).T
    return similarity.argmax(dim=0)
''', "wrong axis"),
        ("only the images normalised", '''
def zero_shot_predict(image_emb, prompt_emb):
    return (F.normalize(image_emb, dim=-1) @ prompt_emb.T).argmax(dim=-1)
''', "cosine"),
        ("argmin", '''
def zero_shot_predict(image_emb, prompt_emb):
    similarity = F.normalize(image_emb, dim=-1) @ F.normalize(prompt_emb, dim=-1).T
    return similarity.argmin(dim=-1)
''', "argmax"),
    ],
    "test_frame_signal": [
        ("one frame too few (off by one)", '''
def frame_signal(samples, frame_length, hop_length):
    starts = range(0, samples.size(-1) - frame_length, hop_length)
    return torch.stack([samples[..., s:s + frame_length] for s in starts], dim=-2)
''', "one frame too few"),
        ("one frame too many (off by one)", '''
def frame_signal(samples, frame_length, hop_length):
    starts = range(0, samples.size(-1) - frame_length + 2, hop_length)
    return torch.stack([samples[..., s:s + frame_length] for s in starts], dim=-2)
''', "off-by-one"),
        ("frames along the first axis", '''
def frame_signal(samples, frame_length, hop_length):
    return samples.unfold(0, frame_length, hop_length)
''', "first axis"),
        ("frame axis first", '''
def frame_signal(samples, frame_length, hop_length):
    starts = range(0, samples.size(-1) - frame_length + 1, hop_length)
    return torch.stack([samples[..., s:s + frame_length] for s in starts], dim=0)
''', "dim=-2"),
    ],
}
