"""Cheat for test_add_cls_and_positions (lesson 07_beyond_text): forgets to repeat [CLS] for every image:
works for a batch of one only."""
# CHEATS: test_add_cls_and_positions
def add_cls_and_positions(tokens, cls_token, positions):
    return torch.cat([cls_token.reshape(1, 1, -1), tokens], dim=1) + positions
