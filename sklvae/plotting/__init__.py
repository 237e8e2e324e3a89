"""Figures for datasets, fitted models, metric matrices and studies.

matplotlib is an optional dependency (``pip install 'sklvae[plot]'``): every function
imports it when it is called, so ``import sklvae`` works without it; each returns the
:class:`matplotlib.figure.Figure` it draws.

- images: :func:`plot_factor_grid`, :func:`plot_latent_traversals`,
  :func:`plot_reconstructions`;
- metric matrices: :func:`plot_dci_matrix`, :func:`plot_nmi_heatmap`;
- studies (tables from :func:`sklvae.model_selection.run_study`):
  :func:`plot_metric_distributions`, :func:`plot_metric_vs_param`,
  :func:`plot_metric_rank_correlation`.
"""

from .images import plot_factor_grid, plot_latent_traversals, plot_reconstructions
from .matrices import plot_dci_matrix, plot_nmi_heatmap
from .study import plot_metric_distributions, plot_metric_rank_correlation, plot_metric_vs_param

__all__ = [
    "plot_factor_grid",
    "plot_latent_traversals",
    "plot_reconstructions",
    "plot_dci_matrix",
    "plot_nmi_heatmap",
    "plot_metric_distributions",
    "plot_metric_vs_param",
    "plot_metric_rank_correlation",
]
