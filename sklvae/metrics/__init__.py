"""Disentanglement metrics, exact to their reference implementations.

Array-level metrics take ``(latents, factors)`` in scikit-learn orientation,
``(n_samples, n_latents)`` floats and ``(n_samples, n_factors)`` integer
classes, and return a dict with the reference implementation's keys:
:func:`mig`, :func:`sap`, :func:`dci`, :func:`modularity_explicitness`,
:func:`infomec`, :func:`irs`, :func:`unsupervised_scores`; DCI-ES
(:func:`dci_es`, with explicitness from loss-capacity curves and size) and Carbonneau
et al.'s suite (:func:`z_min_variance`, :func:`mig_sup`, :func:`jemmig`, :func:`dcimig`).

Unsupervised model selection over several fitted Gaussian VAEs: :func:`udr`
(array-level core :func:`udr_from_representations`).

Interventional metrics take a fitted estimator and a ground-truth dataset:
:func:`beta_vae_score`, :func:`factor_vae_score`.

Scorers ``scorer(estimator, X, y)`` for ``GridSearchCV``/``cross_validate``:
:func:`make_disentanglement_scorer`, :data:`dci_scorer`, :data:`mig_scorer`, ...
and :func:`evaluate_disentanglement` runs disentanglement_lib's protocol.
"""

from ._information import discrete_entropy, discrete_mutual_info, histogram_discretize
from ._representation import sample_latents_and_factors
from .dci import completeness_score, dci, disentanglement_score, fast_dci_classifier
from .dci_es import dci_es, explicitness_score
from .dcimig import dcimig
from .infomec import infomec, nmi_matrix
from .interventional import beta_vae_score, factor_vae_score
from .irs import irs
from .jemmig import jemmig
from .mig import mig
from .mig_sup import mig_sup
from .modularity import modularity_explicitness, modularity_score
from .sap import sap
from .scorers import (
    DISENTANGLEMENT_METRICS,
    DisentanglementScorer,
    InterventionalScorer,
    dci_es_scorer,
    dci_scorer,
    dcimig_scorer,
    evaluate_disentanglement,
    infomec_scorer,
    irs_scorer,
    jemmig_scorer,
    make_beta_vae_scorer,
    make_disentanglement_scorer,
    make_factor_vae_scorer,
    mig_scorer,
    mig_sup_scorer,
    modularity_scorer,
    sap_scorer,
    z_min_variance_scorer,
)
from .udr import gaussian_kl_per_latent, udr, udr_from_representations
from .unsupervised import (
    ConstantLatentWarning,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    unsupervised_scores,
)
from .z_min_variance import z_min_variance

__all__ = [
    "mig",
    "sap",
    "dci",
    "fast_dci_classifier",
    "disentanglement_score",
    "completeness_score",
    "modularity_explicitness",
    "modularity_score",
    "infomec",
    "nmi_matrix",
    "irs",
    "dci_es",
    "explicitness_score",
    "z_min_variance",
    "mig_sup",
    "jemmig",
    "dcimig",
    "unsupervised_scores",
    "ConstantLatentWarning",
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
    "udr",
    "udr_from_representations",
    "gaussian_kl_per_latent",
    "beta_vae_score",
    "factor_vae_score",
    "histogram_discretize",
    "discrete_mutual_info",
    "discrete_entropy",
    "sample_latents_and_factors",
    "DISENTANGLEMENT_METRICS",
    "DisentanglementScorer",
    "InterventionalScorer",
    "make_disentanglement_scorer",
    "make_beta_vae_scorer",
    "make_factor_vae_scorer",
    "evaluate_disentanglement",
    "dci_scorer",
    "mig_scorer",
    "sap_scorer",
    "modularity_scorer",
    "infomec_scorer",
    "irs_scorer",
    "dci_es_scorer",
    "z_min_variance_scorer",
    "mig_sup_scorer",
    "jemmig_scorer",
    "dcimig_scorer",
]
