"""The budgets of ``benchmarks/reproduce.py``: one table, per budget and comparison.

Kept apart from the script so that the table can be read (and tested) without
importing torch. Every number of a run is here; the script only builds the models
and the data from them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BUDGETS",
    "CLAIMS",
    "COLUMNS",
    "COMPARISONS",
    "METHODS",
    "RUNTIME",
    "Setting",
    "describe",
    "grid_point",
    "labels",
]

COMPARISONS = ("mipet", "factorqvae", "group")


@dataclass(frozen=True)
class Setting:
    """What one comparison runs under one budget.

    Attributes
    ----------
    size : int
        Image side in pixels (3D Shapes is rendered at 64 and mean-pooled down).
    steps, epochs : int or None
        Optimizer steps per fit, or passes over the training data (one is None).
    batch_size : int
        Images per VAE step (FactorQVAE and FactorVAE load twice as many and split).
    seeds : int
        Fits per method (seeds 0 .. seeds-1 of the model initialisation).
    n_train, n_test : int
        Points sampled for the metrics (the held-out ones for DCI / SAP).
    dci : {"fast", "reference", "none"}
        DCI's classifier: ``fast_dci_classifier()`` or dlib's gradient-boosted trees.
    votes : int or None
        FactorVAE score: training votes (half as many evaluation votes); None:
        disentanglement_lib's 10,000 / 5,000.
    train_images : int or None
        3D Shapes: a random subset of the grid rendered once as the training set;
        None: the whole grid.
    prerender : bool
        Render the whole factor grid into memory once, in parallel, before fitting
        (GPU budgets: rendering on the fly would starve the GPU).
    precision : str
        The estimators' ``precision``.
    full_backbone : bool
        FactorQVAE comparison: the official DALL-E backbone, else the shrunk one.
    """

    size: int
    steps: int | None
    epochs: int | None
    batch_size: int
    seeds: int
    n_train: int
    n_test: int
    dci: str = "fast"
    votes: int | None = None
    train_images: int | None = None
    prerender: bool = False
    precision: str = "32"
    full_backbone: bool = False


# The cpu budget, at most ~40 minutes per comparison on 2 cores with n_jobs=2,
# n_threads=1 (each fit then has one core). Throughput measured here at 1 thread:
#
# mipet (64x64, batch 64, the MIPET backbone for all four): beta-VAE and beta-TCVAE
#   ~680 images/s, MIPET-beta-VAE and MIPET-beta-TCVAE ~220 images/s (the K = 3 IPE
#   units make a MIPET step ~3x dearer). One seed of the four methods costs
#   64 x (2/680 + 2/220) = 0.77 s per step; 3 seeds x 1500 steps = 3470 s of fits,
#   1730 s on 2 workers; lazy rendering of the dSprites batches ~+10% -> 1900 s;
#   evaluation on dlib's 10,000 / 5,000 points ~60 s per fit x 12 / 2 workers = 360 s.
#   Total ~2270 s = 38 min.
#   (The β-VAE-only estimate of ~2500-3000 steps would overrun by the MIPET cost.)
# factorqvae (32x32, shrunk DALL-E backbone, batch 64, FactorQVAE / FactorVAE 128
#   split), seconds per step: FactorQVAE 0.30, QVAE 0.20, beta-VAE 0.16, FactorVAE
#   0.43, QLAE 0.14 -> 1.12 s per step for one seed of the five; 3 seeds x 1000
#   steps = 3370 s, 1690 s on 2 workers; rendering 20,000 training images ~45 s;
#   evaluation ~30 s per fit x 15 / 2 = 230 s. Total ~1960 s = 33 min.
# group (8x8 digits, batch 64): ~0.15-0.5 s per epoch of 21 steps, so the paper's
#   50 epochs take 10-25 s per fit; 5 seeds x 3 models + the probes ~4 min.
#
# The gpu budget (one H100, n_jobs=1, bf16-mixed, grid rendered once on all cores)
# aims at ~7 minutes per comparison, from ~20,000 images/s for the 64x64 models
# (MIPET ~3x slower, ~6,500): mipet 3 x 800 steps x 256 x (2/20000 + 2/6500) = 250 s
# + 12 evaluations x ~10 s + ~30 s of rendering; factorqvae (small 32x32 models,
# assumed ~40,000 loaded images/s; 1792 loaded images per step over the five methods)
# 3 x 1500 x 1792 / 40000 = 200 s + 15 x ~10 s + ~60 s of rendering.
_MIPET_EVAL = {
    "smoke": dict(n_train=300, n_test=150, votes=40),
    "cpu": dict(n_train=10000, n_test=5000, votes=300),
    "gpu": dict(n_train=5000, n_test=2500, votes=1000),
    "paper": dict(n_train=10000, n_test=5000, votes=None, dci="reference"),
}

BUDGETS: dict[str, dict[str, Setting]] = {
    "smoke": {
        "mipet": Setting(64, 20, None, 32, 1, **_MIPET_EVAL["smoke"]),
        "factorqvae": Setting(32, 10, None, 16, 1, 200, 100, train_images=512),
        "group": Setting(8, None, 2, 64, 1, 1800, 1, dci="none"),
    },
    "cpu": {
        "mipet": Setting(64, 1500, None, 64, 3, **_MIPET_EVAL["cpu"]),
        "factorqvae": Setting(32, 1000, None, 64, 3, 2000, 1000, train_images=20000),
        "group": Setting(8, None, 50, 64, 5, 1800, 1, dci="none"),
    },
    "gpu": {
        "mipet": Setting(
            64, 800, None, 256, 3, prerender=True, precision="bf16-mixed", **_MIPET_EVAL["gpu"]
        ),
        "factorqvae": Setting(
            32, 1500, None, 256, 3, 5000, 2500, prerender=True, precision="bf16-mixed"
        ),
        "group": Setting(8, None, 50, 64, 5, 1800, 1, dci="none"),
    },
    # the papers' step counts and batch sizes, dlib's evaluation sizes and DCI
    "paper": {
        # 60 epochs of the 737,280 dSprites images at batch 256 (172,800 steps)
        "mipet": Setting(64, None, 60, 256, 5, prerender=True, **_MIPET_EVAL["paper"]),
        # the official 100,000 Lightning steps are 50,000 batches (two optimizer
        # steps per batch); 64x64 images, the full DALL-E backbone
        "factorqvae": Setting(
            64, 50000, None, 256, 5, 10000, 5000, "reference", prerender=True, full_backbone=True
        ),
        "group": Setting(8, None, 50, 64, 5, 1800, 1, dci="none"),
    },
}

#: (n_jobs, n_threads) per budget: CPU fits in parallel with one torch thread each;
#: on a GPU one fit at a time, torch's own thread setting.
RUNTIME: dict[str, tuple[int, int | None]] = {
    "smoke": (2, 1),
    "cpu": (2, 1),
    "gpu": (1, None),
    "paper": (1, None),
}

#: scored columns per comparison: (column, label); "DCI" gets the variant's name
COLUMNS = {
    "mipet": [
        ("factor_vae.eval_accuracy", "FactorVAE score"),
        ("mig.discrete_mig", "MIG"),
        ("sap.SAP_score", "SAP"),
        ("dci.disentanglement", "DCI D"),
        ("dci.completeness", "DCI C"),
        ("reconstruction_error", "recon. MSE"),
    ],
    "factorqvae": [
        ("dci.disentanglement", "DCI D"),
        ("dci.completeness", "DCI C"),
        ("dci.informativeness_test", "DCI I"),
        ("infomec.infom", "InfoM"),
        ("infomec.infoe", "InfoE"),
        ("infomec.infoc", "InfoC"),
        ("reconstruction_error", "recon. MSE"),
    ],
    "group": [
        ("acc_turned", "acc. turned test"),
        ("acc_upright", "acc. upright test"),
        ("relative_invariance", "rel. invariance error"),
        ("reconstruction_error", "recon. MSE"),
    ],
}
_MIPET_PAIRS = [("MIPET-β-VAE", "β-VAE"), ("MIPET-β-TCVAE", "β-TCVAE")]
_MIPET_SCORES = ["factor_vae.eval_accuracy", "mig.discrete_mig", "sap.SAP_score"]
#: paper claims: (method, baseline, column), "the method scores higher"
CLAIMS = {
    "mipet": [(m, b, c) for m, b in _MIPET_PAIRS for c in [*_MIPET_SCORES, "dci.disentanglement"]],
    "factorqvae": [
        ("FactorQVAE", b, c)
        for b in ("QVAE", "β-VAE", "FactorVAE", "QLAE")
        for c in ("dci.disentanglement", "infomec.infom", "infomec.infoc")
    ],
    "group": [
        ("GroupActionAE fixed", "plain AE", "acc_turned"),
        ("GroupActionAE learned", "plain AE", "acc_turned"),
    ],
}
METHODS = {
    "mipet": ["MIPET-β-VAE", "β-VAE", "MIPET-β-TCVAE", "β-TCVAE"],
    "factorqvae": ["FactorQVAE", "QVAE", "β-VAE", "FactorVAE", "QLAE"],
    "group": ["GroupActionAE fixed", "GroupActionAE learned", "plain AE"],
}
DOUBLED = {"FactorQVAE", "FactorVAE"}  # load twice the batch and split it


def grid_point(setting: Setting, method: str) -> dict[str, int]:
    """The recorded parameters of a fit: a changed budget is a new fit, not a done one."""
    batch = setting.batch_size * (2 if method in DOUBLED else 1)
    if setting.steps is not None:
        return {"batch_size": batch, "max_steps": setting.steps}
    return {"batch_size": batch, "max_epochs": setting.epochs}


def labels(comparison: str, setting: Setting) -> dict[str, str]:
    """Column -> label, naming the DCI variant when it is not dlib's."""
    out = dict(COLUMNS[comparison])
    if setting.dci == "fast":
        out = {c: s.replace("DCI", "DCI (fast classifier)") for c, s in out.items()}
    return out


def describe(setting: Setting) -> str:
    """One line of a budget: training length, batch, images, precision, evaluation."""
    s = setting
    text = f"{s.steps} steps" if s.steps else f"{s.epochs} epochs"
    text += f" of batch {s.batch_size}, {s.size}x{s.size} images, precision {s.precision}"
    if s.dci == "none":
        return text + "; linear probes on every test digit at each turn"
    text += f"; metrics on {s.n_train} / {s.n_test} sampled points, "
    text += "DCI with the fast classifier" if s.dci == "fast" else "dlib's DCI (boosted trees)"
    return text + (f", FactorVAE score on {s.votes} / {s.votes // 2} votes" if s.votes else "")
