"""Reproduce the comparisons of the three seed papers with ``run_study``.

Each comparison is one :func:`sklvae.model_selection.run_study` over methods and seeds
(the seed sets the model initialisation and batch order), scored on points sampled
from the ground-truth factors. Every method is configured as its paper's official code
configures it (``MODELS`` in ``_reproduce_configs.py``, with the file each setting
comes from; the table on ``docs/results.md`` is generated from it):

``mipet``
    MIPET-β-VAE against β-VAE, MIPET-β-TCVAE against β-TCVAE on dSprites (the whole
    grid), all four as the official MIPET ``main.py`` trains its models: the MIPET
    encoder/decoder, Adam at lr 4e-4, gradient-norm clipping at 1.0, xavier-uniform
    initialisation, batch 256, 60 epochs. FactorVAE score, MIG, SAP, DCI.
``factorqvae``
    FactorQVAE against QVAE, β-VAE, FactorVAE and QLAE on 3D Shapes, each from its
    official ``configs/Shapes3D/*.yaml``: mean-MSE reconstruction, Adam at 1e-3 with a
    cosine schedule (T_max 50,000), 100,000 Lightning steps (50,000 batches of 512,
    split, for the two methods with a discriminator). DCI and InfoMEC on code indices
    for the discrete models (plug-in MI), on posterior means for the Gaussian ones (kNN
    MI), as the official evaluation does.
``group``
    GroupActionAE (fixed and learned C4 action, invariant part) against a plain
    autoencoder trained on the upright digits, the same autoencoder trained on every
    training digit at each of the four turns (the fair baseline), and the raw pixels.
    A logistic regression fitted on their features of the upright training digits
    (fixed 75/25 stratified split, seed 0) is scored on every test digit at each turn.

The data are sklvae's procedural generators (:func:`~sklvae.datasets.make_dsprites`,
:func:`~sklvae.datasets.make_shapes3d`) and scikit-learn's 8x8 digits, not the papers'
files: the numbers compare the methods here, not with the papers' tables.

Budgets (``--budget``; every number is in ``_reproduce_configs.py``; the table on
``docs/results.md`` has them all): ``smoke`` (seconds: checks the pipeline), ``cpu``
(~30-40 minutes per comparison on 2 cores), ``gpu`` (sized for ~7 minutes of one
H100 per comparison; not measured), ``paper`` (the official step counts, batch sizes
and learning rates per method; ``--dry-run`` prints them).

    python benchmarks/reproduce.py --budget cpu --comparison mipet|factorqvae|group|all
                                   [--out-dir D] [--n-jobs 2] [--seeds N] [--dry-run]
                                   [--checkpoint-dir C] [--checkpoint-every 500]
    python benchmarks/reproduce.py --report-only [--budget B]

Each comparison appends one row per fit to ``<out-dir>/<comparison>.csv`` (default
``benchmarks/results/<budget>/``; a rerun skips finished fits) and prints its block.
Running fits save their state every ``--checkpoint-every`` steps under
``--checkpoint-dir`` (default ``<out-dir>/checkpoints/``, not committed): the same
command, run again after an interruption, resumes each unfinished fit mid-fit where its
last save left it (the row's ``resumed_from_step``).
``--report-only`` regenerates every generated block of ``docs/results.md`` (tables,
plots, verdicts, and the learning curves of ``learning_curves.py``) from the CSV files
under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from pathlib import Path
from typing import Any

import _reproduce_configs as cfg
import numpy as np
from skorch.callbacks import Callback

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results.md"


# --------------------------------------------------------------------------- data
def at_size(dataset: str, size: int) -> Any:
    """The whole procedural ``"dsprites"`` or ``"shapes3d"`` grid at ``size`` x ``size``
    (rendered at 64x64 and block-averaged; rendered lazily)."""
    from sklvae.datasets import make_dsprites, make_shapes3d

    make = make_dsprites if dataset == "dsprites" else make_shapes3d
    return make(image_size=size)


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
        "relative_invariance": np.nan,  # the plain autoencoder and pixels have no group
    }
    if getattr(estimator, "group", "c1") != "c1":
        terms = estimator.loss_terms(split["upright_test"], random_state=0)
        scores["relative_invariance"] = terms["relative_invariance"]
    return scores


# ------------------------------------------------------------------------ models
class RawPixels:
    """The raw-pixel baseline: ``transform`` returns the flattened images.

    Has what :func:`~sklvae.model_selection.run_study` uses of an estimator (the
    parameters, ``fit``, ``transform``, ``reconstruct``); it learns nothing.
    """

    device = "cpu"

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        return {"random_state": self.random_state}

    def set_params(self, **params: Any) -> RawPixels:
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def fit(self, X: Any, y: Any = None) -> RawPixels:
        self.n_features_in_ = int(np.prod(np.shape(X)[1:]))
        return self

    def transform(self, X: Any) -> np.ndarray:
        X = np.asarray(X)
        return X.reshape(len(X), -1).astype(np.float64)

    def reconstruct(self, X: Any) -> np.ndarray:
        return np.asarray(X)


class LossWeight(Callback):
    """Sets one loss weight of the module before training (FactorVAE's KL weight)."""

    def __init__(self, term: str, weight: float) -> None:
        self.term, self.weight = term, weight

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        net.module_.loss_weights[self.term] = float(self.weight)


class Initialise(Callback):
    """The official initialisation of the whole module, once, before the first step.

    ``"xavier"``: xavier-uniform on every >= 2-D parameter (MIPET's ``init_weights``);
    ``"normal(0, 0.02)"``: FactorQVAE's ``weights_init`` on every Conv/Linear layer.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        if net.n_steps_ > 0:  # a resumed or continued fit keeps its weights
            return
        from sklvae.nn._layers import xavier_init_
        from sklvae.nn.backbones import dalle_init_

        (xavier_init_ if self.kind == "xavier" else dalle_init_)(net.module_)


def build(comparison: str, method: str, setting: cfg.Setting) -> Any:
    """The estimator of ``method`` under ``setting``, from ``MODELS``."""
    import sklvae
    from sklvae.callbacks import CosineAnnealing

    config = cfg.fit_config(comparison, method, setting)
    if config["estimator"] == "RawPixels":
        return RawPixels()
    callbacks: list = []
    for key, value in config["callbacks"].items():
        if key == "lr_schedule":
            callbacks.append(CosineAnnealing(*value))
        elif key == "discriminator_lr_schedule":
            callbacks.append(CosineAnnealing(*value, optimizer="optimizer_adversary_"))
        elif key == "kl_weight":
            callbacks.append(LossWeight("kl", value))
        else:
            callbacks.append(Initialise(value))
    return getattr(sklvae, config["estimator"])(**config["params"], callbacks=callbacks or None)


def estimators(comparison: str, setting: cfg.Setting) -> dict:
    return {m: build(comparison, m, setting) for m in cfg.METHODS[comparison]}


# ------------------------------------------------------------------- comparisons
def mipet_study(setting: cfg.Setting) -> dict:
    """MIPET against its host VAEs on dSprites (the whole grid)."""
    from sklvae.datasets import make_dsprites
    from sklvae.metrics import fast_dci_classifier

    dataset = make_dsprites()
    if setting.prerender:
        dataset = in_memory(dataset)
    params: dict[str, dict] = {"factor_vae": {}}
    if setting.votes is not None:
        votes = {"n_train": setting.votes, "n_eval": setting.votes // 2}
        params["factor_vae"] = dict(votes, n_variance_estimate=setting.n_train)
    if setting.dci == "fast":
        params["dci"] = {"classifier": fast_dci_classifier()}
    metrics = ["factor_vae", "mig", "sap", "dci"]
    return dict(dataset=dataset, X={}, metrics=metrics, metric_params=params)


def factorqvae_study(setting: cfg.Setting) -> dict:
    """FactorQVAE against its baselines on 3D Shapes at ``setting.size``."""
    dataset = at_size("shapes3d", setting.size)
    X = None
    if setting.prerender:
        dataset = in_memory(dataset)
    elif setting.train_images is not None:
        rows = np.random.RandomState(0).choice(len(dataset), setting.train_images, replace=False)
        X = render(dataset, np.sort(rows))
    scores = Shared(code_scores, n_train=setting.n_train, fast=setting.dci == "fast")
    n_points = setting.n_train + setting.n_test
    metrics = {c: (Column(scores, c), n_points) for c, _ in cfg.COLUMNS["factorqvae"][:-1]}
    return dict(dataset=dataset, X={m: X for m in cfg.METHODS["factorqvae"]}, metrics=metrics)


def digits_split() -> dict:
    """Upright digits (make_rotated_digits' scaling), split 75/25 stratified, seed 0;
    the training digits also at each of the four turns."""
    from sklearn.model_selection import train_test_split

    from sklvae.datasets import make_rotated_digits
    from sklvae.groups import get_group

    c4 = get_group("c4")
    turned, y, g = make_rotated_digits(random_state=0)
    upright = c4.act_batch(turned, [c4.inverse(e) for e in g], axes=(1, 2))
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
    turns = np.concatenate([np.rot90(upright[train], k, axes=(1, 2)) for k in range(4)])
    return dict(
        upright_train=upright[train],
        y_train=y[train],
        upright_test=upright[test],
        y_test=y[test],
        turned_train=turns,
    )


def group_study(setting: cfg.Setting) -> dict:
    """GroupActionAE against plain autoencoders and the pixels on C4-turned digits."""
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
    # every test digit at each of the four turns, in grid order
    split.update(turned=dataset[:], y_turned=split["y_test"][dataset.factors[:, 0]])
    scores = Shared(probe_scores, split=split)
    metrics = {c: Column(scores, c) for c, _ in cfg.COLUMNS["group"][:-1]}
    X = {
        m: split["turned_train" if m in cfg.TURNED_TRAINING else "upright_train"]
        for m in cfg.METHODS["group"]
    }
    return dict(dataset=dataset, X=X, metrics=metrics)


BUILDERS = {"mipet": mipet_study, "factorqvae": factorqvae_study, "group": group_study}


def run(comparison: str, setting: cfg.Setting, seeds: int, args: argparse.Namespace) -> None:
    """Fit and score every method and seed of one comparison (resumable).

    Methods trained on the same data share one ``run_study``; all append to the
    comparison's CSV file. Trained methods save their running fits under
    ``args.checkpoint_dir`` (the raw pixels train nothing: no checkpoints).
    """
    from sklvae.model_selection import run_study

    study = BUILDERS[comparison](setting)
    training_data = study.pop("X")
    built = estimators(comparison, setting)
    groups: dict[tuple[int, bool], list[str]] = {}
    for method in cfg.METHODS[comparison]:
        trained = "callbacks" in built[method].get_params()
        groups.setdefault((id(training_data.get(method)), trained), []).append(method)
    for (_, trained), methods in groups.items():
        grid = {
            m: (built[m], {k: [v] for k, v in cfg.grid_point(setting, m, comparison).items()})
            for m in methods
        }
        run_study(
            grid,
            study["dataset"],
            X=training_data.get(methods[0]),
            seeds=range(seeds),
            n_train=setting.n_train,
            n_test=setting.n_test,
            results_file=args.out_dir / f"{comparison}.csv",
            n_jobs=args.n_jobs,
            n_threads=args.n_threads,
            verbose=1,
            metrics=study["metrics"],
            metric_params=study.get("metric_params"),
            checkpoint_dir=args.checkpoint_dir / comparison if trained else None,
            checkpoint_every=args.checkpoint_every if trained else None,
        )


def dry_run(budget: str) -> str:
    """Per comparison and method: estimator, training length, batch, lr, callbacks."""
    lines = [f"budget {budget} (dry run: nothing is fitted)"]
    for comparison in cfg.COMPARISONS:
        setting = cfg.BUDGETS[budget][comparison]
        lines.append(f"{comparison}: {cfg.describe(setting)}; {setting.seeds} seed(s)")
        for method in cfg.METHODS[comparison]:
            c = cfg.fit_config(comparison, method, setting)
            t = c["training"]
            if not t:
                length = "no training"
            elif "max_steps" in t:
                length = f"steps {t['max_steps']} | batch {t['batch_size']}"
            else:
                length = f"epochs {t['max_epochs']} | batch {t['batch_size']}"
            lines.append(
                f"  {method} | {c['estimator']} | {length} | lr {c['params'].get('lr')} | "
                f"params {json.dumps(c['params'], sort_keys=True)} | "
                f"callbacks {json.dumps(c['callbacks'], sort_keys=True)}"
            )
    return "\n".join(lines)


# ------------------------------------------------------------------------ report
def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "cosine, T_max {:,}, eta_min {:g}".format(*value)
    return str(value)


def configs_table() -> str:
    """The settings of every method with the official file each comes from.

    A setting shared (same value, source and departure) by several methods of a
    comparison is one row naming them ("all" when every method has it).
    """
    lines = [
        "| comparison | methods | setting | value | official source | sklvae departs |",
        "|---|---|---|---|---|---|",
    ]
    for comparison in cfg.COMPARISONS:
        rows: dict[tuple, list[str]] = {}
        for method, model in cfg.MODELS[comparison].items():
            settings = {
                "estimator": cfg.Official(model.estimator, "ours"),
                "training data": cfg.Official(model.training_data, "ours"),
                **model.settings,
            }
            for name, o in settings.items():
                key = (name, _fmt(o.value), o.source, o.departure or "no")
                rows.setdefault(key, []).append(method)
        everyone = cfg.METHODS[comparison]
        for (name, value, source, departure), methods in rows.items():
            who = "all" if methods == everyone else ", ".join(methods)
            cells = [comparison, who, f"`{name}`", value, source, departure]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def budgets_table() -> str:
    """Every budget of every comparison, one line each."""
    lines = ["| budget | comparison | training and evaluation | seeds |", "|---|---|---|---|"]
    for budget, settings in cfg.BUDGETS.items():
        for comparison, setting in settings.items():
            text = cfg.describe(setting)
            if budget == "paper":
                text = "per method, the official values (table above); " + text.split("; ", 1)[1]
            lines.append(f"| {budget} | {comparison} | {text} | {setting.seeds} |")
    return "\n".join(lines)


def load(comparison: str, budget: str, path: Path) -> Any:
    """This budget's fits in the CSV file (the params record the budget), or None."""
    import pandas as pd

    if not path.exists():
        return None
    setting = cfg.BUDGETS[budget][comparison]
    study = pd.read_csv(path)  # every seed run (``--seeds`` may add to the budget's)
    wanted = {
        (m, json.dumps(cfg.grid_point(setting, m, comparison), sort_keys=True))
        for m in cfg.METHODS[comparison]
    }
    keep = [(m, p) in wanted for m, p in zip(study["method"], study["params"])]
    return study[keep] if any(keep) else None


def summarise(comparison: str, budget: str, study: Any) -> dict:
    """Means, stds, per-seed scores and the verdict of every claim."""
    setting = cfg.BUDGETS[budget][comparison]
    names = cfg.labels(comparison, setting)
    columns = [c for c in names if c in study]
    groups = study.groupby("method")
    order = [m for m in cfg.METHODS[comparison] if m in groups.groups]
    mean = groups[[*columns, "fit_time", "n_steps"]].mean().loc[order]
    std, n = groups[columns].std().loc[order], groups.size().loc[order]
    means = {(m, c): float(mean.at[m, c]) for m in order for c in columns}
    level = cfg.baselines_disentangled(comparison, means)
    claims = []
    for method, base, c in cfg.CLAIMS[comparison]:
        if method in order and base in order and c in columns:
            a = study.loc[study["method"] == method, c].to_numpy(float)
            b = study.loc[study["method"] == base, c].to_numpy(float)
            diff, spread = cfg.difference(a, b)
            lower = c in cfg.LOWER_IS_BETTER
            verdict = cfg.verdict(a, b, lower_is_better=lower, baselines_disentangled=level)
            claim = {"method": method, "baseline": base, "column": names[c], "diff": diff}
            claims.append(claim | {"spread": spread, "verdict": verdict})
    return dict(
        names=names,
        columns=columns,
        order=order,
        mean=mean,
        std=std,
        n=n,
        claims=claims,
        level=level,
    )


def _cell(mean: float, std: float) -> str:
    if np.isnan(mean):
        return "–"
    return f"{mean:.3f}" if np.isnan(std) else f"{mean:.3f} ± {std:.3f}"


def block(comparison: str, budget: str, study: Any, image: str) -> str:
    """The generated markdown of one comparison at one budget."""
    setting = cfg.BUDGETS[budget][comparison]
    s = summarise(comparison, budget, study)
    names, columns, order = s["names"], s["columns"], s["order"]
    head = ["method", "seeds", *(names[c] for c in columns), "fit s", "steps"]
    lines = [f"### Budget `{budget}`", ""]
    if budget == "smoke":
        lines += [
            "**Smoke budget: these numbers demonstrate the pipeline, not the methods** "
            "(a few steps of training, one seed, tiny evaluation samples).",
            "",
        ]
    versions = ", ".join(
        f"{c.split('_')[0]} {v}"
        for c in ("sklvae_version", "torch_version", "sklearn_version")
        for v in sorted(set(study[c].dropna().astype(str)))
    )
    device = ", ".join(sorted(set(study["device"].dropna().astype(str))))
    lines += [
        f"{cfg.describe(setting)}. Command: `python benchmarks/reproduce.py --budget {budget} "
        f"--comparison {comparison}`; {len(study)} fits on {device} ({versions}), "
        f"{study['fit_time'].sum():.0f} s of fitting. Mean ± std over seeds:",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for m in order:
        cells = [
            m,
            str(s["n"][m]),
            *(_cell(s["mean"].at[m, c], s["std"].at[m, c]) for c in columns),
        ]
        steps = s["mean"].at[m, "n_steps"]
        cells += [f"{s['mean'].at[m, 'fit_time']:.0f}", f"{steps:.0f}" if steps >= 0 else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"![{caption(comparison, budget, s)}]({image})", ""]
    for method, column, level in cfg.BASELINE_LEVELS[comparison]:
        value = s["mean"].at[method, column] if method in order else float("nan")
        state = "reaches" if value >= level else "is below"
        lines.append(
            f"Baseline level: {method} {names[column]} {value:.3f} {state} the level of "
            f"{level} (see the rule above)."
        )
        lines.append("")
    sign = "method − baseline, difference of means; the claim is that it is > 0"
    lines += [f"Paper claims ({sign}, < 0 for an error):", ""]
    for claim in s["claims"]:
        lines.append(
            f"- {claim['method']} − {claim['baseline']}, {claim['column']}: "
            f"{claim['diff']:+.3f} (sum of stds {_cell(claim['spread'], np.nan)}): "
            f"**{claim['verdict']}**"
        )
    return "\n".join(lines)


def caption(comparison: str, budget: str, summary: dict) -> str:
    """What the block's image shows."""
    panels = ", ".join(summary["names"][c] for c in summary["columns"])
    methods = ", ".join(summary["order"])
    return (
        f"{comparison} at the {budget} budget: one panel per score ({panels}), one box "
        f"and one dot per seed for each method ({methods})"
    )


def plot(study: Any, summary: dict, path: Path) -> None:
    """The score distributions of one block, panels titled with readable names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklvae.plotting import plot_metric_distributions

    names = summary["names"]
    order = {m: i for i, m in enumerate(summary["order"])}
    study = study.iloc[np.argsort([order[m] for m in study["method"]], kind="stable")]
    renamed = study.rename(columns={c: names[c] for c in summary["columns"]})
    figure = plot_metric_distributions(renamed, [names[c] for c in summary["columns"]])
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(figure)


def verdicts_table(summaries: dict) -> str:
    """How many claims each block supports, contradicts and leaves undecided."""
    kinds = [cfg.SUPPORTED, cfg.CONTRADICTED, cfg.UNDECIDED, cfg.UNDECIDED_BASELINES]
    lines = [
        "| comparison | budget | " + " | ".join(kinds) + " |",
        "|---|---|" + "---|" * len(kinds),
    ]
    for (comparison, budget), s in summaries.items():
        counts = [sum(c["verdict"] == k for c in s["claims"]) for k in kinds]
        lines.append(f"| {comparison} | {budget} | " + " | ".join(map(str, counts)) + " |")
    if not summaries:
        lines.append("| (no committed runs) | | | | | |")
    return "\n".join(lines)


MARKER = re.compile(r"(<!-- generated: (\S+) -->\n).*?(<!-- end generated -->)", re.DOTALL)


def generate(results_dir: Path = RESULTS, images_dir: Path = ROOT / "docs" / "images") -> dict:
    """Every generated block of the page, by marker name; writes the plots."""
    blocks = {"configs": configs_table(), "budgets": budgets_table()}
    summaries = {}
    for comparison in cfg.COMPARISONS:
        parts = []
        for budget in cfg.BUDGETS:
            study = load(comparison, budget, results_dir / budget / f"{comparison}.csv")
            if study is None:
                continue
            image = f"results_{comparison}_{budget}.png"
            summaries[comparison, budget] = summarise(comparison, budget, study)
            plot(study, summaries[comparison, budget], images_dir / image)
            parts.append(block(comparison, budget, study, f"images/{image}"))
        blocks[comparison] = "\n\n".join(parts) or "(no committed runs yet)"
    blocks["verdicts"] = verdicts_table(summaries)
    from learning_curves import report  # imports this script: here, not at the top

    blocks["curves"] = report(results_dir / "curves", images_dir)
    return blocks


def write_page(page: Path, blocks: dict) -> None:
    """Replace the text between each ``<!-- generated: NAME -->`` marker of ``blocks``
    and its end (other generated blocks are left as they are)."""
    text = page.read_text()
    found = set()

    def replace(match: re.Match) -> str:
        if match.group(2) not in blocks:  # a block not regenerated this time
            return match.group(0)
        found.add(match.group(2))
        return match.group(1) + blocks[match.group(2)] + "\n" + match.group(3)

    text = MARKER.sub(replace, text)
    missing = set(blocks) - found
    if missing:
        raise ValueError(f"{page} lacks the generated blocks {sorted(missing)}.")
    page.write_text(text)


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
    parser.add_argument("--budget", choices=list(cfg.BUDGETS), default="cpu")
    parser.add_argument("--comparison", choices=[*cfg.COMPARISONS, "all"], default="all")
    parser.add_argument("--out-dir", type=Path, help="default benchmarks/results/<budget>/")
    parser.add_argument("--n-jobs", type=int, help="parallel fits (default: the budget's)")
    parser.add_argument("--seeds", type=int, help="seeds per method (default: the budget's)")
    parser.add_argument("--dry-run", action="store_true", help="print the settings, fit nothing")
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        help="where running fits save their state (default <out-dir>/checkpoints/): an "
        "interrupted run, started again, resumes each unfinished fit from its newest save",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=500,
        help="optimizer steps between two saves of a running fit (default 500)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="regenerate docs/results.md from every budget's CSVs (--budget is not needed)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help=argparse.SUPPRESS)
    parser.add_argument("--page", type=Path, default=PAGE, help=argparse.SUPPRESS)
    parser.add_argument("--images-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dry_run:
        print(dry_run(args.budget))
        return
    if args.report_only:
        images = args.images_dir or args.page.parent / "images"
        write_page(args.page, generate(args.results_dir, images))
        print(f"regenerated {args.page} from {args.results_dir}")
        return
    n_jobs, args.n_threads = cfg.RUNTIME[args.budget]
    args.n_jobs = args.n_jobs or n_jobs
    args.out_dir = args.out_dir or args.results_dir / args.budget
    args.out_dir.mkdir(parents=True, exist_ok=True)
    args.checkpoint_dir = args.checkpoint_dir or args.out_dir / "checkpoints"
    print(f"budget {args.budget}; {hardware()}; n_jobs {args.n_jobs}, n_threads {args.n_threads}")
    comparisons = cfg.COMPARISONS if args.comparison == "all" else (args.comparison,)
    start = time.perf_counter()
    for comparison in comparisons:
        setting = cfg.BUDGETS[args.budget][comparison]
        seeds = args.seeds or setting.seeds
        print(f"\n{comparison}: {cfg.describe(setting)}, {seeds} seed(s)", flush=True)
        run(comparison, setting, seeds, args)
        study = load(comparison, args.budget, args.out_dir / f"{comparison}.csv")
        if study is not None:
            print(block(comparison, args.budget, study, f"{comparison}.png"))
    print(f"\nthis run {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
