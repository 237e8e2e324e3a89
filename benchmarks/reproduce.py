"""Reproduce the comparisons of the three seed papers with ``run_study``.

Each comparison is one :func:`sklvae.model_selection.run_study` over methods and seeds
(the seed sets the model initialisation and batch order), scored on points sampled
from the ground-truth factors:

``mipet``
    MIPET-β-VAE against β-VAE (β = 4), MIPET-β-TCVAE against β-TCVAE (β = 6, α = γ = 1)
    on dSprites (the whole grid); all four on the MIPET backbone with Adam at lr 1e-3,
    the same batch and steps; K = 3 IPE units. FactorVAE score, MIG, SAP, DCI.
``factorqvae``
    FactorQVAE against QVAE, β-VAE, FactorVAE and QLAE on 3D Shapes with the official
    weights (FactorQVAE β = 1e-3, γ = 1e-4; QVAE β = 1e-3; β-VAE β = 1e-4; QLAE 16
    codes per latent), mean-MSE reconstruction, one half-cosine of the learning rate
    over the run, a Gumbel temperature ending at e^-1 whatever the budget, and
    FactorQVAE's doubled batch split between VAE and discriminator. FactorVAE keeps
    its usual disentanglement_lib settings (γ = 10, Bernoulli likelihood; batch doubled
    and split). DCI and InfoMEC on code indices for the discrete models (plug-in MI),
    on posterior means for the Gaussian ones (kNN MI); reconstruction error.
``group``
    GroupActionAE (fixed and learned C4 action, invariant part) against a plain
    autoencoder (``group="c1"``), trained on upright training digits (fixed 75/25
    stratified split, seed 0). A logistic regression fitted on their features of those
    digits is scored on every test digit at each of the four turns, and upright.

The data are sklvae's procedural generators (:func:`~sklvae.datasets.make_dsprites`,
:func:`~sklvae.datasets.make_shapes3d`) and scikit-learn's 8x8 digits, not the papers'
files: the numbers compare the methods here, not with the papers' tables.

Budgets (``--budget``; every number is in ``_reproduce_configs.py``):

======  ======================  ==========================  =========  =====  =============  ====
budget  mipet (64x64)           factorqvae                  group      seeds  evaluation     DCI
======  ======================  ==========================  =========  =====  =============  ====
smoke   20 steps, batch 32      10 steps, batch 16, 32x32   2 epochs   1      300 / 150      fast
cpu     1,500 steps, batch 64   1,000 steps, batch 64, 32   50 epochs  3 (5)  10k/5k; 2k/1k  fast
gpu     800 steps, batch 256    1,500 steps, batch 256, 32  50 epochs  3 (5)  5,000 / 2,500  fast
paper   60 epochs, batch 256    50,000 steps, 256, 64x64    50 epochs  5      10k / 5k       dlib
======  ======================  ==========================  =========  =====  =============  ====

``cpu``: measured on 2 cores with ``--n-jobs 2``: mipet 34 minutes, factorqvae 29, group 2 (see
``docs/results.md``). ``gpu`` (bf16-mixed, grids rendered into memory once) is sized for
about 7 minutes of one H100 per comparison, but untested on a GPU by us. ``paper``:
the papers' step counts and batch sizes, the full DALL-E backbone at 64x64.

    python benchmarks/reproduce.py --budget cpu --comparison mipet|factorqvae|group|all
                                   [--out-dir D] [--n-jobs 2] [--seeds N] [--report-only]

Each comparison appends one row per fit to ``<out-dir>/<comparison>.csv`` (a rerun
skips finished fits), then writes ``<comparison>.md`` (mean ± std over seeds, one
verdict per paper claim) and ``<comparison>.png`` (the score distributions).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import _reproduce_configs as cfg
import numpy as np


# --------------------------------------------------------------------------- data
class DownsampledShapes3D:
    """Renderer: 3D Shapes factor classes to procedural images mean-pooled by ``factor``."""

    def __init__(self, factor: int) -> None:
        from sklvae.datasets.cars3d import area_downsample
        from sklvae.datasets.shapes3d import Shapes3DRenderer

        self.factor, self.renderer = factor, Shapes3DRenderer()
        self.downsample = area_downsample

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        images = self.renderer(factors)
        return images if self.factor == 1 else self.downsample(images, self.factor)


class TurnedDigits:
    """Renderer: factors (test digit, turn k) to ``rot90(digit, k)``, uint8."""

    def __init__(self, digits: np.ndarray) -> None:
        self.digits = digits

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        factors = np.asarray(factors)
        images = self.digits[factors[:, 0]].copy()
        for k in (1, 2, 3):
            rows = factors[:, 1] == k
            images[rows] = np.rot90(images[rows], k, axes=(1, 2))
        return images


def _rows(dataset: Any, rows: np.ndarray) -> np.ndarray:
    return np.asarray(dataset[rows])


def render(dataset: Any, rows: np.ndarray) -> np.ndarray:
    """Render ``dataset[rows]`` in chunks over every CPU."""
    from joblib import Parallel, delayed

    out = np.empty((len(rows), *dataset.image_shape), dtype=np.uint8)
    chunks = np.array_split(np.arange(len(rows)), max(1, len(rows) // 4096))
    jobs = (delayed(_rows)(dataset, rows[c]) for c in chunks)
    for chunk, images in zip(chunks, Parallel(n_jobs=-1, return_as="generator")(jobs)):
        out[chunk] = images
    return out


def like(template: Any, image_shape: tuple, name: str, **images: Any) -> Any:
    """A dataset on the factors of ``template``, images from ``renderer=`` or ``storage=``."""
    from sklvae.datasets import GroundTruthDataset

    names, sizes, values = template.factor_names, template.factor_sizes, template.factor_values
    return GroundTruthDataset(names, sizes, image_shape, factor_values=values, name=name, **images)


def in_memory(dataset: Any) -> Any:
    """The whole grid rendered once (in parallel): a storage-backed copy of ``dataset``."""
    images = render(dataset, np.arange(dataset.n_combinations))
    return like(dataset, dataset.image_shape, f"{dataset.name} (in memory)", storage=images)


# ----------------------------------------------------------------------- scorers
class Shared:
    """Scores of one fit, ``compute(estimator, X, factors) -> dict``, computed once."""

    def __init__(self, compute: Any, **params: Any) -> None:
        self.compute, self.params, self.last = compute, params, (None, {})

    def __call__(self, estimator: Any, X: np.ndarray, factors: np.ndarray) -> dict:
        if self.last[0] is not estimator:
            self.last = (estimator, self.compute(estimator, X, factors, **self.params))
        return self.last[1]


class Column:
    """``scorer(estimator, X, factors)``: one entry of a :class:`Shared` scorer."""

    def __init__(self, scores: Shared, key: str) -> None:
        self.scores, self.key = scores, key

    def __call__(self, estimator: Any, X: np.ndarray, factors: np.ndarray) -> float:
        return float(self.scores(estimator, X, factors)[self.key])


def code_scores(estimator: Any, X: Any, factors: Any, *, n_train: int, fast: bool) -> dict:
    """DCI (trained on the first ``n_train`` points, tested on the rest) and InfoMEC.

    Models with ``transform_indices`` are scored on their code indices (plug-in MI),
    the others on ``transform`` (kNN MI), as the official FactorQVAE evaluation does.
    """
    from sklvae.metrics import dci, fast_dci_classifier, infomec

    discrete = hasattr(estimator, "transform_indices")
    codes = estimator.transform_indices(X) if discrete else estimator.transform(X)
    z, f, n = codes[:n_train], factors[:n_train], n_train
    classifier = fast_dci_classifier() if fast else None
    d = dci(z, f, codes[n:], factors[n:], classifier=classifier, random_state=0)
    info = infomec(z, f, discrete_latents=discrete, n_neighbors=3, max_iter=500, random_state=0)
    scores = {f"dci.{k}": d[k] for k in ("disentanglement", "completeness")}
    scores["dci.informativeness_test"] = d["informativeness_test"]
    return scores | {f"infomec.{k}": info[k] for k in ("infom", "infoe", "infoc")}


def probe_scores(estimator: Any, X: Any, factors: Any, *, split: dict) -> dict:
    """Logistic regression on the features of the upright training digits, scored on
    every test digit at each turn and on the upright test digits; invariance error."""
    from sklearn.linear_model import LogisticRegression

    probe = LogisticRegression(max_iter=5000)
    probe.fit(estimator.transform(split["upright_train"]), split["y_train"])
    scores = {
        "acc_turned": probe.score(estimator.transform(split["turned"]), split["y_turned"]),
        "acc_upright": probe.score(estimator.transform(split["upright_test"]), split["y_test"]),
        "relative_invariance": np.nan,  # the plain autoencoder has no group to be invariant to
    }
    if estimator.group != "c1":
        terms = estimator.loss_terms(split["upright_test"], random_state=0)
        scores["relative_invariance"] = terms["relative_invariance"]
    return scores


# ------------------------------------------------------------------- comparisons
def mipet_study(setting: cfg.Setting) -> dict:
    """MIPET against its base VAEs on dSprites (the whole grid)."""
    from sklvae import MIPETVAE, BetaTCVAE, BetaVAE
    from sklvae.datasets import make_dsprites
    from sklvae.metrics import fast_dci_classifier

    dataset = make_dsprites()
    if setting.prerender:
        dataset = in_memory(dataset)
    common = dict(n_latents=10, backbone="mipet", lr=1e-3, precision=setting.precision)
    mipet = dict(n_units=3, ipe_lr=1e-3, **common)
    estimators = {
        "MIPET-β-VAE": MIPETVAE(base="beta_vae", beta=4.0, **mipet),
        "β-VAE": BetaVAE(beta=4.0, **common),
        "MIPET-β-TCVAE": MIPETVAE(base="beta_tcvae", beta=6.0, **mipet),
        "β-TCVAE": BetaTCVAE(beta=6.0, **common),
    }
    params: dict[str, dict] = {"factor_vae": {}}
    if setting.votes is not None:
        votes = {"n_train": setting.votes, "n_eval": setting.votes // 2}
        params["factor_vae"] = dict(votes, n_variance_estimate=setting.n_train)
    if setting.dci == "fast":
        params["dci"] = {"classifier": fast_dci_classifier()}
    metrics = ["factor_vae", "mig", "sap", "dci"]
    return dict(estimators=estimators, dataset=dataset, metrics=metrics, metric_params=params)


def factorqvae_study(setting: cfg.Setting) -> dict:
    """FactorQVAE against its baselines on 3D Shapes at ``setting.size``."""
    from sklvae import QLAE, QVAE, BetaVAE, FactorQVAE, FactorVAE
    from sklvae.datasets import make_shapes3d

    size, renderer = setting.size, DownsampledShapes3D(64 // setting.size)
    name = f"shapes3d (procedural, {size}x{size})"
    dataset = like(make_shapes3d(), (size, size, 3), name, renderer=renderer)
    X = None
    if setting.prerender:
        dataset = in_memory(dataset)
    elif setting.train_images is not None:
        rows = np.random.RandomState(0).choice(len(dataset), setting.train_images, replace=False)
        X = render(dataset, np.sort(rows))
    steps = setting.steps
    common: dict[str, Any] = dict(
        n_latents=12, backbone="dalle", lr=1e-3, precision=setting.precision
    )
    if not setting.full_backbone:
        common["module__backbone_params"] = dict(channel=8, hidden_dim=64, input_channel=8)
    quantized = dict(common, likelihood="mse", lr_decay_steps=steps, min_lr=1.25e-6)
    # temperature exp(-rate * step) ends at e^-1 (FactorQVAE: two optimizer steps a batch)
    estimators = {
        "FactorQVAE": FactorQVAE(
            beta=1e-3, gamma=1e-4, discriminator_lr=1e-3, temperature_decay=0.5 / steps, **quantized
        ),
        "QVAE": QVAE(beta=1e-3, temperature_decay=1.0 / steps, **quantized),
        "β-VAE": BetaVAE(beta=1e-4, likelihood="mse", **common),
        "FactorVAE": FactorVAE(**common),
        "QLAE": QLAE(codebook_size=16, **quantized),
    }
    scores = Shared(code_scores, n_train=setting.n_train, fast=setting.dci == "fast")
    n_points = setting.n_train + setting.n_test
    metrics = {c: (Column(scores, c), n_points) for c, _ in cfg.COLUMNS["factorqvae"][:-1]}
    return dict(estimators=estimators, dataset=dataset, X=X, metrics=metrics)


def digits_split() -> dict:
    """Upright digits (make_rotated_digits' scaling), split 75/25 stratified, seed 0."""
    from sklearn.model_selection import train_test_split

    from sklvae.datasets import make_rotated_digits
    from sklvae.groups import get_group

    c4 = get_group("c4")
    turned, y, g = make_rotated_digits(random_state=0)
    upright = c4.act_batch(turned, [c4.inverse(e) for e in g], axes=(1, 2))
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
    return dict(
        upright_train=upright[train], y_train=y[train], upright_test=upright[test], y_test=y[test]
    )


def group_study(setting: cfg.Setting) -> dict:
    """GroupActionAE against a plain autoencoder on C4-turned digits."""
    from sklvae import GroupActionAE
    from sklvae.datasets import GroundTruthDataset

    split = digits_split()
    n_test = len(split["y_test"])
    dataset = GroundTruthDataset(
        ("test_digit", "turn"),
        (n_test, 4),
        (8, 8),
        renderer=TurnedDigits(split["upright_test"]),
        name="turned test digits",
    )
    common = dict(n_latents=64, precision=setting.precision)
    estimators = {
        "GroupActionAE fixed": GroupActionAE(action="fixed", **common),
        "GroupActionAE learned": GroupActionAE(action="learned", **common),
        "plain AE": GroupActionAE(group="c1", representation="full", **common),
    }
    # every test digit at each of the four turns, in grid order
    split.update(turned=dataset[:], y_turned=split["y_test"][dataset.factors[:, 0]])
    scores = Shared(probe_scores, split=split)
    metrics = {c: Column(scores, c) for c, _ in cfg.COLUMNS["group"][:-1]}
    return dict(estimators=estimators, dataset=dataset, X=split["upright_train"], metrics=metrics)


BUILDERS = {"mipet": mipet_study, "factorqvae": factorqvae_study, "group": group_study}


def run(comparison: str, setting: cfg.Setting, seeds: int, args: argparse.Namespace) -> None:
    """Fit and score every method and seed of one comparison (resumable)."""
    from sklvae.model_selection import run_study

    study = BUILDERS[comparison](setting)
    estimators = {
        name: (est, {k: [v] for k, v in cfg.grid_point(setting, name).items()})
        for name, est in study.pop("estimators").items()
    }
    run_study(
        estimators,
        study.pop("dataset"),
        seeds=range(seeds),
        n_train=setting.n_train,
        n_test=setting.n_test,
        results_file=args.out_dir / f"{comparison}.csv",
        n_jobs=args.n_jobs,
        n_threads=args.n_threads,
        verbose=1,
        **study,
    )


# ------------------------------------------------------------------------ report
def verdict(diff: float, spread: float) -> str:
    """``supported`` / ``contradicted`` when the difference of means exceeds the stds."""
    if np.isnan(diff) or np.isnan(spread):
        return "undecided at this budget"
    if diff > spread:
        return "supported"
    if diff < -spread:
        return "contradicted"
    return "undecided at this budget"


def report(comparison: str, setting: cfg.Setting, seeds: int, out_dir: Path) -> float:
    """Write and print ``<comparison>.md`` and ``.png`` from the CSV; return the fit time."""
    import pandas as pd

    path = out_dir / f"{comparison}.csv"
    if not path.exists():
        print(f"{comparison}: no results in {path}")
        return 0.0
    study = pd.read_csv(path)  # this budget's fits only (the params record it)
    wanted = {
        (m, json.dumps(cfg.grid_point(setting, m), sort_keys=True)) for m in cfg.METHODS[comparison]
    }
    rows = zip(study["method"], study["params"], study["seed"])
    study = study[[(m, p) in wanted and s < seeds for m, p, s in rows]]
    names = cfg.labels(comparison, setting)
    columns = [c for c in names if c in study]
    groups = study.groupby("method")
    order = [m for m in cfg.METHODS[comparison] if m in groups.groups]
    mean = groups[[*columns, "fit_time", "n_steps"]].mean().loc[order]
    std, n = groups[columns].std().loc[order], groups.size().loc[order]
    head = ["method", "seeds", *(names[c] for c in columns), "fit s", "steps"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in order:
        cells = [m, str(n[m]), *(f"{mean.at[m, c]:.3f} ± {std.at[m, c]:.3f}" for c in columns)]
        cells += [f"{mean.at[m, 'fit_time']:.0f}", f"{mean.at[m, 'n_steps']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Paper claims (method − baseline, difference of means; the claim is > 0):", ""]
    for method, base, c in cfg.CLAIMS[comparison]:
        if method in order and base in order:
            diff = mean.at[method, c] - mean.at[base, c]
            spread = std.at[method, c] + std.at[base, c]
            lines.append(
                f"- {method} − {base}, {names[c]}: {diff:+.3f} (sum of stds {spread:.3f}): "
                f"{verdict(diff, spread)}"
            )
    device = ", ".join(sorted(set(study["device"].astype(str))))
    versions = ", ".join(
        f"{c.split('_')[0]} {v}"
        for c in ("sklvae_version", "torch_version", "sklearn_version")
        for v in sorted(set(study[c].astype(str)))
    )
    head = [f"# {comparison}: {cfg.describe(setting)}", ""]
    head += [f"{len(study)} fits on {device} ({versions}), {study['fit_time'].sum():.0f} s of"]
    head += [f"fitting; mean ± std over {n.max() if len(n) else 0} seed(s):", ""]
    text = "\n".join([*head, *lines, ""])
    (out_dir / f"{comparison}.md").write_text(text)
    print(text)
    if len(study):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sklvae.plotting import plot_metric_distributions

        figure = plot_metric_distributions(study, columns)
        figure.savefig(out_dir / f"{comparison}.png", dpi=80)
        plt.close(figure)
        print(f"wrote {out_dir / comparison}.md and .png")
    return float(study["fit_time"].sum())


def hardware() -> str:
    """Device, threads and versions of this machine."""
    import sklearn
    import torch

    import sklvae

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return (
        f"device {device}, torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs; "
        f"python {platform.python_version()}, sklvae {sklvae.__version__}, "
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", choices=sorted(cfg.BUDGETS), default="cpu")
    parser.add_argument("--comparison", choices=[*cfg.COMPARISONS, "all"], default="all")
    parser.add_argument("--out-dir", type=Path, help="default reproduce_results/<budget>/")
    parser.add_argument("--n-jobs", type=int, help="parallel fits (default: the budget's)")
    parser.add_argument("--seeds", type=int, help="seeds per method (default: the budget's)")
    parser.add_argument("--report-only", action="store_true", help="only read the CSVs")
    args = parser.parse_args(argv)
    n_jobs, args.n_threads = cfg.RUNTIME[args.budget]
    args.n_jobs = args.n_jobs or n_jobs
    args.out_dir = args.out_dir or Path("reproduce_results") / args.budget
    args.out_dir.mkdir(parents=True, exist_ok=True)
    print(f"budget {args.budget}; {hardware()}; n_jobs {args.n_jobs}, n_threads {args.n_threads}")
    comparisons = cfg.COMPARISONS if args.comparison == "all" else (args.comparison,)
    start, fit_time = time.perf_counter(), 0.0
    for comparison in comparisons:
        setting = cfg.BUDGETS[args.budget][comparison]
        seeds = args.seeds or setting.seeds
        if not args.report_only:
            print(f"\n{comparison}: {cfg.describe(setting)}, {seeds} seed(s)", flush=True)
            run(comparison, setting, seeds, args)
        print()
        fit_time += report(comparison, setting, seeds, args.out_dir)
    print(
        f"\ntotal fit time {fit_time:.0f} s (all fits in the tables); "
        f"this run {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
