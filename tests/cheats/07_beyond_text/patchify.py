"""Cheat for test_patchify (lesson 07_beyond_text): right for one grey channel, but puts the channel last
inside a patch: wrong for colour images."""
# CHEATS: test_patchify
def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    grid = images.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)
