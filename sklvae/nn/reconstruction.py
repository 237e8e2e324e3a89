"""Reconstruction losses and the output mean they imply.

Conventions follow disentanglement_lib: per-sample losses are **summed** over pixels
(or features); the net averages over the batch. ``"bernoulli"`` is the sigmoid
cross-entropy on logits; ``"gaussian"`` is the summed squared error between the data and
the output mean (dlib's ``l2_loss``: the mean is ``sigmoid(logits)`` for data in [0, 1],
the raw output for unbounded tabular data). ``"mse"`` is FactorQVAE's ``F.mse_loss``
(as the official FactorQVAE code): the decoder output is unbounded and predicts the data
shifted by -0.5 (images) or the data itself (tabular); the per-sample loss is the
**mean** squared error over elements, so its batch mean is the official mean MSE.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._precision import float32

LIKELIHOODS = ("bernoulli", "gaussian", "mse")


def output_mean(outputs: torch.Tensor, likelihood: str, bounded: bool) -> torch.Tensor:
    """Mean of p(x | z) from the decoder's raw outputs."""
    if likelihood == "mse":
        return (outputs + 0.5).clamp(0.0, 1.0) if bounded else outputs
    if likelihood == "bernoulli" or bounded:
        return torch.sigmoid(outputs)
    return outputs


@float32
def reconstruction_loss(
    outputs: torch.Tensor, x: torch.Tensor, likelihood: str, bounded: bool
) -> torch.Tensor:
    """Per-sample negative log-likelihood (up to constants), shape ``(n,)``."""
    if likelihood == "mse":
        target = x - 0.5 if bounded else x
        return (outputs - target).pow(2).flatten(1).mean(1)
    if likelihood == "bernoulli":
        loss = F.binary_cross_entropy_with_logits(outputs, x, reduction="none")
    elif likelihood == "gaussian":
        loss = (output_mean(outputs, likelihood, bounded) - x).pow(2)
    else:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}.")
    return loss.flatten(1).sum(1)
