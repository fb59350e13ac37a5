"""Spoken digits, generated offline: telephone keypad (DTMF) clips of digit strings (lesson 07's speech data).

Each clip is a telephone keypad dialling a digit string (DTMF: every key sounds two sine tones at
once, a low "row" tone and a high "column" tone), with random durations, pauses, loudness, slightly
detuned tones and background noise.
"""
from typing import Optional

import math

import torch

SAMPLE_RATE = 8000  # telephone audio: enough for DTMF, whose highest tone is 1477 Hz
DTMF_LOW = {"1": 697, "2": 697, "3": 697, "4": 770, "5": 770, "6": 770, "7": 852, "8": 852, "9": 852, "0": 941}
DTMF_HIGH = {"1": 1209, "2": 1336, "3": 1477, "4": 1209, "5": 1336, "6": 1477, "7": 1209, "8": 1336,
             "9": 1477, "0": 1336}


def _uniform(low, high, generator):
    return low + (high - low) * torch.rand((), generator=generator).item()


def synthesize_digits(text: str, sample_rate: int = SAMPLE_RATE, duration: float = 0.8, noise: float = 0.5,
                      generator: Optional[torch.Generator] = None) -> torch.Tensor:
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


def make_digit_clips(n: int, min_digits: int = 2, max_digits: int = 4, duration: float = 0.8, noise: float = 0.5,
                     sample_rate: int = SAMPLE_RATE, seed: int = 0) -> tuple:
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
