"""Whisper (Radford et al., 2022) in miniature: a log-mel spectrogram in, a transcript out.

The data are made here, offline: each clip is a telephone keypad dialling a digit string (DTMF:
every key sounds two sine tones at once, a low "row" tone and a high "column" tone), with random
durations, pauses, loudness, slightly detuned tones and background noise.

The front end is Whisper's, written with torch only: frame the waveform into overlapping windows
(25 ms, every 10 ms), take a windowed FFT of each frame (torch.stft), pool the power into mel
bands, take the log. The model is an encoder-decoder Transformer from utils: two 1-D convolutions
(the second halves the frame rate) and an Encoder read the spectrogram; a Decoder writes the
characters one at a time while cross-attending to the audio. It is scored by character error rate.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .runtime import eval_mode
from .attention import causal_mask
from .layers import Decoder, Encoder
from .positional import sinusoidal_positional_encoding
from .vision import capture_attention

SAMPLE_RATE = 8000  # telephone audio: enough for DTMF, whose highest tone is 1477 Hz
DTMF_LOW = {"1": 697, "2": 697, "3": 697, "4": 770, "5": 770, "6": 770, "7": 852, "8": 852, "9": 852, "0": 941}
DTMF_HIGH = {"1": 1209, "2": 1336, "3": 1477, "4": 1209, "5": 1336, "6": 1477, "7": 1209, "8": 1336,
             "9": 1477, "0": 1336}


# --- making the clips ------------------------------------------------------------------------------

def _uniform(low, high, generator):
    return low + (high - low) * torch.rand((), generator=generator).item()


def synthesize_digits(text, sample_rate=SAMPLE_RATE, duration=0.8, noise=0.5, generator=None):
    """One clip of `duration` seconds in which the digits of `text` are dialled: a float32 (T,) waveform.

    Each digit is its two DTMF tones for 60-110 ms, with a random loudness (0.3-1), phases and a
    detuning of up to 1.5%; digits are separated by 30-70 ms pauses, after 0-100 ms of silence.
    Gaussian noise of standard deviation `noise` covers the whole clip.
    """
    if not text or not set(text) <= set(DTMF_LOW):
        raise ValueError(f"text must be a non-empty string of digits 0-9, got {text!r}")
    total = int(round(duration * sample_rate))
    wave = torch.zeros(total, dtype=torch.float64)
    start = int(_uniform(0.0, 0.1, generator) * sample_rate)
    for digit in text:
        length = int(_uniform(0.06, 0.11, generator) * sample_rate)
        if start + length > total:
            raise ValueError(f"{len(text)} digits do not fit in {duration} s; lengthen the clip")
        t = torch.arange(length, dtype=torch.float64) / sample_rate
        loudness = _uniform(0.3, 1.0, generator)
        for freq in (DTMF_LOW[digit], DTMF_HIGH[digit]):
            detuned = freq * (1 + _uniform(-0.015, 0.015, generator))
            wave[start:start + length] += 0.5 * loudness * torch.sin(
                2 * math.pi * detuned * t + _uniform(0, 2 * math.pi, generator))
        start += length + int(_uniform(0.03, 0.07, generator) * sample_rate)
    wave += noise * torch.randn(total, generator=generator, dtype=torch.float64)
    return wave.float()


def make_digit_clips(n, min_digits=2, max_digits=4, duration=0.8, noise=0.5, sample_rate=SAMPLE_RATE, seed=0):
    """n random digit strings and their clips: waveforms (n, T) float32 and the list of n strings."""
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"need 1 <= min_digits <= max_digits, got {min_digits} and {max_digits}")
    generator = torch.Generator().manual_seed(seed)
    texts, waves = [], []
    for _ in range(n):
        length = int(torch.randint(min_digits, max_digits + 1, (), generator=generator))
        text = "".join(str(d) for d in torch.randint(0, 10, (length,), generator=generator).tolist())
        texts.append(text)
        waves.append(synthesize_digits(text, sample_rate, duration, noise, generator))
    return torch.stack(waves), texts


# --- the front end: frames -> windowed FFT -> mel bands -> log ---------------------------------------

def frame_signal(signal, frame_length, hop_length):
    """Cut the last axis into overlapping frames: (..., T) -> (..., n_frames, frame_length).

    Frame f holds samples f * hop_length ... f * hop_length + frame_length - 1; only whole frames
    are kept, so n_frames = 1 + (T - frame_length) // hop_length (no padding).
    """
    if frame_length < 1 or hop_length < 1:
        raise ValueError(f"frame_length and hop_length must be positive, got {frame_length} and {hop_length}")
    if signal.dim() < 1 or signal.size(-1) < frame_length:
        raise ValueError(f"a signal of shape {tuple(signal.shape)} is shorter than one frame of {frame_length} samples")
    return signal.unfold(-1, frame_length, hop_length)  # a strided view: no copy


def power_spectrogram(waveform, n_fft=200, hop_length=80):
    """|STFT|^2 with a periodic Hann window and no padding: (..., T) -> (..., n_frames, n_fft // 2 + 1).

    The same numbers as frame_signal(waveform, n_fft, hop_length) * window, then rfft, squared
    magnitude; torch.stft does it in one call. Row f is frame f; column k is frequency k * sr / n_fft.
    """
    if waveform.dim() < 1 or waveform.size(-1) < n_fft:
        raise ValueError(f"a waveform of shape {tuple(waveform.shape)} is shorter than one frame of {n_fft} samples")
    batch_shape = waveform.shape[:-1]
    window = torch.hann_window(n_fft, periodic=True, dtype=waveform.dtype, device=waveform.device)
    spec = torch.stft(waveform.reshape(-1, waveform.size(-1)), n_fft, hop_length, window=window, center=False,
                      return_complex=True)  # (B, n_fft // 2 + 1, n_frames)
    return spec.abs().pow(2).transpose(-1, -2).reshape(*batch_shape, -1, n_fft // 2 + 1)


def hz_to_mel(hz):
    """The HTK mel scale: equal steps in mel sound like equal steps in pitch. A float or a tensor."""
    log10 = torch.log10 if torch.is_tensor(hz) else math.log10
    return 2595.0 * log10(1.0 + hz / 700.0)


def mel_to_hz(mel):
    """The inverse of hz_to_mel."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(n_mels, n_fft, sample_rate=SAMPLE_RATE, f_min=0.0, f_max=None):
    """(n_fft // 2 + 1, n_mels) triangular filters, centres evenly spaced in mel between f_min and f_max.

    Filter m rises linearly from the frequency of mel point m to 1 at mel point m + 1, and falls back
    to 0 at mel point m + 2 (HTK scale, no area normalisation). power (..., F) @ filters -> (..., n_mels).
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate / 2 = {sample_rate / 2}, got {f_min} and {f_max}")
    bins = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)  # (F,) the FFT bin frequencies
    edges = mel_to_hz(torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2, dtype=torch.float64))
    widths = edges.diff()  # (n_mels + 1,)
    offset = edges[None, :] - bins[:, None]  # (F, n_mels + 2): how far each edge lies above each bin
    rising = -offset[:, :-2] / widths[:-1]  # 0 at the left edge, 1 at the centre
    falling = offset[:, 2:] / widths[1:]  # 1 at the centre, 0 at the right edge
    return torch.clamp(torch.minimum(rising, falling), min=0.0).float()


class LogMelSpectrogram(nn.Module):
    """waveform (..., T) -> log-mel features (..., n_frames, n_mels), Whisper's recipe.

    log10 of the mel power (floored at 1e-10), clipped to 8 decades (80 dB) below the loudest value
    of each clip, then (x + 4) / 4 so that typical values lie near [-1, 1].
    Defaults for 8 kHz audio: a 25 ms window (200 samples) every 10 ms (80 samples), 40 mel bands.
    """

    def __init__(self, sample_rate=SAMPLE_RATE, n_fft=200, hop_length=80, n_mels=40):
        super().__init__()
        self.n_fft, self.hop_length, self.n_mels = n_fft, hop_length, n_mels
        self.register_buffer("filters", mel_filterbank(n_mels, n_fft, sample_rate), persistent=False)

    def forward(self, waveform):
        power = power_spectrogram(waveform, self.n_fft, self.hop_length)  # (..., n_frames, F)
        log_mel = torch.log10(torch.clamp(power @ self.filters.to(power.dtype), min=1e-10))  # (..., n_frames, n_mels)
        loudest = log_mel.amax(dim=(-2, -1), keepdim=True)
        return (torch.maximum(log_mel, loudest - 8.0) + 4.0) / 4.0


def log_mel_spectrogram(waveform, sample_rate=SAMPLE_RATE, n_fft=200, hop_length=80, n_mels=40):
    """Functional form of LogMelSpectrogram: (..., T) -> (..., n_frames, n_mels)."""
    return LogMelSpectrogram(sample_rate, n_fft, hop_length, n_mels).to(waveform.device)(waveform)


# --- transcripts: characters <-> ids ----------------------------------------------------------------

class CharVocab:
    """Characters <-> ids with <pad> = 0, <sos> = 1 (starts every transcript), <eos> = 2 (ends it)."""

    PAD, SOS, EOS = 0, 1, 2

    def __init__(self, chars="0123456789"):
        self.itos = ["<pad>", "<sos>", "<eos>"] + list(chars)
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, texts):
        """B strings -> (inputs, targets), both (B, L) long: inputs = <sos> + text, targets = text + <eos>,
        padded with <pad>. The decoder reads inputs and learns to predict targets (teacher forcing)."""
        if isinstance(texts, str):
            raise ValueError("encode expects a list of strings, got one string; wrap it in a list")
        unknown = {c for text in texts for c in text} - set(self.stoi)
        if unknown:
            raise ValueError(f"characters {sorted(unknown)} are not in the vocabulary {self.itos[3:]}")
        length = max(len(t) for t in texts) + 1
        inputs = torch.full((len(texts), length), self.PAD, dtype=torch.long)
        targets = torch.full((len(texts), length), self.PAD, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = [self.stoi[c] for c in text]
            inputs[row, : len(ids) + 1] = torch.tensor([self.SOS] + ids)
            targets[row, : len(ids) + 1] = torch.tensor(ids + [self.EOS])
        return inputs, targets

    def decode(self, ids):
        """(L,) ids -> the text up to the first <eos>, without specials."""
        out = []
        for i in ids.tolist():
            if i == self.EOS:
                break
            if i > self.EOS:
                out.append(self.itos[i])
        return "".join(out)


# --- the model -------------------------------------------------------------------------------------

class AudioEncoder(nn.Module):
    """log-mel (B, T, n_mels) -> (B, ceil(T / 2), d_model).

    Each clip is first standardised (zero mean, unit variance). Then, as in Whisper: two 1-D
    convolutions over time with GELU (the second with stride 2, halving the sequence the attention
    must read), fixed sinusoidal positions, then a pre-norm Encoder.
    """

    def __init__(self, n_mels, d_model=64, num_heads=4, num_layers=2, d_ff=128, dropout=0.0, max_frames=1000,
                 standardize=True):
        super().__init__()
        self.n_mels, self.standardize = n_mels, standardize
        self.conv1 = nn.Conv1d(n_mels, d_model, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d_model, d_model, kernel_size=3, stride=2, padding=1)
        self.register_buffer("positions", sinusoidal_positional_encoding(max_frames, d_model), persistent=False)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout=dropout, norm_first=True,
                               activation="gelu")

    def forward(self, mels):
        if mels.dim() != 3 or mels.size(-1) != self.n_mels:
            raise ValueError(f"AudioEncoder expects log-mel features (B, T, n_mels={self.n_mels}), "
                             f"got {tuple(mels.shape)}")
        if self.standardize:
            # Standardise each clip. Whisper's log-mels sit near 1 with a small spread; a small model
            # trained for a few hundred steps learns far faster from zero-mean, unit-variance inputs.
            # (The real Whisper, trained for long on its own scale, reads them as they are: standardize=False.)
            mean = mels.mean(dim=(1, 2), keepdim=True)
            std = mels.std(dim=(1, 2), keepdim=True).clamp(min=1e-5)
            mels = (mels - mean) / std
        x = F.gelu(self.conv1(mels.transpose(1, 2)))  # Conv1d wants (B, channels, T)
        x = F.gelu(self.conv2(x)).transpose(1, 2)  # (B, ceil(T / 2), d_model)
        if x.size(1) > self.positions.size(0):
            raise ValueError(f"{mels.size(1)} frames are too many for max_frames={self.positions.size(0)}")
        return self.encoder(x + self.positions[: x.size(1)])


class SpeechToText(nn.Module):
    """A tiny Whisper: AudioEncoder + a character Decoder with cross-attention.

    forward(mels (B, T, n_mels), tokens (B, L)) -> next-character logits (B, L, vocab_size).
    The output layer shares the token embedding's weights, as in Whisper.
    max_frames and standardize are the AudioEncoder's (the real Whisper: 1500 and False).
    """

    def __init__(self, n_mels=40, vocab_size=13, d_model=64, num_heads=4, num_layers=2, d_ff=128, dropout=0.0,
                 max_text_len=16, pad_id=CharVocab.PAD, max_frames=1000, standardize=True):
        super().__init__()
        self.pad_id, self.max_text_len = pad_id, max_text_len
        self.audio_encoder = AudioEncoder(n_mels, d_model, num_heads, num_layers, d_ff, dropout, max_frames,
                                          standardize)
        self.embed = nn.Embedding(vocab_size, d_model)
        # Small, as in GPT-2: the tied output layer multiplies a unit-variance (normed) state by these
        # rows, and N(0, 1) rows would start the softmax saturated.
        nn.init.normal_(self.embed.weight, std=0.02)
        self.positions = nn.Parameter(0.02 * torch.randn(max_text_len, d_model))
        self.decoder = Decoder(num_layers, d_model, num_heads, d_ff, dropout=dropout, norm_first=True,
                               activation="gelu")

    def decode(self, memory, tokens):
        """memory (B, S, d_model) encoded audio, tokens (B, L) -> logits (B, L, vocab_size)."""
        if tokens.dim() != 2 or tokens.size(1) > self.max_text_len:
            raise ValueError(f"tokens must be (B, L) with L <= {self.max_text_len}, got {tuple(tokens.shape)}")
        L = tokens.size(1)
        x = self.embed(tokens) + self.positions[:L]
        # Position t sees characters 0..t only; a padded character is never read (it comes after <eos>).
        mask = causal_mask(L, tokens.device)[None, None] & (tokens != self.pad_id)[:, None, None, :]
        x = self.decoder(x, memory, tgt_mask=mask)
        return x @ self.embed.weight.T  # tied output layer

    def forward(self, mels, tokens):
        return self.decode(self.audio_encoder(mels), tokens)

    @torch.no_grad()
    def generate(self, mels, prefix, eos_id, max_new_tokens, suppress_ids=(), begin_suppress_ids=()):
        """Greedy decoding: extend prefix (B, P) with the likeliest token until every row has written
        eos_id, or max_new_tokens times -> (B, <= P + max_new_tokens) ids, pad_id after a row's eos_id.
        suppress_ids: tokens never to write; begin_suppress_ids: tokens not to write first (Whisper's
        suppress_tokens and begin_suppress_tokens: no empty transcript, no leading space)."""
        with eval_mode(self):
            memory = self.audio_encoder(mels)  # once: every step reads the same audio
            tokens = prefix
            finished = torch.zeros(prefix.size(0), dtype=torch.bool, device=prefix.device)
            suppress_ids = list(suppress_ids)
            for step in range(max_new_tokens):
                logits = self.decode(memory, tokens)[:, -1]  # (B, vocab_size)
                banned = suppress_ids + (list(begin_suppress_ids) if step == 0 else [])
                if banned:
                    logits[:, banned] = float("-inf")
                next_id = logits.argmax(dim=-1).masked_fill(finished, self.pad_id)  # a finished row only pads
                tokens = torch.cat([tokens, next_id[:, None]], dim=1)
                finished |= next_id == eos_id
                if finished.all():
                    break
        return tokens

    def transcribe(self, mels, vocab, max_len=None):
        """Greedy decoding: start from <sos>, append the likeliest character until <eos>. -> B strings."""
        prefix = torch.full((mels.size(0), 1), vocab.SOS, dtype=torch.long, device=mels.device)
        tokens = self.generate(mels, prefix, vocab.EOS, (max_len or self.max_text_len) - 1)
        return [vocab.decode(row[1:]) for row in tokens]

    @torch.no_grad()
    def cross_attention(self, mels, tokens, layer=-1):
        """Where each character looks in the audio: (B, L, S) weights of one decoder layer,
        averaged over heads (row t: the query that predicts character t + 1)."""
        with eval_mode(self):
            with capture_attention(self.decoder.layers, "cross_attn") as weights:
                self(mels, tokens)
        return weights[layer].mean(dim=1)


def transcript_loss(model, batch, pad_id=CharVocab.PAD):
    """Cross-entropy of next-character prediction, skipping padding. batch = (mels, inputs, targets)."""
    mels, inputs, targets = batch
    logits = model(mels, inputs)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=pad_id)


# --- scoring ---------------------------------------------------------------------------------------

def edit_distance(a, b):
    """Levenshtein distance: the fewest insertions, deletions and substitutions that turn a into b."""
    previous = list(range(len(b) + 1))  # distances from the empty prefix of a
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1,  # delete char_a
                               current[j - 1] + 1,  # insert char_b
                               previous[j - 1] + (char_a != char_b)))  # substitute (or keep)
        previous = current
    return previous[-1]


def character_error_rate(predictions, references):
    """Total edit distance / total reference length over a corpus (0 = perfect; can exceed 1)."""
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions for {len(references)} references")
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references are empty: the character error rate is undefined")
    return sum(edit_distance(p, r) for p, r in zip(predictions, references)) / total
