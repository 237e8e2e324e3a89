"""Which devices a fit may use, checked before anything is built."""

from __future__ import annotations

import torch

__all__ = ["available_devices", "resolve_device"]


def available_devices() -> list[str]:
    """The devices this machine offers: ``"cpu"``, then ``"cuda:0"``, ... and ``"mps"``."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{index}" for index in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(device: str | torch.device | None) -> str:
    """``"auto"`` → ``"cuda"`` when available, else ``"cpu"``; other names are checked.

    Raises
    ------
    ValueError
        If ``device`` is not a device name torch knows, or names a device this machine
        does not have; the message lists the available ones.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    available = available_devices()
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a device name; use 'auto' or one of {', '.join(available)}."
        ) from None
    if parsed.type == "cuda":
        index = 0 if parsed.index is None else parsed.index
        if f"cuda:{index}" not in available:
            status = (
                f"has {torch.cuda.device_count()} device(s)"
                if torch.cuda.is_available()
                else "is not available"
            )
            raise ValueError(
                f"device={device!r} is not available on this machine (CUDA {status}); "
                f"use 'auto' or one of {', '.join(available)}."
            )
    elif parsed.type not in ("cpu", "mps") or (parsed.type == "mps" and "mps" not in available):
        raise ValueError(
            f"device={device!r} is not available on this machine; use 'auto' or one of "
            f"{', '.join(available)}."
        )
    return str(device)
