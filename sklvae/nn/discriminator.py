"""The total-correlation discriminator shared by FactorVAE, FactorQVAE and FactorDVAE.

Kim & Mnih (2018): a classifier D tells samples of q(z) from samples of the product of
its marginals, obtained by permuting every latent position independently across the
batch. With two logits, TC(z) ≈ E[D_0(z) − D_1(z)] (density-ratio trick).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def permute_dims(z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shuffle each column of ``z`` (n, ...) independently over the batch.

    Every position keeps its marginal; the dependence between positions is broken.
    Trailing dimensions (e.g. one-hot weights per latent) move together with their
    position.
    """
    n = z.shape[0]
    n_positions = z.shape[1]
    keys = torch.rand((n, n_positions), generator=generator, device="cpu").to(z.device)
    order = keys.argsort(dim=0)  # an independent permutation per position
    index = order.reshape(n, n_positions, *([1] * (z.ndim - 2))).expand_as(z)
    return torch.gather(z, 0, index)


class TCDiscriminator(nn.Module):
    """MLP with two logits: 0 = "joint q(z)", 1 = "product of marginals".

    Parameters
    ----------
    n_inputs : int
        Input width (inputs are flattened: ``n_latents``, or ``n_latents * K`` soft
        one-hot weights for FactorQVAE / FactorDVAE).
    hidden_dim : int, default=1000
    n_layers : int, default=6
        Hidden layers, each Linear + LeakyReLU; the MLP has ``n_layers + 1`` linear
        layers. 6 is disentanglement_lib's FactorVAE discriminator; the official
        FactorQVAE one has 5 (6 linear layers in all).
    negative_slope : float, default=0.2
        Slope of the LeakyReLU.
    """

    def __init__(
        self, n_inputs: int, hidden_dim: int = 1000, n_layers: int = 6, negative_slope: float = 0.2
    ):
        super().__init__()
        layers: list[nn.Module] = []
        previous = int(n_inputs)
        for _ in range(n_layers):
            layers += [nn.Linear(previous, hidden_dim), nn.LeakyReLU(negative_slope)]
            previous = hidden_dim
        layers.append(nn.Linear(previous, 2))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.flatten(1))

    def total_correlation(self, z: torch.Tensor) -> torch.Tensor:
        """Density-ratio estimate of TC(z), averaged over the batch."""
        logits = self(z)
        return (logits[:, 0] - logits[:, 1]).mean()

    def loss(self, z_joint: torch.Tensor, z_permuted: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of telling ``z_joint`` (class 0) from ``z_permuted`` (class 1)."""
        logits_joint = self(z_joint)
        logits_perm = self(z_permuted)
        zeros = torch.zeros(logits_joint.shape[0], dtype=torch.long, device=z_joint.device)
        ones = torch.ones(logits_perm.shape[0], dtype=torch.long, device=z_joint.device)
        return 0.5 * (F.cross_entropy(logits_joint, zeros) + F.cross_entropy(logits_perm, ones))
