"""Full-precision islands inside mixed-precision training.

With ``precision="bf16-mixed"`` or ``"16-mixed"`` the forward pass runs under
``torch.autocast``. Numerics that lose too much in half precision — sums of
log-densities over a batch (the β-TCVAE estimators), the reconstruction sum over
thousands of pixels, the quantizer's distances and Gumbel-softmax, the exponential-family
conversion — are computed in float32 by decorating them with :func:`float32`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

__all__ = ["float32"]

F = TypeVar("F", bound=Callable[..., Any])


def _to_float32(value: Any) -> Any:
    if torch.is_tensor(value) and value.is_floating_point() and value.dtype != torch.float32:
        return value.float()
    return value


def float32(function: F) -> F:
    """Run ``function`` with autocast disabled and its floating tensor arguments in float32.

    Outside autocast (``precision="32"``) the call is unchanged.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tensor = next((a for a in (*args, *kwargs.values()) if torch.is_tensor(a)), None)
        device_type = tensor.device.type if tensor is not None else "cpu"
        if not torch.is_autocast_enabled(device_type):
            return function(*args, **kwargs)
        args = tuple(_to_float32(a) for a in args)
        kwargs = {key: _to_float32(value) for key, value in kwargs.items()}
        with torch.autocast(device_type, enabled=False):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
