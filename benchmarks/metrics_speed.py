"""Speed of sklvae's metrics against disentanglement_lib's own metric functions.

The workload is dlib's: a 10-latent representation of 5 factors with dSprites'
class counts (3, 6, 40, 32, 32), 10,000 training and 5,000 test points (DCI:
2,000 / 1,000 by default, 10,000 / 5,000 with ``--full-dci``). Both libraries get
the same arrays: dlib's ``compute_*`` functions are called as shipped through a
ground-truth-data adapter that hands out the fixed points in one batch (so dlib's
sampling loop costs nothing), with the gin bindings of its study configs
(histogram discretiser, 20 bins) installed by ``benchmarks/_dlib.py``.

    pip install --no-deps disentanglement-lib absl-py six
    python -m benchmarks.metrics_speed [--full-dci] [--n-jobs 2] [--repeats 3]
        [--dci-repeats 1] [--dci-representations mixed,disentangled,entangled]
        [--dlib-threads 1] [--skip-dci]

dlib runs in one process, as shipped (its BLAS / OpenMP libraries pick their
thread counts; ``--dlib-threads 1`` pins them to one); sklvae uses ``--n-jobs``
threads (default 2). Each row is the best of ``--repeats`` runs, alternating
which library goes first (DCI: ``--dci-repeats``, default 1, as dlib's DCI takes
minutes). The values column must say "equal" (within 1e-12; 1e-9 for DCI, where
dlib's gradient boosting gets the per-factor seeds sklvae uses: unseeded, it
breaks ties between equal splits at random and its runs differ by ~1e-3).
The opt-in fast DCI (``dci(classifier=fast_dci_classifier())``) is compared with
dlib's gradient boosting on three representations (mixed, disentangled,
entangled): its D and C must stay within 0.05 of dlib's.

On a loaded machine the threads cannot run in parallel; compare ratios only
from runs on idle cores (the "load average at start" line).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import sklvae.metrics as sm
from benchmarks._dlib import load_dlib
from sklvae.metrics.dci import fast_dci_classifier

FACTOR_SIZES = (3, 6, 40, 32, 32)  # dSprites: shape, scale, orientation, x, y
N_TRAIN, N_TEST = 10_000, 5_000
N_TRAIN_DCI, N_TEST_DCI = 2_000, 1_000
DLIB_THREADS = None  # BLAS/OpenMP threads for dlib; None: as shipped


# --------------------------------------------------------------------------- #
# data: 10 latents of 5 factors
# --------------------------------------------------------------------------- #
def make_factors(n, rng):
    return np.stack([rng.randint(s, size=n) for s in FACTOR_SIZES], axis=1)


def represent(factors, kind, rng):
    """A (n, 10) representation of the factor classes.

    ``mixed``: 5 informative latents (each partly mixed with the next factor),
    3 noise-like latents, 2 partial copies; ``disentangled``: one latent per
    factor plus 5 noise latents; ``entangled``: a fixed random rotation of the
    scaled factors through tanh.
    """
    scaled = factors / (np.array(FACTOR_SIZES) - 1.0)
    noise = 0.05 * rng.randn(factors.shape[0], 10)
    if kind == "disentangled":
        return np.c_[scaled, rng.randn(factors.shape[0], 5)] + noise
    if kind == "entangled":
        mixing = np.random.RandomState(123).randn(len(FACTOR_SIZES), 10)
        return np.tanh(scaled @ mixing) + noise
    informative = scaled + 0.3 * scaled[:, [1, 2, 3, 4, 0]] ** 2
    noise_source = np.sin(37.0 * factors @ np.array([1.0, 3.1, 7.7, 11.3, 13.9]))
    extra = np.c_[
        np.sin(noise_source * 5), np.cos(noise_source * 11), 0.5 * informative[:, 0] + noise_source
    ]
    return np.c_[informative, extra, informative[:, 2], informative[:, 3] * 0.5] + noise


def make_data(n_train, n_test, kind="mixed", seed=0):
    rng = np.random.RandomState(seed)
    f_train, f_test = make_factors(n_train, rng), make_factors(n_test, rng)
    return represent(f_train, kind, rng), f_train, represent(f_test, kind, rng), f_test


class FixedPoints:
    """dlib ``GroundTruthData`` handing out fixed (latents, factors) rows in order.

    ``sample(n, random_state)`` returns the next ``n`` rows; the observation is the
    representation itself, so dlib's ``representation_function`` is the identity.
    """

    def __init__(self, *blocks):
        self.factors = np.concatenate([b[1] for b in blocks])
        self.latents = np.concatenate([b[0] for b in blocks])
        self.position = 0

    def sample(self, n, random_state):
        rows = slice(self.position, self.position + n)
        self.position += n
        return self.factors[rows], self.latents[rows]


def dlib_call(function, train, test=None, **kwargs):
    """Call a dlib ``compute_*`` on fixed train (and test) points in one batch each."""
    data = FixedPoints(train, test) if test is not None else FixedPoints(train)
    sizes = {"num_train": len(train[0])}
    if test is not None:
        sizes["num_test"] = len(test[0])
    batch = max(sizes.values())
    with threadpool_limits(limits=DLIB_THREADS):
        return function(
            data, lambda x: x, np.random.RandomState(0), batch_size=batch, **sizes, **kwargs
        )


def seeded_dlib_dci(dlib, train, test, random_state=0):
    """dlib's ``compute_dci`` with its per-factor GBT seeded as sklvae seeds it.

    dlib leaves ``GradientBoostingClassifier()`` unseeded; the seed only breaks
    ties between equally good splits (frequent in the small nodes of the
    40-class factor), so unseeded runs differ from each other by ~1e-3. For a
    same-input comparison the module's ``ensemble`` is swapped, for the call,
    for one whose classifier takes the seeds ``sklvae.metrics.dci`` draws.
    """
    from sklearn import ensemble

    seeds = iter(sm._information.check_random_seed_sequence(random_state, train[1].shape[1]))
    seeded = type("SeededEnsemble", (), {})()
    seeded.GradientBoostingClassifier = lambda: ensemble.GradientBoostingClassifier(
        random_state=next(seeds)
    )
    dlib.dci.ensemble = seeded
    try:
        return dlib_call(dlib.dci.compute_dci, train, test)
    finally:
        dlib.dci.ensemble = ensemble


# --------------------------------------------------------------------------- #
# the comparison
# --------------------------------------------------------------------------- #
def timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def best_of(functions, repeats):
    """Run the functions ``repeats`` times in rotating order; return values and best times."""
    times = [[] for _ in functions]
    values = [None] * len(functions)
    for r in range(repeats):
        for k in np.roll(np.arange(len(functions)), -r):
            values[k], seconds = timed(functions[k])
            times[k].append(seconds)
    return values, [min(t) for t in times]


def row(name, dlib_seconds, sklvae_seconds, note):
    print(
        f"{name:<28} {dlib_seconds:9.3f} {sklvae_seconds:9.3f} "
        f"{dlib_seconds / sklvae_seconds:8.2f}x  {note}",
        flush=True,
    )


def compare(name, mine, reference, keys, repeats, atol=1e-12):
    """Best of ``repeats`` alternating runs; print a table row; return both values."""
    (mine_value, ref_value), (mine_time, ref_time) = best_of([mine, reference], repeats)
    diff = max(abs(float(mine_value[k]) - float(ref_value[k])) for k in keys)
    row(
        name,
        ref_time,
        mine_time,
        ("equal" if diff <= atol else "DIFFERENT") + f" (max |diff| {diff:.0e})",
    )
    return mine_value, ref_value, ref_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2, help="sklvae's parallel jobs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full-dci", action="store_true", help="DCI on 10,000 / 5,000 points")
    parser.add_argument("--dci-repeats", type=int, default=1, help="DCI takes minutes")
    parser.add_argument("--skip-dci", action="store_true")
    parser.add_argument(
        "--dci-representations",
        default="mixed,disentangled,entangled",
        help="comma-separated subset of mixed,disentangled,entangled",
    )
    parser.add_argument(
        "--dlib-threads",
        type=int,
        default=None,
        help="limit dlib's BLAS/OpenMP threads (default: as shipped)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="lbfgs failed to converge")
    global DLIB_THREADS
    DLIB_THREADS = args.dlib_threads
    dlib = load_dlib()
    jobs, repeats = args.n_jobs, args.repeats
    z, f, z_test, f_test = make_data(N_TRAIN, N_TEST)
    train, test = (z, f), (z_test, f_test)
    print(f"{N_TRAIN} train / {N_TEST} test points, 10 latents, factors of {FACTOR_SIZES} classes")
    print(
        f"dlib: one process, BLAS/OpenMP threads {args.dlib_threads or 'as shipped'}; "
        f"sklvae n_jobs={jobs}; best of {repeats}, alternating"
    )
    print("load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + "\n")
    print(f"{'metric':<28} {'dlib s':>9} {'sklvae s':>9} {'speed-up':>9}  values")
    compare(
        "MIG",
        lambda: sm.mig(z, f),
        lambda: dlib_call(dlib.mig.compute_mig, train),
        ["discrete_mig"],
        repeats,
    )
    compare(
        "SAP",
        lambda: sm.sap(z, f, z_test, f_test, n_jobs=jobs),
        lambda: dlib_call(dlib.sap_score.compute_sap, train, test, continuous_factors=False),
        ["SAP_score"],
        repeats,
    )
    compare(
        "Modularity+Explicitness",
        lambda: sm.modularity_explicitness(z, f, z_test, f_test, n_jobs=jobs),
        lambda: dlib_call(
            dlib.modularity_explicitness.compute_modularity_explicitness, train, test
        ),
        ["modularity_score", "explicitness_score_train", "explicitness_score_test"],
        repeats,
    )
    compare(
        "IRS",
        lambda: sm.irs(z, f),
        lambda: dlib_call(dlib.irs.compute_irs, train),
        ["IRS"],
        repeats,
    )
    compare(
        "Unsupervised",
        lambda: sm.unsupervised_scores(z),
        lambda: dlib_call(dlib.unsupervised_metrics.unsupervised_metrics, train),
        ["gaussian_total_correlation", "gaussian_wasserstein_correlation", "mutual_info_score"],
        repeats,
        atol=1e-9,
    )
    if args.skip_dci:
        return
    n_train, n_test = (N_TRAIN, N_TEST) if args.full_dci else (N_TRAIN_DCI, N_TEST_DCI)
    print(f"\nDCI on {n_train} / {n_test} points (best of {args.dci_repeats})")
    fast = fast_dci_classifier()
    for kind in args.dci_representations.split(","):
        z, f, z_test, f_test = make_data(n_train, n_test, kind)
        train, test = (z, f), (z_test, f_test)
        reference = lambda: seeded_dlib_dci(dlib, train, test)  # noqa: E731
        fast_dci = lambda: sm.dci(  # noqa: E731
            z, f, z_test, f_test, classifier=fast, random_state=0, n_jobs=jobs
        )
        if kind == "mixed":
            _, dlib_value, dlib_time = compare(
                f"DCI ({kind})",
                lambda: sm.dci(z, f, z_test, f_test, random_state=0, n_jobs=jobs),
                reference,
                ["disentanglement", "completeness", "informativeness_test"],
                args.dci_repeats,
                atol=1e-9,
            )
            (fast_value,), (fast_time,) = best_of([fast_dci], args.dci_repeats)
        else:
            (dlib_value, fast_value), (dlib_time, fast_time) = best_of([reference, fast_dci], 1)
        deviation = {
            key: fast_value[key] - dlib_value[key]
            for key in ("disentanglement", "completeness", "informativeness_test")
        }
        row(
            f"DCI fast ({kind})",
            dlib_time,
            fast_time,
            f"dD {deviation['disentanglement']:+.3f} dC {deviation['completeness']:+.3f} "
            f"dI_test {deviation['informativeness_test']:+.3f} "
            f"(dlib D {dlib_value['disentanglement']:.3f} C {dlib_value['completeness']:.3f})",
        )


if __name__ == "__main__":
    main()
