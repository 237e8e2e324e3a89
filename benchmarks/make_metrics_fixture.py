"""Write ``tests/data/metrics_reference_fixture.npz``: DCI-ES and Carbonneau et al.'s metrics
computed by their reference code on fixed representations.

References (source checkouts, not installed packages):

* Carbonneau et al.'s suite, https://github.com/ubisoft/ubisoft-laforge-disentanglement-metrics
  (``src/metrics/{z_min_var,mig_sup,jemmig,dcimig}.py``, ``src/utils.py``). It needs
  ``pyitlib``; ``z_min_var.py`` imports ``NaN`` from ``numpy.core.numeric``, gone in
  numpy 2, so the script makes that name importable before loading it.
* DCI-ES, https://github.com/andreinicolicioiu/DCI-ES: the random-forest probe
  ``src/loss_capacity/train_model_random_forest.py`` (``train_test_random_forest``,
  called once per probe depth as ``src/train_probe.py`` does), the explicitness of
  ``metrics/explitcitness.py``; ``src/simple_gather.py`` is a script (no function to
  import), so its last step (D and C of the depth with the best mean test
  accuracy, the chance losses ``1 - 1/K``) is re-stated here. The probe module
  imports ``sage``, ``xgboost``, ``torch`` and ``termcolor`` for paths not taken
  here: stand-ins are registered for the missing ones, and its data loading
  (``get_representations_split``, which shuffles batches of a DataLoader) is
  replaced by the fixed arrays, returned as float32 as it returns them.

Run (in an environment with ``pyitlib``; nothing of it is needed by sklvae)::

    pip install --no-deps pyitlib future
    python benchmarks/make_metrics_fixture.py --carbonneau-source PATH --dci-es-source PATH

Inputs: 3 factors with 4, 5 and 6 classes, 1,000 training and 500 test points
drawn uniformly with ``RandomState(0)``, and three representations of them
(``make_representations``): *disentangled* (one latent per factor plus a noise
latent), *entangled* (a squashed, nearly uniform mixing of all factors into 4 latents) and
*mixed* (two clean latents, one mixing two factors, and a constant latent).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "metrics_reference_fixture.npz"
FACTOR_SIZES = (4, 5, 6)
N_TRAIN, N_TEST = 1000, 500
N_BINS = 10
#: Z-min variance settings (smaller than the reference defaults so the test is fast)
Z_MIN_VAR = {"batch_size": 50, "nb_training": 200, "nb_eval": 200, "seed": 3}
#: DCI-ES probe sweep (the reference sweeps depths 1..32 with 100 trees)
DCI_ES = {"capacities": (1, 2, 3, 4, 8, 16), "num_trees": 20, "seed": 0}
REPRESENTATIONS = ("disentangled", "entangled", "mixed")
#: index of the constant latent of the "mixed" representation
DEAD_LATENT = 3


def make_factors(n: int, rng: np.random.RandomState) -> np.ndarray:
    return np.stack([rng.randint(size, size=n) for size in FACTOR_SIZES], axis=1)


def make_representations(factors: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The three representations of ``factors`` (each (n, 4))."""
    rng = np.random.RandomState(seed)
    n = factors.shape[0]
    scaled = factors / (np.array(FACTOR_SIZES) - 1.0)
    # nearly equal weights: every latent carries every factor (the same map for train and test)
    mixing = 1 / 3 + 0.1 * np.random.RandomState(42).normal(size=(3, 4))
    disentangled = np.c_[scaled + 0.05 * rng.normal(size=(n, 3)), rng.normal(size=n)]
    entangled = np.tanh(scaled @ mixing) + 0.05 * rng.normal(size=(n, 4))
    mixed = np.c_[
        scaled[:, 0] + 0.05 * rng.normal(size=n),
        scaled[:, 1] + 0.05 * rng.normal(size=n),
        scaled[:, 1] + scaled[:, 2] + 0.05 * rng.normal(size=n),
        np.full(n, 0.25),
    ]
    return {"disentangled": disentangled, "entangled": entangled, "mixed": mixed}


def load_carbonneau(source: Path):
    """Import the suite's four metric modules from ``source/src``."""
    import numpy.core.numeric as numeric  # numpy 2 still serves the old module path

    if not hasattr(numeric, "NaN"):
        numeric.NaN = np.nan  # the name z_min_var.py imports (removed in numpy 2)
    sys.path.insert(0, str(source / "src"))
    sys.path.insert(0, str(source / "src" / "metrics"))
    return {
        name: importlib.import_module(name) for name in ("z_min_var", "mig_sup", "jemmig", "dcimig")
    }


def load_dci_es(source: Path):
    """Import DCI-ES's probe and explicitness modules from a source checkout."""
    for name in ("sage", "xgboost", "termcolor"):
        try:
            importlib.import_module(name)
        except ImportError:
            stub = types.ModuleType(name)
            stub.colored = lambda text, *args, **kwargs: text
            sys.modules[name] = stub
    sys.path.insert(0, str(source))
    sys.path.insert(0, str(source / "src"))
    forest = importlib.import_module("loss_capacity.train_model_random_forest")
    explicitness = importlib.import_module("metrics.explitcitness")
    return forest, explicitness


class _Split:
    """What ``train_test_random_forest`` reads of a DataLoader: its dataset's attributes."""

    def __init__(self, latents, factors):
        self.latents = latents.astype(np.float32)
        self.targets = (factors / (np.array(FACTOR_SIZES) - 1.0)).astype(np.float32)
        self.dataset = self
        self._factor_sizes = list(FACTOR_SIZES)
        self._factor_discrete = [True] * len(FACTOR_SIZES)
        self._factor_names = [f"factor_{j}" for j in range(len(FACTOR_SIZES))]

    def __len__(self):
        return len(self.latents)


class _Writer:
    def add_scalar(self, *args, **kwargs):
        pass


def run_dci_es(forest, explicitness, latents, factors, latents_test, factors_test) -> dict:
    train, test = _Split(latents, factors), _Split(latents_test, factors_test)
    for split, classes in ((train, factors), (test, factors_test)):
        recovered = (split.targets * (np.array(FACTOR_SIZES) - 1) + 0.00001).astype(np.int32)
        assert np.array_equal(recovered, classes), "normalised targets do not round-trip"
    forest.get_representations_split = lambda model, dataset, *args, **kwargs: (
        dataset.latents,
        dataset.targets,
    )
    test_scores, dci_scores = [], []
    for depth in DCI_ES["capacities"]:
        # the probe saves (and would reload) its forests, and prints a lot
        quiet = contextlib.redirect_stdout(io.StringIO())
        with (
            tempfile.TemporaryDirectory() as folder,
            quiet,
            contextlib.redirect_stderr(io.StringIO()),
        ):
            _, _, _, test_score, scores = forest.train_test_random_forest(
                model=None,
                dataloader_train=train,
                dataloader_val=test,
                dataloader_test=test,
                method="rf",
                max_leaf_nodes=None,
                max_depth=depth,
                num_trees=DCI_ES["num_trees"],
                seed=DCI_ES["seed"],
                tb_writer=_Writer(),
                savefolder=folder,
                use_sage=False,
            )
        test_scores.append(test_score)
        dci_scores.append(scores)
    losses = 1.0 - np.array(test_scores).T  # (n_factors, n_capacities)
    per_factor = []
    for j, size in enumerate(FACTOR_SIZES):
        curve = explicitness.Explitcitness()
        curve.add_curve(np.array(DCI_ES["capacities"]), losses[j], 1.0 - 1.0 / size, name="f")
        per_factor.append(curve.get_explitcitness()["f"])
    informativeness = np.array([s["informativeness_test"] for s in dci_scores])
    best = int(np.argmax(informativeness))
    return {
        "explicitness": float(np.mean(per_factor)),
        "explicitness_per_factor": np.array(per_factor),
        "disentanglement": float(dci_scores[best]["disentanglement"]),
        "completeness": float(dci_scores[best]["completeness"]),
        "informativeness_test": float(informativeness[best]),
        "test_loss": losses.T,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carbonneau-source", type=Path, required=True)
    parser.add_argument("--dci-es-source", type=Path, required=True)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    suite = load_carbonneau(args.carbonneau_source)
    forest, explicitness = load_dci_es(args.dci_es_source)

    rng = np.random.RandomState(0)
    factors, factors_test = make_factors(N_TRAIN, rng), make_factors(N_TEST, rng)
    arrays: dict[str, np.ndarray] = {"factors": factors, "factors_test": factors_test}
    for prefix, settings in (("z_min_var", Z_MIN_VAR), ("dci_es", DCI_ES)):
        for key, value in settings.items():
            arrays[f"setting_{prefix}_{key}"] = np.asarray(value)
    arrays["setting_n_bins"] = np.asarray(N_BINS)
    train_reps, test_reps = make_representations(factors, 1), make_representations(factors_test, 2)
    for name in REPRESENTATIONS:
        latents = train_reps[name]
        arrays[f"{name}_latents"], arrays[f"{name}_latents_test"] = latents, test_reps[name]
        kwargs = {"factors": factors, "codes": latents, "continuous_factors": False}
        for metric in ("mig_sup", "jemmig", "dcimig"):
            with np.errstate(all="ignore"):
                arrays[f"{name}_{metric}"] = np.asarray(
                    getattr(suite[metric], metric)(nb_bins=N_BINS, **kwargs), dtype=float
                )
        np.random.seed(Z_MIN_VAR["seed"])
        arrays[f"{name}_z_min_variance"] = np.asarray(
            suite["z_min_var"].z_min_var(
                batch_size=Z_MIN_VAR["batch_size"],
                nb_training=Z_MIN_VAR["nb_training"],
                nb_eval=Z_MIN_VAR["nb_eval"],
                **kwargs,
            ),
            dtype=float,
        )
        if name == "mixed":
            # the reference's MIG-sup is NaN with a constant latent (0 / 0); it is also
            # stored without that latent, which sklvae's value must equal times (L - 1) / L
            alive = np.delete(latents, DEAD_LATENT, axis=1)
            arrays["mixed_mig_sup_without_constant_latent"] = np.asarray(
                suite["mig_sup"].mig_sup(factors, alive, continuous_factors=False, nb_bins=N_BINS)
            )
        result = run_dci_es(forest, explicitness, latents, factors, test_reps[name], factors_test)
        for key, value in result.items():
            arrays[f"{name}_dci_es_{key}"] = np.asarray(value)
        print(
            f"{name:13s}",
            " ".join(
                f"{metric}={float(arrays[f'{name}_{metric}']):.6f}"
                for metric in ("z_min_variance", "mig_sup", "jemmig", "dcimig")
            ),
            " ".join(
                f"{key}={float(arrays[f'{name}_dci_es_{key}']):.6f}"
                for key in (
                    "explicitness",
                    "disentanglement",
                    "completeness",
                    "informativeness_test",
                )
            ),
        )
    np.savez_compressed(args.output, **arrays)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
