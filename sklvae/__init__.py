"""sklvae: disentangling VAEs as scikit-learn estimators, trained with skorch."""

from . import datasets, metrics, model_selection, plotting  # noqa: F401  (sklvae.metrics.dci_scorer, ...)
from ._checkpoint import CheckpointError
from ._training import TrainingDivergedError
from .base import BaseDisentangler
from .models.clg import CLGVAE
from .models.group import GroupActionAE
from .models.mipet import MIPETVAE
from .models.quantized import DVAE, QLAE, QVAE, VQVAE, BioAE, FactorDVAE, FactorQVAE
from .models.vae import DIPVAE, VAE, AnnealedVAE, BetaTCVAE, BetaVAE, FactorVAE
from .models.weak import AdaGVAE, AdaMLVAE

__version__ = "0.1.0"

__all__ = [
    "BaseDisentangler",
    "TrainingDivergedError",
    "CheckpointError",
    "VAE",
    "BetaVAE",
    "BetaTCVAE",
    "FactorVAE",
    "AnnealedVAE",
    "DIPVAE",
    "MIPETVAE",
    "CLGVAE",
    "FactorQVAE",
    "QVAE",
    "DVAE",
    "FactorDVAE",
    "QLAE",
    "VQVAE",
    "BioAE",
    "GroupActionAE",
    "AdaGVAE",
    "AdaMLVAE",
]
