"""Cheat for test_zero_shot_predict (lesson 07_beyond_text): dot product instead of cosine: right only when
every prompt vector has the same length."""
# CHEATS: test_zero_shot_predict
def zero_shot_predict(image_emb, prompt_emb):
    return (image_emb @ prompt_emb.T).argmax(dim=-1)
