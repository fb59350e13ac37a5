"""Cheat for test_frame_signal (lesson 07_beyond_text): frames along the first axis: right for one 1-D signal,
wrong for a batch of clips."""
# CHEATS: test_frame_signal
def frame_signal(samples, frame_length, hop_length):
    return samples.unfold(0, frame_length, hop_length)
