"""Spectrograms: framing, the power spectrogram, the mel filterbank and Whisper's log-mel features.

Whisper's front end, written with torch only: frame the waveform into overlapping windows (25 ms,
every 10 ms), take a windowed FFT of each frame (torch.stft), pool the power into mel bands, take
the log. The defaults suit the course's 8 kHz telephone audio (utils.data.speech).
"""
from typing import Optional, Union

import math

import torch
import torch.nn as nn

from .data.speech import SAMPLE_RATE


def frame_signal(signal: torch.Tensor, frame_length: int, hop_length: int) -> torch.Tensor:
    """Cut the last axis into overlapping frames: (..., T) -> (..., n_frames, frame_length).

    Frame f holds samples f * hop_length ... f * hop_length + frame_length - 1; only whole frames
    are kept, so n_frames = 1 + (T - frame_length) // hop_length (no padding).
    """
    if frame_length < 1 or hop_length < 1:
        raise ValueError(f"frame_length and hop_length must be positive, got {frame_length} and {hop_length}")
    if signal.dim() < 1 or signal.size(-1) < frame_length:
        raise ValueError(f"a signal of shape {tuple(signal.shape)} is shorter than one frame of {frame_length} samples")
    return signal.unfold(-1, frame_length, hop_length)  # a strided view: no copy


def power_spectrogram(waveform: torch.Tensor, n_fft: int = 200, hop_length: int = 80) -> torch.Tensor:
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


def hz_to_mel(hz: Union[float, torch.Tensor]) -> Union[float, torch.Tensor]:
    """The HTK mel scale: equal steps in mel sound like equal steps in pitch. A float or a tensor."""
    log10 = torch.log10 if torch.is_tensor(hz) else math.log10
    return 2595.0 * log10(1.0 + hz / 700.0)


def mel_to_hz(mel: Union[float, torch.Tensor]) -> Union[float, torch.Tensor]:
    """The inverse of hz_to_mel."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int = SAMPLE_RATE, f_min: float = 0.0,
                   f_max: Optional[float] = None) -> torch.Tensor:
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

    def __init__(self, sample_rate: int = SAMPLE_RATE, n_fft: int = 200, hop_length: int = 80, n_mels: int = 40):
        super().__init__()
        self.n_fft, self.hop_length, self.n_mels = n_fft, hop_length, n_mels
        self.register_buffer("filters", mel_filterbank(n_mels, n_fft, sample_rate), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        power = power_spectrogram(waveform, self.n_fft, self.hop_length)  # (..., n_frames, F)
        log_mel = torch.log10(torch.clamp(power @ self.filters.to(power.dtype), min=1e-10))  # (..., n_frames, n_mels)
        loudest = log_mel.amax(dim=(-2, -1), keepdim=True)
        return (torch.maximum(log_mel, loudest - 8.0) + 4.0) / 4.0


def log_mel_spectrogram(waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE, n_fft: int = 200,
                        hop_length: int = 80, n_mels: int = 40) -> torch.Tensor:
    """Functional form of LogMelSpectrogram: (..., T) -> (..., n_frames, n_mels)."""
    return LogMelSpectrogram(sample_rate, n_fft, hop_length, n_mels).to(waveform.device)(waveform)
