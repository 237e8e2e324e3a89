"""Write ``tests/data/udr_dlib_fixture.npz``: disentanglement_lib's own UDR on fixed inputs.

UDR (Duan et al. 2020, "Unsupervised Model Selection for Variational Disentangled
Representation Learning") lives in disentanglement_lib's
``disentanglement_lib/evaluation/udr/metrics/udr.py``. The PyPI wheel
(``disentanglement-lib`` 1.5) does not ship that module, so this script loads it
from a source checkout of https://github.com/google-research/disentanglement_lib::

    pip install --no-deps absl-py six
    python benchmarks/make_udr_fixture.py --dlib-source /path/to/disentanglement_lib

The module imports ``gin.tf`` only for the ``@gin.configurable`` decorator; a small
stub defined below (a decorator that returns the function unchanged) stands in for
it, so neither gin nor TensorFlow is needed. (This script carries its own stub: the
shared ``benchmarks/_dlib.py`` loader was not on this branch when it was written.)

Inputs are fixed random arrays: posterior means and log-variances of 4 "models"
with 6 latents on 200 points, built from 3 shared factors with per-model latent
permutations, scales, sign flips, mixing and two or three collapsed latents (KL near 0),
so both the scores and the KL filter are exercised. dlib's
``compute_udr_sklearn`` is called exactly as its evaluation binary does (KL per
latent from the Gaussian posterior, averaged over batches of 10), once with the
Lasso and once with the Spearman similarity, with dlib's defaults
(``kl_filter_threshold=0.01``, ``filter_low_kl=True``, Lasso ``alpha=0.1``).
The script prints the model scores of both variants.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np

N_MODELS, N_POINTS, N_LATENTS, N_FACTORS = 4, 200, 6, 3
BATCH_SIZE = 10
OUTPUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "udr_dlib_fixture.npz"
UDR_MODULE = Path("disentanglement_lib") / "evaluation" / "udr" / "metrics" / "udr.py"


def _install_gin_stub() -> None:
    """Register a ``gin`` / ``gin.tf`` module whose ``configurable`` is a no-op decorator."""

    def configurable(*args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda function: function

    gin = types.ModuleType("gin")
    gin.configurable = configurable
    gin.REQUIRED = object()
    gin_tf = types.ModuleType("gin.tf")
    gin_tf.configurable = configurable
    gin.tf = gin_tf
    sys.modules.setdefault("gin", gin)
    sys.modules.setdefault("gin.tf", gin_tf)


def load_dlib_udr(source: Path | None):
    """Import dlib's ``udr`` module, installed or from a source checkout."""
    _install_gin_stub()
    try:
        from disentanglement_lib.evaluation.udr.metrics import udr  # type: ignore

        return udr
    except ImportError:
        if source is None:
            raise SystemExit(
                "disentanglement_lib's udr module is not installed (the PyPI wheel lacks it); "
                "pass --dlib-source with a checkout of google-research/disentanglement_lib."
            )
    path = Path(source) / UDR_MODULE
    if not path.is_file():
        raise SystemExit(f"{path} does not exist; --dlib-source must be the repository root.")
    spec = importlib.util.spec_from_file_location("dlib_udr", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances, each (N_MODELS, N_POINTS, N_LATENTS)."""
    rng = np.random.RandomState(seed)
    factors = rng.uniform(-1.5, 1.5, size=(N_POINTS, N_FACTORS))
    means = np.zeros((N_MODELS, N_POINTS, N_LATENTS))
    logvars = np.zeros((N_MODELS, N_POINTS, N_LATENTS))
    for m in range(N_MODELS):
        # Informative latents: factors (partly mixed, more so for later models) in
        # shuffled slots with random scales and signs; a 4th weakly informative one.
        mixing = np.eye(N_FACTORS) + 0.15 * m * rng.normal(size=(N_FACTORS, N_FACTORS))
        informative = (
            factors @ mixing * rng.choice([-1, 1], N_FACTORS) * rng.uniform(0.5, 2.0, N_FACTORS)
        )
        if m < N_MODELS - 1:  # the last model has one active latent fewer
            informative = np.c_[informative, 0.3 * factors[:, 0] * factors[:, 1]]
        informative += 0.1 * rng.normal(size=informative.shape)
        n_active = informative.shape[1]
        slots = rng.permutation(N_LATENTS)
        active, collapsed = slots[:n_active], slots[n_active:]
        means[m][:, active] = informative
        logvars[m][:, active] = np.log(rng.uniform(0.01, 0.2, size=(N_POINTS, n_active)))
        # Collapsed latents: posterior close to the N(0, 1) prior, KL well below 0.01.
        means[m][:, collapsed] = 0.02 * rng.normal(size=(N_POINTS, collapsed.size))
        logvars[m][:, collapsed] = 0.01 * rng.normal(size=(N_POINTS, collapsed.size))
    return means, logvars


def run_dlib(udr, means: np.ndarray, logvars: np.ndarray, correlation: str) -> dict:
    """``compute_udr_sklearn`` on the fixed arrays, fed in order in batches of 10."""

    class FixedRows:
        """Stands in for a GroundTruthData: "observations" are consecutive row indices."""

        def __init__(self):
            self.next_row = 0

        def sample_observations(self, num, random_state):
            rows = np.arange(self.next_row, self.next_row + num)
            self.next_row += num
            return rows

    def representation_function(model):
        # dlib's evaluation binary: posterior mean and the batch mean of the Gaussian
        # KL per latent, 0.5 (mu^2 + exp(logvar) - logvar - 1).
        def function(rows):
            mu, logvar = means[model][rows], logvars[model][rows]
            kl = np.mean(0.5 * (np.square(mu) + np.exp(logvar) - logvar - 1), axis=0)
            return mu, kl

        return function

    return udr.compute_udr_sklearn(
        FixedRows(),
        [representation_function(m) for m in range(N_MODELS)],
        random_state=np.random.RandomState(0),
        batch_size=BATCH_SIZE,
        num_data_points=N_POINTS,
        correlation_matrix=correlation,
        filter_low_kl=True,
        include_raw_correlations=True,
        kl_filter_threshold=0.01,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dlib-source", type=Path, default=None, help="disentanglement_lib checkout"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    udr = load_dlib_udr(args.dlib_source)
    means, logvars = make_inputs()
    arrays = {"means": means, "logvars": logvars, "kl_filter_threshold": np.array(0.01)}
    for correlation in ("lasso", "spearman"):
        result = run_dlib(udr, means, logvars, correlation)
        arrays[f"{correlation}_raw_correlations"] = np.asarray(
            result["raw_correlations"], dtype=float
        )
        arrays[f"{correlation}_pairwise_scores"] = np.asarray(
            result["pairwise_disentanglement_scores"], dtype=float
        )[..., 0]
        arrays[f"{correlation}_model_scores"] = np.asarray(result["model_scores"], dtype=float)
        print(
            f"dlib UDR ({correlation}) model scores:",
            np.round(arrays[f"{correlation}_model_scores"], 6),
        )
    kl = np.mean(0.5 * (np.square(means) + np.exp(logvars) - logvars - 1), axis=1)
    print("active latents per model (KL > 0.01):", (kl > 0.01).sum(axis=1))
    np.savez_compressed(args.output, **arrays)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
