import functools
import math
import random

import numpy as np
import pytest
import torch
from transformers.audio_utils import mel_filter_bank, spectrogram, window_function

from utils.data.speech import DTMF_HIGH, DTMF_LOW, make_digit_clips, synthesize_digits
from utils.spectrogram import frame_signal, log_mel_spectrogram, LogMelSpectrogram, mel_filterbank, power_spectrogram
from utils.tokenization import CharVocab
from utils.whisper import AudioEncoder, SpeechToText, character_error_rate, edit_distance, transcript_loss


# --- framing and the spectrogram ---------------------------------------------------------------------

@pytest.mark.parametrize("shape, frame, hop", [((10,), 4, 2), ((11,), 4, 2), ((3, 50), 8, 3), ((2, 2, 9), 9, 1),
                                               ((20,), 5, 5), ((17,), 3, 10)])
def test_frame_signal_matches_slicing(shape, frame, hop):
    signal = torch.randn(shape)
    frames = frame_signal(signal, frame, hop)
    T = shape[-1]
    starts = range(0, T - frame + 1, hop)
    expected = torch.stack([signal[..., s:s + frame] for s in starts], dim=-2)
    assert frames.shape == (*shape[:-1], 1 + (T - frame) // hop, frame)
    torch.testing.assert_close(frames, expected, rtol=0, atol=0)


def test_frame_signal_errors():
    with pytest.raises(ValueError, match="shorter than one frame"):
        frame_signal(torch.zeros(3), 4, 1)
    with pytest.raises(ValueError, match="positive"):
        frame_signal(torch.zeros(10), 4, 0)


def direct_dft_power(signal, n_fft, hop):
    """|sum_n x[n] w[n] exp(-2 pi i k n / N)|^2 for every frame and bin k <= N / 2, in float64."""
    n = torch.arange(n_fft, dtype=torch.float64)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / n_fft)  # periodic Hann
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None]
    cos, sin = torch.cos(2 * math.pi * k * n / n_fft), torch.sin(2 * math.pi * k * n / n_fft)  # (F, N)
    rows = []
    for start in range(0, signal.size(-1) - n_fft + 1, hop):
        x = signal[start:start + n_fft].double() * window
        rows.append((cos @ x) ** 2 + (sin @ x) ** 2)
    return torch.stack(rows)  # (n_frames, F)


@pytest.mark.parametrize("n_fft, hop", [(200, 80), (64, 16), (33, 7)])
def test_power_spectrogram_matches_a_direct_dft(n_fft, hop):
    signal = torch.randn(700, dtype=torch.float64)
    torch.testing.assert_close(power_spectrogram(signal, n_fft, hop), direct_dft_power(signal, n_fft, hop))
    batch = torch.randn(2, 3, 500)  # any leading axes: each row is its own signal
    got = power_spectrogram(batch, n_fft, hop)
    torch.testing.assert_close(got[1, 2], power_spectrogram(batch[1, 2], n_fft, hop))
    # framing + window + rfft is what torch.stft computes
    window = torch.hann_window(n_fft, periodic=True)
    by_frames = torch.fft.rfft(frame_signal(batch, n_fft, hop) * window).abs() ** 2
    torch.testing.assert_close(got, by_frames, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n_mels, n_fft, sr, f_min, f_max", [(40, 200, 8000, 0.0, None), (80, 400, 16000, 0.0, 8000.0),
                                                              (10, 64, 8000, 300.0, 3000.0)])
def test_mel_filterbank_matches_transformers(n_mels, n_fft, sr, f_min, f_max):
    ours = mel_filterbank(n_mels, n_fft, sr, f_min, f_max)
    theirs = mel_filter_bank(num_frequency_bins=n_fft // 2 + 1, num_mel_filters=n_mels, min_frequency=f_min,
                             max_frequency=f_max or sr / 2, sampling_rate=sr, norm=None, mel_scale="htk")
    assert ours.shape == (n_fft // 2 + 1, n_mels)
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-6)
    with pytest.raises(ValueError, match="f_min < f_max"):
        mel_filterbank(10, 64, 8000, 3000.0, 300.0)


def test_log_mel_matches_a_direct_dft_and_transformers():
    wave = synthesize_digits("47", duration=1.0, generator=torch.Generator().manual_seed(0)).double()
    features = LogMelSpectrogram()(wave)
    assert features.shape == (1 + (8000 - 200) // 80, 40)
    # by hand: direct DFT power, HTK mel filters (transformers' own), log10, Whisper's 8-decade floor and scale
    filters = torch.from_numpy(mel_filter_bank(num_frequency_bins=101, num_mel_filters=40, min_frequency=0,
                                               max_frequency=4000, sampling_rate=8000, norm=None, mel_scale="htk"))
    log_mel = torch.log10(torch.clamp(direct_dft_power(wave, 200, 80) @ filters, min=1e-10))
    expected = (torch.maximum(log_mel, log_mel.max() - 8) + 4) / 4
    torch.testing.assert_close(features, expected, rtol=1e-6, atol=1e-6)
    # transformers' numpy front end (the one its Whisper feature extractor uses), without centring
    theirs = spectrogram(wave.numpy(), window_function(200, "hann"), frame_length=200, hop_length=80, power=2.0,
                         center=False, mel_filters=filters.numpy(), log_mel="log10", mel_floor=1e-10).T
    theirs = (np.maximum(theirs, theirs.max() - 8) + 4) / 4
    np.testing.assert_allclose(features.numpy(), theirs, atol=1e-6)
    # the functional form, on a batch: each clip is floored against its own loudest value
    batch = torch.stack([wave, 0.01 * wave]).float()
    torch.testing.assert_close(log_mel_spectrogram(batch)[0], features.float(), rtol=1e-4, atol=1e-4)
    assert log_mel_spectrogram(batch)[1].max() < features.max()


# --- the clips --------------------------------------------------------------------------------------

@pytest.mark.parametrize("digit", list("0123456789"))
def test_a_clean_tone_holds_its_two_dtmf_frequencies(digit):
    wave = synthesize_digits(digit, duration=1.0, noise=0.0, generator=torch.Generator().manual_seed(int(digit)))
    spectrum = torch.fft.rfft(wave.double()).abs()  # 1 s at 8 kHz: bin k is k Hz
    low, high = spectrum[600:1000].argmax().item() + 600, spectrum[1100:1600].argmax().item() + 1100
    assert abs(low - DTMF_LOW[digit]) <= 0.016 * DTMF_LOW[digit]  # detuned by at most 1.5%
    assert abs(high - DTMF_HIGH[digit]) <= 0.016 * DTMF_HIGH[digit]
    assert (wave != 0).sum() < 0.2 * len(wave), "one digit lasts at most 110 ms; the rest is silence"


def test_make_digit_clips():
    waves, texts = make_digit_clips(30, min_digits=2, max_digits=4, duration=0.8, seed=3)
    assert waves.shape == (30, 6400) and waves.dtype == torch.float32
    assert all(2 <= len(t) <= 4 and t.isdigit() for t in texts)
    again, same_texts = make_digit_clips(30, min_digits=2, max_digits=4, duration=0.8, seed=3)
    assert torch.equal(waves, again) and texts == same_texts
    with pytest.raises(ValueError, match="do not fit"):
        synthesize_digits("123456789", duration=0.5)
    with pytest.raises(ValueError, match="digits 0-9"):
        synthesize_digits("12a")


# --- transcripts and the model -------------------------------------------------------------------------

def test_char_vocab():
    vocab = CharVocab()
    inputs, targets = vocab.encode(["12", "7"])
    assert inputs.tolist() == [[1, 4, 5], [1, 10, 0]]
    assert targets.tolist() == [[4, 5, 2], [10, 2, 0]]
    assert vocab.decode(targets[0]) == "12" and vocab.decode(torch.tensor([10, 2, 4])) == "7"
    with pytest.raises(ValueError, match=r"\['x'\]"):
        vocab.encode(["1x"])


def test_speech_to_text_shapes_masks_and_decoding():
    torch.manual_seed(0)
    vocab = CharVocab()
    model = SpeechToText(n_mels=12, vocab_size=len(vocab), d_model=32, num_heads=4, num_layers=1, d_ff=64)
    mels = torch.randn(2, 15, 12)
    assert model.audio_encoder(mels).shape == (2, 8, 32)  # the stride-2 convolution halves 15 frames to 8
    inputs, targets = vocab.encode(["123", "4"])
    logits = model(mels, inputs)
    assert logits.shape == (2, 4, len(vocab))
    # causal: changing a later character leaves the earlier predictions alone
    changed = inputs.clone()
    changed[0, 3] = 9
    torch.testing.assert_close(model(mels, changed)[0, :3], logits[0, :3])
    # each clip is standardised first: its loudness and offset do not matter
    torch.testing.assert_close(model(3 * mels + 1, inputs), logits, rtol=1e-4, atol=1e-4)
    loss = transcript_loss(model, (mels, inputs, targets))
    assert loss.item() == pytest.approx(math.log(len(vocab)), rel=0.3)  # near uniform at the start
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())

    texts = model.transcribe(mels, vocab, max_len=6)
    assert len(texts) == 2 and all(isinstance(t, str) and len(t) <= 5 for t in texts)
    weights = model.cross_attention(mels, inputs)
    assert weights.shape == (2, 4, 8)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4))
    with pytest.raises(ValueError, match="n_mels=12"):
        model(torch.randn(2, 15, 40), inputs)
    with pytest.raises(ValueError, match="n_mels=40"):
        AudioEncoder(40)(torch.randn(1, 10, 12))


# --- scoring ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def edit_distance_by_definition(a, b):
    """The recursive definition, straight: look at the first characters of both strings."""
    if not a or not b:
        return len(a) + len(b)
    return min(edit_distance_by_definition(a[1:], b) + 1, edit_distance_by_definition(a, b[1:]) + 1,
               edit_distance_by_definition(a[1:], b[1:]) + (a[0] != b[0]))


def test_edit_distance_matches_the_recursive_definition():
    rng = random.Random(0)
    for _ in range(300):
        a = "".join(rng.choice("012") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("012") for _ in range(rng.randint(0, 7)))
        assert edit_distance(a, b) == edit_distance_by_definition(a, b), (a, b)
    assert edit_distance("kitten", "sitting") == 3


def test_character_error_rate():
    assert character_error_rate(["123", "45"], ["123", "45"]) == 0
    assert character_error_rate(["124", ""], ["123", "45"]) == pytest.approx(3 / 5)
    assert character_error_rate(["99999"], ["1"]) == 5  # insertions can push it past 1
    with pytest.raises(ValueError, match="2 predictions for 1"):
        character_error_rate(["1", "2"], ["1"])
    with pytest.raises(ValueError, match="empty"):
        character_error_rate([""], [""])
