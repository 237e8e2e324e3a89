"""Learning curves of the comparisons' baselines: the headline metric against images seen.

Which scale makes the baselines disentangle, and how many images does it take? For
each comparison of ``benchmarks/reproduce.py`` its baselines are trained as the
official code configures them (``MODELS`` in ``_reproduce_configs.py``: learning rate,
clipping, initialisation, objective), at 64x64 and at a reduced scale (32x32: the same
factor grid rendered at 64x64 and mean-pooled 2x2), two seeds each, and scored every
few thousand images on a fixed sample with the comparison's headline metric:

``mipet`` (dSprites, the whole grid rendered lazily)
    β-TCVAE (β = 6) and β-VAE (β = 4): MIG on dlib's 10,000 sampled points. 64x64:
    the MIPET backbone; 32x32: the MIPET backbone takes 64x64 images only, so the
    Burgess et al. conv net (the same 32-32-64-64 conv widths, padding 1), same
    objective and optimiser settings.
``factorqvae`` (3D Shapes, a fixed random subset of 40,000 grid points rendered once)
    β-VAE (KL weight 1e-4, MSE, cosine lr over the curve's steps as ``reproduce.py``
    scales it), then FactorVAE: DCI disentanglement on 15,000 sampled points (10,000
    to train the classifiers, 5,000 to test, dlib's sizes), with the *fast* DCI
    classifier (:func:`sklvae.metrics.fast_dci_classifier`, not dlib's boosted trees).
    Both sizes use the DALL-E backbone shrunk 16 times (channel 8, hidden 64, input
    channel 8, as ``reproduce.py``'s small budgets): the official width trains at a few
    images per CPU-second at 64x64 (see below), a few hundred images per CPU-hour.

The evaluations come from :class:`sklvae.callbacks.DisentanglementMonitor` with
``every_steps``; each appends one row (comparison, method, scale, params, seed, step,
images_seen, metric_name, metric, seconds and cpu_seconds: wall and CPU seconds of the
fit so far, evaluations included) to ``benchmarks/results/curves/<comparison>.csv``, written atomically under a
lock. Each curve is one fit of :func:`sklvae.model_selection.run_study` with a
``checkpoint_dir`` (saved every evaluation interval, after the row): running the same
command again resumes every unfinished curve mid-fit and skips finished ones and
their written points; a finished curve has a row in ``<comparison>_fits.csv``.

Budget: ~1 CPU-hour per curve (one torch thread). Throughput measured on this
machine at one thread, batch 256, in images per CPU-second (the machine was loaded:
wall throughput was 3-7x lower), training only:

=============================  =====  =================================================
curve                          img/s  steps x batch 256 = images; training CPU-s
=============================  =====  =================================================
dSprites 32, β-TCVAE / β-VAE   1,900  20,000 = 5.1M images; 5.1M / 1,900 = 2,700 s
dSprites 64, β-TCVAE / β-VAE     470  6,000 = 1.5M; 1.5M / 470 = 3,270 s
3D Shapes 32, β-VAE, shrunk      293  3,500 = 0.9M; 0.9M / 293 = 3,060 s
3D Shapes 64, β-VAE, shrunk       50  700 = 179,000; 179,000 / 50 = 3,580 s
=============================  =====  =================================================

plus lazy dSprites rendering (~10,600 images/CPU-s at 32x32: +20% at 32, +0.3% at 64),
the 3D Shapes subset (40,000 images at ~150 images/CPU-s: 270 s, once per size,
cached beside the checkpoints) and the evaluations (MIG on 10,000 points: encoding
~5-20 s; fast DCI on 15,000: ~30 s; 20 / 12 / 7 / 7 of them per curve). FactorVAE (two
optimizers, twice the batch, half the steps) loads as many images. Measured in the
first run: β-TCVAE at 32x32 reached its first point (256,000 images, rendering and one
evaluation included) in 241 CPU-s, ~1,060 images per CPU-second: its 20,000 steps
take ~1.3 CPU-hours, above the cap by a third (the steps were fixed before). Wall time with two
fits at a time on two cores: 2 seeds x 8 curves x ~1 h / 2 = ~8 h (several sessions;
the runs resume).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/learning_curves.py [--n-jobs 2]
        [--only mipet:β-TCVAE:32 ...] [--seeds 2] [--out-dir D] [--checkpoint-dir C]
    python benchmarks/learning_curves.py --plot   # the plots and the page's block

``--plot`` (and ``reproduce.py --report-only``) draws one plot per comparison into
``docs/images/`` and regenerates the ``curves`` block of ``docs/results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _reproduce_configs as cfg
import numpy as np
from skorch.callbacks import Callback

ROOT = Path(__file__).resolve().parents[1]
CURVES = ROOT / "benchmarks" / "results" / "curves"
PAGE = ROOT / "docs" / "results.md"


@dataclass(frozen=True)
class Scale:
    """One scale of a comparison's curves.

    Attributes
    ----------
    size : int
        Image side (64, or 32: renders mean-pooled 2x2).
    steps : int
        Optimizer steps of the whole curve (a multiple of ``every``).
    every : int
        Steps between two evaluations (and two checkpoints).
    batch_size : int
        Images per step (the official 256).
    n_eval : int
        Size of the fixed evaluation sample.
    backbone : str or None
        Replaces the official backbone where it cannot take this size.
    full_backbone : bool
        FactorQVAE comparison: the official DALL-E width, else shrunk 16 times.
    train_images : int or None
        A random subset of the grid rendered once as the training set; None: the
        whole grid, rendered lazily.
    """

    size: int
    steps: int
    every: int
    n_eval: int
    batch_size: int = 256
    backbone: str | None = None
    full_backbone: bool = False
    train_images: int | None = None


SCALES: dict[str, dict[int, Scale]] = {
    "mipet": {
        32: Scale(32, 20000, 1000, 10000, backbone="burgess"),
        64: Scale(64, 6000, 500, 10000),
    },
    "factorqvae": {
        32: Scale(32, 3500, 500, 15000, train_images=40000),
        64: Scale(64, 700, 100, 15000, train_images=40000),
    },
}
#: ``--smoke``: a few steps of every curve, small samples (checks the pipeline)
SMOKE: dict[str, dict[int, Scale]] = {
    "mipet": {
        32: Scale(32, 20, 10, 500, batch_size=32, backbone="burgess"),
        64: Scale(64, 20, 10, 500, batch_size=32),
    },
    "factorqvae": {
        32: Scale(32, 20, 10, 600, batch_size=32, train_images=256),
        64: Scale(64, 20, 10, 600, batch_size=32, train_images=256),
    },
}
#: (dataset, metric, key, label) of each comparison's curves
METRICS = {
    "mipet": ("dsprites", "mig", "discrete_mig", "MIG"),
    "factorqvae": ("shapes3d", "dci", "disentanglement", "DCI D (fast classifier)"),
}
#: (comparison, method, size), the most decisive first: two at a time run in this order
ORDER = [
    ("mipet", "β-TCVAE", 32),
    ("factorqvae", "β-VAE", 32),
    ("mipet", "β-VAE", 32),
    ("mipet", "β-TCVAE", 64),
    ("factorqvae", "β-VAE", 64),
    ("mipet", "β-VAE", 64),
    ("factorqvae", "FactorVAE", 32),
    ("factorqvae", "FactorVAE", 64),
]
COLUMNS = [
    "comparison",
    "method",
    "scale",
    "params",
    "seed",
    "step",
    "images_seen",
    "metric_name",
    "metric",
    "seconds",
    "cpu_seconds",
]


@dataclass(frozen=True)
class Curve:
    """One curve: a baseline of a comparison at one scale and seed."""

    comparison: str
    method: str
    seed: int
    scale: Scale

    @property
    def size(self) -> int:
        return self.scale.size

    @property
    def label(self) -> str:
        """The curve's method column in the fits file (method and scale)."""
        return f"{self.method} {self.size}x{self.size}"


@dataclass
class Fit:
    """What a curve trains and scores: see :func:`setup`."""

    estimator: Any
    dataset: Any
    X: Any
    grid_point: dict[str, int]
    metric: str
    key: str
    n_samples: int
    metric_params: dict[str, Any]
    label: str


def curves(
    order: Sequence[tuple[str, str, int]] = ORDER,
    seeds: int = 2,
    scales: dict[str, dict[int, Scale]] = SCALES,
) -> list[Curve]:
    """The curves in the order they run: pairs of ``order`` entries, seed by seed.

    The first two entries' seed 0, then their seed 1, ..., then the next two entries.
    """
    out = []
    for start in range(0, len(order), 2):
        pair = order[start : start + 2]
        out += [Curve(c, m, seed, scales[c][s]) for seed in range(seeds) for c, m, s in pair]
    return out


def training_images(curve: Curve, cache_dir: Path) -> np.ndarray:
    """The scale's fixed training subset, rendered once and cached (atomically)."""
    from reproduce import at_size, render

    from sklvae._atomic import atomic_path
    from sklvae.model_selection._locks import FileLock

    scale = curve.scale
    dataset = at_size(METRICS[curve.comparison][0], scale.size)
    path = cache_dir / f"{curve.comparison}_{scale.size}_{scale.train_images}.npy"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(path.name + ".lock")):  # two workers render it once
        if not path.exists():
            rows = np.random.RandomState(0).choice(len(dataset), scale.train_images, replace=False)
            images = render(dataset, np.sort(rows))
            with atomic_path(path) as tmp, open(tmp, "wb") as handle:
                np.save(handle, images)
    return np.load(path)


def setup(curve: Curve, cache_dir: Path) -> Fit:
    """The official estimator of the curve's baseline at its scale, data and metric."""
    from reproduce import at_size, build

    from sklvae.metrics import fast_dci_classifier

    scale = curve.scale
    name, metric, key, label = METRICS[curve.comparison]
    setting = cfg.Setting(
        scale.size,
        scale.steps,
        None,
        scale.batch_size,
        1,
        1,
        1,
        full_backbone=scale.full_backbone,
    )
    estimator = build(curve.comparison, curve.method, setting)
    if scale.backbone is not None:
        estimator.set_params(backbone=scale.backbone)
    X = training_images(curve, cache_dir) if scale.train_images else None
    params = {"classifier": fast_dci_classifier(), "random_state": 0} if metric == "dci" else {}
    grid_point = cfg.grid_point(setting, curve.method, curve.comparison)
    dataset = at_size(name, scale.size)
    return Fit(estimator, dataset, X, grid_point, metric, key, scale.n_eval, params, label)


def _lock(path: Path) -> Any:
    from sklvae.model_selection._locks import FileLock

    return FileLock(path.with_name(path.name + ".lock"))


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a curves file, as text (none for a missing file)."""
    import csv

    if not path.exists():
        return []
    with _lock(path):
        return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def append_row(path: Path, row: dict) -> None:
    """Add one row to a curves file: rewritten atomically, under its lock."""
    import csv
    import io

    from sklvae._atomic import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock(path):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        line = io.StringIO()
        writer = csv.writer(line, lineterminator="\n")
        if not text:
            writer.writerow(COLUMNS)
        writer.writerow([row[c] for c in COLUMNS])
        atomic_write_text(path, text + line.getvalue())


class CurveRows(Callback):
    """Appends a row to the curve's CSV file after each score of the named monitor.

    Reads the :class:`~sklvae.callbacks.DisentanglementMonitor` called ``monitor``
    among the net's callbacks (listed before this one); a point already in the file
    (a resumed fit passing it again) is not written twice. ``seconds`` (wall) and
    ``cpu_seconds`` (this process's CPU time: one fit per process) count training and
    evaluations, continued from the file's row of the step the fit resumed from.
    """

    def __init__(self, path: str, fields: dict, monitor: str = "curve_monitor") -> None:
        self.path = path
        self.fields = fields
        self.monitor = monitor

    def _mine(self) -> list[dict]:
        """This curve's rows in the file (``step`` and ``seconds`` as numbers)."""
        key = [str(self.fields[k]) for k in ("method", "params", "seed")]
        rows = [
            r
            for r in read_rows(Path(self.path))
            if [r[k] for k in ("method", "params", "seed")] == key
        ]
        numbers = {"step": int, "seconds": float, "cpu_seconds": float}
        return [r | {k: f(r[k]) for k, f in numbers.items()} for r in rows]

    def on_train_begin(self, net, **kwargs):
        self.monitor_ = dict(net.callbacks_)[self.monitor]
        self.start_, self.cpu_start_, self.base_ = time.perf_counter(), time.process_time(), None

    def on_batch_end(self, net, training=False, **kwargs):
        scores = self.monitor_.scores_
        if not training or not scores or scores[-1][0] != net.n_steps_:
            return
        step, value = scores[-1]
        mine = self._mine()
        if self.base_ is None:  # the first batch of this call: it resumed at step - 1
            before = [r for r in mine if r["step"] <= net.n_steps_ - 1]
            last = max(before, key=lambda r: r["step"]) if before else {}
            self.base_ = (last.get("seconds", 0.0), last.get("cpu_seconds", 0.0))
        if any(r["step"] == step for r in mine):
            return
        row = {
            **self.fields,
            "step": step,
            "images_seen": step * net.batch_size,
            "metric": value,
            "seconds": round(self.base_[0] + time.perf_counter() - self.start_, 1),
            "cpu_seconds": round(self.base_[1] + time.process_time() - self.cpu_start_, 1),
        }
        append_row(Path(self.path), row)


def run_curve(
    curve: Curve,
    out_dir: Path,
    checkpoint_dir: Path,
    make: Callable[[Curve, Path], Fit] = setup,
) -> None:
    """Train and score one curve (resumes from its checkpoint; a finished one is skipped)."""
    import torch

    from sklvae.callbacks import DisentanglementMonitor
    from sklvae.model_selection import run_study

    torch.set_num_threads(1)
    fits_file = out_dir / f"{curve.comparison}_fits.csv"
    params = json.dumps(curve_params(curve), sort_keys=True)
    if _finished(fits_file, curve, params):
        return
    fit = make(curve, checkpoint_dir)
    monitor = DisentanglementMonitor(
        fit.dataset,
        fit.metric,
        key=fit.key,
        n_samples=fit.n_samples,
        every_steps=curve.scale.every,
        name="curve_metric",
        random_state=0,
        metric_params=fit.metric_params or None,
    )
    fields = dict(
        comparison=curve.comparison,
        method=curve.method,
        scale=f"{curve.size}x{curve.size}",
        params=params,
        seed=curve.seed,
        metric_name=fit.label,
    )
    rows = CurveRows(str(out_dir / f"{curve.comparison}.csv"), fields)
    callbacks = list(fit.estimator.callbacks or [])
    fit.estimator.set_params(
        callbacks=[*callbacks, ("curve_monitor", monitor), ("curve_rows", rows)]
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    run_study(
        {curve.label: (fit.estimator, {k: [v] for k, v in fit.grid_point.items()})},
        fit.dataset,
        X=fit.X,
        metrics={"final_metric": last_score},
        seeds=[curve.seed],
        n_train=1000,
        n_test=1,
        results_file=fits_file,
        checkpoint_dir=checkpoint_dir / curve.comparison,
        checkpoint_every=curve.scale.every,
        n_jobs=1,
        n_threads=1,
    )


def last_score(estimator: Any, X: Any = None, y: Any = None) -> float:
    """The fit's last monitored score (the fits file's ``final_metric``): no new scoring."""
    return float(estimator.history_[-1, "curve_metric"])


def curve_params(curve: Curve) -> dict[str, int]:
    """The curve's training length and batch (its ``params``: a new budget, a new curve)."""
    scale = curve.scale
    setting = cfg.Setting(scale.size, scale.steps, None, scale.batch_size, 1, 1, 1)
    return cfg.grid_point(setting, curve.method, curve.comparison)


def _finished(fits_file: Path, curve: Curve, params: str) -> bool:
    from sklvae.model_selection._results import read_results

    if not fits_file.exists():
        return False
    rows = read_results(fits_file)[1]
    return any(
        (r["method"], r["params"], r["seed"]) == (curve.label, params, curve.seed) for r in rows
    )


def run_all(todo: list[Curve], out_dir: Path, checkpoint_dir: Path, n_jobs: int) -> None:
    """Every curve of ``todo``, ``n_jobs`` at a time in separate processes, in order."""
    from joblib import Parallel, delayed

    # the workers import this script and reproduce.py from their folder
    here = str(Path(__file__).resolve().parent)
    path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, path) if p)
    jobs = (delayed(run_curve)(curve, out_dir, checkpoint_dir) for curve in todo)
    for _ in Parallel(n_jobs=n_jobs, backend="loky", pre_dispatch="n_jobs")(jobs):
        pass


# ------------------------------------------------------------------------ report
def load(results_dir: Path = CURVES, scales: dict = SCALES) -> dict[str, Any]:
    """The curve rows of each comparison with a file (rows of ``scales`` only)."""
    import pandas as pd

    out = {}
    for comparison in SCALES:
        path = results_dir / f"{comparison}.csv"
        if not path.exists():
            continue
        rows = pd.read_csv(path)
        current = {
            (
                f"{m} {s}x{s}",
                json.dumps(
                    curve_params(Curve(comparison, m, 0, scales[comparison][s])), sort_keys=True
                ),
            )
            for c, m, s in ORDER
            if c == comparison
        }
        keep = [
            (f"{m} {s}", p) in current
            for m, s, p in zip(rows["method"], rows["scale"], rows["params"])
        ]
        if any(keep):
            out[comparison] = rows[keep].sort_values(["method", "scale", "seed", "step"])
    return out


def _level(comparison: str, method: str) -> float | None:
    for name, _, level in cfg.BASELINE_LEVELS[comparison]:
        if name == method:
            return level
    return None


def standing(comparison: str, rows: Any) -> list[str]:
    """One sentence per baseline and scale: where the mean over seeds stands."""
    lines = []
    for (method, scale), group in rows.groupby(["method", "scale"], sort=False):
        seeds = sorted(set(group["seed"]))
        # the mean over the seeds at the steps every seed has reached
        per_step = group.groupby("images_seen")["metric"].agg(["mean", "count"])
        common = per_step[per_step["count"] == len(seeds)]
        label = group["metric_name"].iloc[0]
        n = len(seeds)
        text = f"- {method} at {scale} ({n} seed{'s, mean over seeds' if n > 1 else ''}): "
        if common.empty:
            lines.append(text + "no step reached by every seed yet.")
            continue
        level = _level(comparison, method)
        best = common["mean"].idxmax()
        reached = common.index[common["mean"] >= level] if level is not None else []
        seen = int(common.index.max())
        if len(reached):
            text += f"reaches the level {label} ≥ {level} at {int(reached[0]):,} images"
        else:
            text += f"best so far {label} {common.at[best, 'mean']:.3f} at {int(best):,} images"
            text += f", below the level of {level}" if level is not None else ""
        text += f"; last point {common.at[seen, 'mean']:.3f} at {seen:,} images"
        cpu = group.groupby("seed")["cpu_seconds"].max().mean()
        text += f" ({cpu / 60:.0f} CPU-minutes per seed)."
        lines.append(text)
    return lines


def plot(comparison: str, rows: Any, path: Path) -> None:
    """Metric against images seen: one colour per baseline, one line style per scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7, 4.2))
    methods = list(dict.fromkeys(rows["method"]))
    styles = {"64x64": "-", "32x32": "--"}
    for (method, scale, seed), group in rows.groupby(["method", "scale", "seed"], sort=False):
        colour = f"C{methods.index(method)}"
        ax.plot(
            group["images_seen"],
            group["metric"],
            styles.get(scale, ":"),
            color=colour,
            marker="o",
            markersize=3,
            alpha=0.85,
            label=f"{method} {scale}" if seed == min(rows["seed"]) else None,
        )
    for method, _, level in cfg.BASELINE_LEVELS[comparison]:
        ax.axhline(level, color="k", lw=1, ls=":", label=f"literature level, {method}: {level}")
    ax.set_xlim(left=0)
    levels = [level for *_, level in cfg.BASELINE_LEVELS[comparison]]
    ax.set_ylim(0, 1.15 * max([rows["metric"].max(), *levels]))
    ax.set_xlabel("images seen")
    ax.set_ylabel(rows["metric_name"].iloc[0])
    ax.set_title(f"{comparison}: baselines' {rows['metric_name'].iloc[0]} during training")
    ax.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(figure)


def report(
    results_dir: Path = CURVES, images_dir: Path = ROOT / "docs" / "images", scales: dict = SCALES
) -> str:
    """The page's ``curves`` block: per comparison a plot and where each baseline stands."""
    loaded = load(results_dir, scales)
    parts = []
    for comparison, rows in loaded.items():
        image = f"curves_{comparison}.png"
        plot(comparison, rows, images_dir / image)
        dataset, *_ = METRICS[comparison]
        metric = rows["metric_name"].iloc[0]
        seconds = rows.groupby(["method", "scale", "seed"])["cpu_seconds"].max().sum()
        caption = (
            f"{comparison}: {metric} of the baselines on {dataset} against images seen, one "
            "line per seed (solid 64x64, dashed 32x32), dotted: the literature level"
        )
        parts += [
            f"### {comparison}",
            "",
            f"![{caption}](images/{image})",
            "",
            *standing(comparison, rows),
            "",
            f"{len(rows)} point{'s' if len(rows) != 1 else ''}, {seconds / 3600:.1f} CPU-hours "
            "of fitting and scoring "
            "(one torch thread per fit).",
            "",
        ]
    return "\n".join(parts).strip() or "(no curves yet)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-jobs", type=int, default=2, help="curves at a time (processes)")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument(
        "--only",
        nargs="*",
        help="comparison:method:size entries of ORDER to run (default: all, in order)",
    )
    parser.add_argument("--out-dir", type=Path, default=CURVES)
    parser.add_argument(
        "--checkpoint-dir", type=Path, help="default <out-dir>/checkpoints/ (not committed)"
    )
    parser.add_argument("--plot", action="store_true", help="plots and the page block only")
    parser.add_argument(
        "--smoke", action="store_true", help="20 steps per curve, small samples (use --out-dir)"
    )
    parser.add_argument("--page", type=Path, default=PAGE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plot:
        from reproduce import write_page

        images = args.page.parent / "images"
        scales = SMOKE if args.smoke else SCALES
        write_page(args.page, {"curves": report(args.out_dir, images, scales)})
        print(f"regenerated the curves block of {args.page} from {args.out_dir}")
        return
    order = ORDER
    if args.only:
        wanted = {tuple(entry.split(":")) for entry in args.only}
        order = [o for o in ORDER if (o[0], o[1], str(o[2])) in wanted]
        if len(order) != len(wanted):
            raise SystemExit(f"--only: unknown entries; choose from {ORDER}")
    todo = curves(order, args.seeds, SMOKE if args.smoke else SCALES)
    checkpoint_dir = args.checkpoint_dir or args.out_dir / "checkpoints"
    print(f"{len(todo)} curves, {args.n_jobs} at a time; pid {os.getpid()}", flush=True)
    start = time.perf_counter()
    run_all(todo, args.out_dir, checkpoint_dir, args.n_jobs)
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
