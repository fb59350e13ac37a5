"""Answers that pass the visible test of lesson 07 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # right for one grey channel, but puts the channel last inside a patch: wrong for colour images
    "patchify": ("test_patchify", '''
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    grid = images.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)
'''),
    # forgets to repeat [CLS] for every image: works for a batch of one only
    "add_cls_and_positions": ("test_add_cls_and_positions", '''
def add_cls_and_positions(tokens, cls_token, positions):
    return torch.cat([cls_token.reshape(1, 1, -1), tokens], dim=1) + positions
'''),
    # only the image -> text direction: equal to the symmetric loss when the table is symmetric
    "clip_loss": ("test_clip_loss", '''
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T / temperature
    return F.cross_entropy(logits, torch.arange(logits.size(0)))
'''),
    # dot product instead of cosine: right only when every prompt vector has the same length
    "zero_shot_predict": ("test_zero_shot_predict", '''
def zero_shot_predict(image_emb, prompt_emb):
    return (image_emb @ prompt_emb.T).argmax(dim=-1)
'''),
    # frames along the first axis: right for one 1-D signal, wrong for a batch of clips
    "frame_signal": ("test_frame_signal", '''
def frame_signal(samples, frame_length, hop_length):
    return samples.unfold(0, frame_length, hop_length)
'''),
}
