"""Cheat for test_clip_loss (lesson 07_beyond_text): only the image -> text direction: equal to the symmetric
loss when the table is symmetric."""
# CHEATS: test_clip_loss
def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T / temperature
    return F.cross_entropy(logits, torch.arange(logits.size(0)))
