"""Comparisons that teach: each failure says what was expected and, for a recognised mistake, its cause.

`mistakes` is a list of (what a typical mistake would have returned, the message naming it): when the
answer matches one of them, the message says so instead of a bare "values differ".
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .core import CheckFailed


def _close(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float) -> bool:
    if a.shape != b.shape:
        return False
    a, b = a.double(), b.double()
    return bool(torch.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True))


def expect_tensor(got: Any, expected: torch.Tensor, what: str, dims: str = "",
                  mistakes: Iterable[tuple[torch.Tensor | None, str]] = (), atol: float = 1e-5, rtol: float = 1.3e-6,
                  dtype_kind: str | None = None) -> None:
    """`got` must be a tensor of `expected`'s shape (named by `dims`, e.g. "(..., Lq, Lk)") and values."""
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{what} should be a torch.Tensor {dims}, got {type(got).__name__}")
    for wrong, message in mistakes:  # a recognised mistake explains itself, shape errors included
        if isinstance(wrong, torch.Tensor) and _same(got, wrong, atol, rtol) and not _same(got, expected, atol, rtol):
            raise CheckFailed(f"{what}: {message}")
    if got.shape != expected.shape:
        raise CheckFailed(f"{what} should have shape {tuple(expected.shape)} {dims}, got {tuple(got.shape)}")
    if dtype_kind == "bool" and got.dtype != torch.bool:
        raise CheckFailed(f"{what} should be a boolean tensor (True/False), got dtype {got.dtype}")
    if dtype_kind == "integer" and (got.is_floating_point() or got.dtype == torch.bool):
        raise CheckFailed(f"{what} should hold integers, got dtype {got.dtype}")
    if dtype_kind == "float" and not got.is_floating_point():
        raise CheckFailed(f"{what} should be a floating-point tensor, got dtype {got.dtype}")
    if got.is_floating_point() and expected.is_floating_point():
        nan = torch.isnan(got) & ~torch.isnan(expected)
        if nan.any():
            raise CheckFailed(f"{what} has NaN at {nan.sum().item()} position(s) where {_at(nan)} "
                              "a number is expected (an exp overflow, 0/0, or -inf - -inf?)")
        inf = torch.isinf(got) & ~torch.isinf(expected)
        if inf.any():
            raise CheckFailed(f"{what} has ±inf at {inf.sum().item()} position(s) where {_at(inf)} "
                              "a finite number is expected")
    if not _same(got, expected, atol, rtol):
        differ = ~torch.isclose(got.double(), expected.double(), atol=atol, rtol=rtol, equal_nan=True)
        index = tuple(differ.nonzero()[0].tolist())
        raise CheckFailed(f"{what}: {differ.sum().item()} of {differ.numel()} values differ from the reference; "
                          f"first at index {index}: got {_item(got[index])}, expected {_item(expected[index])}")


def _same(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float) -> bool:
    if a.shape != b.shape:
        return False
    if not a.is_floating_point() and not b.is_floating_point():
        return bool(torch.equal(a.long(), b.long()))
    return _close(a, b, atol, rtol)


def _at(mask: torch.Tensor) -> str:
    return f"(first at index {tuple(mask.nonzero()[0].tolist())})"


def _item(value: torch.Tensor) -> str:
    value = value.item() if value.numel() == 1 else value.tolist()
    return f"{value:.5g}" if isinstance(value, float) else str(value)


def expect_equal(got: Any, expected: Any, what: str, mistakes: Iterable[tuple[Any, str]] = ()) -> None:
    """Exact equality for numbers, strings, lists (tensors inside compared exactly)."""
    if _equal(got, expected):
        return
    for wrong, message in mistakes:
        if _equal(got, wrong):
            raise CheckFailed(f"{what}: {message}")
    raise CheckFailed(f"{what} should be {_short(expected)}, got {_short(got)}")


def expect_number(got: Any, expected: float, what: str, mistakes: Iterable[tuple[float, str]] = (), rel: float = 1e-4,
                  abs_: float = 1e-6) -> None:
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise CheckFailed(f"{what} should be a number, got {type(got).__name__}")
    if abs(got - expected) <= max(abs_, rel * abs(expected)):
        return
    for wrong, message in mistakes:
        if abs(got - wrong) <= max(abs_, rel * abs(wrong)):
            raise CheckFailed(f"{what}: {message} (got {got:.6g}, expected {expected:.6g})")
    raise CheckFailed(f"{what} should be {expected:.6g}, got {got:.6g}")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.shape == b.shape and bool((a == b).all()))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                             and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _short(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, torch.Tensor) else value)
    return text if len(text) <= 120 else text[:117] + "..."


def expect_tuple(got: Any, length: int, what: str) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != length:
        kind = f"a {type(got).__name__}" if not isinstance(got, (tuple, list)) else f"{len(got)} values"
        raise CheckFailed(f"{what} should return {length} values as a tuple, got {kind}")
