"""The settings of ``benchmarks/reproduce.py``: the methods, the budgets, the verdict rule.

Kept apart from the script so that it can be read (and tested) without importing
torch. Every number of a run is here; the script only builds the models and the data
from them.

``MODELS`` configures every method of every comparison as its paper's official code
configures it, each setting with the official file it comes from (:class:`Official`);
a setting where sklvae departs on purpose says what and why. ``BUDGETS`` scale the
training length (and, at small budgets, the network) and the evaluation; ``paper``
runs the official step counts, batch sizes and learning rates per method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BASELINE_LEVELS",
    "BUDGETS",
    "CLAIMS",
    "COLUMNS",
    "COMPARISONS",
    "DOUBLED",
    "LOWER_IS_BETTER",
    "METHODS",
    "MODELS",
    "Model",
    "Official",
    "RUNTIME",
    "Setting",
    "baselines_disentangled",
    "describe",
    "difference",
    "fit_config",
    "grid_point",
    "labels",
    "verdict",
]

COMPARISONS = ("mipet", "factorqvae", "group")


@dataclass(frozen=True)
class Official:
    """One setting of one method, where it comes from, and any departure.

    Attributes
    ----------
    value : object
        The value sklvae uses (at the ``paper`` budget).
    source : str
        The official file (and key) it comes from, or "ours" for a setting the
        official code does not have.
    departure : str
        Empty when sklvae does what the official code does; else what differs and why.
    """

    value: Any
    source: str
    departure: str = ""


@dataclass(frozen=True)
class Model:
    """A method of a comparison: the sklvae estimator and its settings.

    ``settings`` maps a name to an :class:`Official`. The names are estimator
    parameters (passed to the constructor), except ``max_steps``, ``max_epochs`` and
    ``batch_size`` (the official training length, the ``paper`` budget), the ones the
    script turns into callbacks (``lr_schedule``, ``discriminator_lr_schedule``: cosine
    ``(T_max, eta_min)`` in batches; ``kl_weight``: the loss weight of the KL term;
    ``init``: ``"xavier"`` or ``"normal(0, 0.02)"``), and ``NOTE_KEYS``, which only
    document what the estimator or the data already do.
    """

    estimator: str
    settings: dict[str, Official]
    training_data: str = "the whole dataset"


#: settings that configure the training length, not the estimator
TRAINING_KEYS = ("max_steps", "max_epochs", "batch_size")
#: settings the script applies through callbacks
CALLBACK_KEYS = ("lr_schedule", "discriminator_lr_schedule", "kl_weight", "init")
#: settings that document what sklvae does anyway (no parameter to set)
NOTE_KEYS = ("config file", "optimizer", "init (built in)", "data")

_MAIN, _RUN = "MIPET-VAEs main.py", "MIPET-VAEs run.sh"


def _mipet_common(mipet: bool) -> dict[str, Official]:
    """What the official MIPET main.py gives every model type it trains (hosts too)."""
    init = (
        {"init (built in)": Official("xavier", f"{_MAIN}: model.init_weights()")}
        if mipet
        else {
            "init": Official(
                "xavier",
                f"{_MAIN}: model.init_weights() (models/mipet_vae.py: xavier_uniform_ on "
                "every >= 2-D parameter)",
                "main.py trains MIPET models only; the host gets the same initialisation "
                "(applied by the script's callback: the host estimators have no option)",
            )
        }
    )
    return {
        "n_latents": Official(
            10,
            f"{_RUN}: LATENT_DIM (left blank; main.py default 8)",
            "10, disentanglement_lib's dSprites setting: run.sh leaves it open",
        ),
        "backbone": Official(
            "mipet", "MIPET-VAEs models/encoder.py, models/decoder.py (dSprites: dense 256, 128)"
        ),
        "likelihood": Official("bernoulli", f"{_MAIN}: nn.BCELoss(reduction='sum') for dsprites"),
        "lr": Official(4e-4, f"{_RUN}: LEARNING_RATE"),
        "grad_clip": Official(
            1.0, f"{_MAIN}: --max_grad_norm (clip_grad_norm_ on every model type)"
        ),
        "optimizer": Official(
            "Adam, betas (0.9, 0.999), weight decay 0, constant lr",
            f"{_RUN}: OPTIMIZER; {_MAIN}: --weight_decay, --scheduler defaults",
        ),
        **init,
        "batch_size": Official(256, f"{_RUN}: TRAIN_BATCH_SIZE"),
        "max_epochs": Official(60, f"{_MAIN}: --num_epoch default (run.sh leaves NUM_EPOCH blank)"),
    }


def _mipet_model(estimator: str, base: str | None, **weights: Official) -> Model:
    settings = _mipet_common(mipet=base is not None)
    if base is not None:
        settings = {
            "base": Official(base, f"{_MAIN}: --model_type"),
            "n_units": Official(3, f"{_MAIN}: --num_inv_equ default (run.sh leaves it blank)"),
            "ipe_lr": Official(4e-4, f"{_RUN}: SUB_LEARNING_RATE"),
            **settings,
        }
    return Model(estimator, {**settings, **weights})


_BETA_VAE = Official(
    4.0,
    f"{_RUN}: BETA (left blank)",
    "β = 4 for both: run.sh leaves β open and main.py's mipetvae loss never uses it "
    "(effectively β = 1); the pair then differs only by the IPE units",
)
_TC = {
    "alpha": Official(1.0, f"{_RUN}: ALPHA"),
    "beta": Official(6.0, f"{_RUN}: BETA (left blank)", "β = 6 for both: run.sh leaves β open"),
    "gamma": Official(1.0, f"{_RUN}: GAMMA"),
}

#: each FactorQVAE-comparison model has its own official file; the keys are the same
_FQ = "FactorQVAE configs/Shapes3D/<model>.yaml"
_FQ_FILES = {
    "factorqvae": "FactorQVAE",
    "qvae": "QVAE",
    "vae": "VAE",
    "factorvae": "FactorVAE",
    "qlae": "QLAE",
}


def _fq_common(name: str, *, doubled: bool, gaussian: bool) -> dict[str, Official]:
    """What every FactorQVAE config file gives its model (``name``: the file)."""
    src = _FQ
    steps = (
        Official(
            50000,
            f"{src}: train.max_steps 100000 (Lightning counts both optimizers' steps: "
            "50,000 batches)",
        )
        if doubled
        else Official(100000, f"{src}: train.max_steps")
    )
    batch = Official(
        512 if doubled else 256, f"{src}: data.batch_size" + (" (split)" if doubled else "")
    )
    cosine = (50000, 1.25e-6)
    schedule_src = f"{src}: train.vae_lr_iter; models/*.py: CosineAnnealingLR(eta_min=1.25e-6)"
    settings = {
        "config file": Official(
            f"configs/Shapes3D/{name}.yaml",
            f"FactorQVAE train.py --config_path (model.name {_FQ_FILES[name]})",
        ),
        "n_latents": Official(12, f"{src}: data.num_latents"),
        "backbone": Official(
            "dalle", f"{src}: model.channel 128, hidden_dim 128, input_channel 64"
        ),
        "likelihood": Official("mse", f"{src}: train.reconst_loss F.mse_loss"),
        "lr": Official(1e-3, f"{src}: train.vae_lr"),
        "max_steps": steps,
        "batch_size": batch,
    }
    if gaussian:
        settings["lr_schedule"] = Official(cosine, schedule_src)
        settings["init"] = Official(
            "normal(0, 0.02)",
            "FactorQVAE models/base.py: weights_init",
            "sklvae's dalle backbone has it built in; the script extends it to the Gaussian "
            "heads (and the discriminator), which the estimators leave at torch's default",
        )
    else:
        settings["lr_decay_steps"] = Official(cosine[0], schedule_src)
        settings["min_lr"] = Official(cosine[1], schedule_src)
        settings["init (built in)"] = Official(
            "normal(0, 0.02)", "FactorQVAE models/base.py: weights_init"
        )
    return settings


def _gumbel() -> dict[str, Official]:
    src = _FQ
    return {
        "codebook_size": Official(64, f"{src}: model.codebook.num_embeddings"),
        "beta": Official(1e-3, f"{src}: model.quantizer.kl_weight"),
        "temperature_decay": Official(
            1e-5, "FactorQVAE train.py: DecayTemperature exp(-1e-5 * global_step)"
        ),
    }


def _discriminator() -> dict[str, Official]:
    src = _FQ
    return {
        "gamma": Official(1e-4, f"{src}: model.discriminator.gamma"),
        "discriminator_lr": Official(1e-3, f"{src}: train.disc_lr"),
    }


_GA = "GroupActionAE rotated_mnist.py"


def _group_model(note: str, **settings: Official) -> Model:
    common = {
        "n_latents": Official(64, f"{_GA}: latent_channels"),
        "lr": Official(1e-3, f"{_GA}: lr"),
        "max_epochs": Official(50, f"{_GA}: epochs"),
        "batch_size": Official(64, f"{_GA}: DataLoader(batch_size=64)"),
        "data": Official(
            "scikit-learn digits, 8x8, 1,347 training digits",
            f"{_GA}: MNIST 28x28, 48,000 training images (80% of 60,000)",
            "36x fewer images of 12x fewer pixels: MNIST cannot be downloaded here and "
            "sklvae ships the 8x8 digits",
        ),
    }
    return Model("GroupActionAE", {**common, **settings}, note)


_PLAIN = Official("c1", "ours", "no group: a plain autoencoder (reconstruction only)")

MODELS: dict[str, dict[str, Model]] = {
    "mipet": {
        "MIPET-β-VAE": _mipet_model("MIPETVAE", "beta_vae", beta=_BETA_VAE),
        "β-VAE": _mipet_model("BetaVAE", None, beta=_BETA_VAE),
        "MIPET-β-TCVAE": _mipet_model("MIPETVAE", "beta_tcvae", **_TC),
        "β-TCVAE": _mipet_model("BetaTCVAE", None, **_TC),
    },
    "factorqvae": {
        "FactorQVAE": Model(
            "FactorQVAE",
            {
                **_fq_common("factorqvae", doubled=True, gaussian=False),
                **_gumbel(),
                **_discriminator(),
            },
        ),
        "QVAE": Model("QVAE", {**_fq_common("qvae", doubled=False, gaussian=False), **_gumbel()}),
        "β-VAE": Model(
            "BetaVAE",
            {
                **_fq_common("vae", doubled=False, gaussian=True),
                "beta": Official(1e-4, f"{_FQ}: model.quantizer.kl_weight"),
            },
        ),
        "FactorVAE": Model(
            "FactorVAE",
            {
                **_fq_common("factorvae", doubled=True, gaussian=True),
                **_discriminator(),
                "kl_weight": Official(
                    1e-4,
                    f"{_FQ}: model.quantizer.kl_weight",
                    "FactorVAE has no KL-weight parameter; the script sets the loss weight",
                ),
                "discriminator_lr_schedule": Official(
                    (50000, 1.25e-6), f"{_FQ}: train.disc_lr_iter"
                ),
                "module__discriminator_layers": Official(
                    5, "FactorQVAE blocks/discriminator.py: layers=4 (6 linear layers)"
                ),
            },
        ),
        "QLAE": Model(
            "QLAE",
            {
                **_fq_common("qlae", doubled=False, gaussian=False),
                "codebook_size": Official(16, f"{_FQ}: model.codebook.num_embeddings"),
                "commitment_weight": Official(1e-2, f"{_FQ}: model.quantizer.commit_coeff"),
                "quantization_weight": Official(1e-2, f"{_FQ}: model.quantizer.quantize_coeff"),
            },
        ),
    },
    "group": {
        "GroupActionAE fixed": _group_model(
            "upright training digits (the model turns them itself)",
            action=Official("fixed", f"{_GA}: rotate_latent"),
            mask_threshold=Official(0.5, f"{_GA}: threshold_mask"),
            lambda_inv=Official(1.0, f"{_GA}: lm_inv"),
            lambda_equiv=Official(1.0, f"{_GA}: lm_const"),
        ),
        "GroupActionAE learned": _group_model(
            "upright training digits (the model turns them itself)",
            action=Official("learned", "ours", "sklvae's learned C4 representation"),
            mask_threshold=Official(0.5, f"{_GA}: threshold_mask"),
            lambda_inv=Official(1.0, f"{_GA}: lm_inv"),
            lambda_equiv=Official(1.0, f"{_GA}: lm_const"),
        ),
        "plain AE": _group_model(
            "upright training digits only", group=_PLAIN, representation=Official("full", "ours")
        ),
        "plain AE (turned)": _group_model(
            "every training digit at each of the four turns (the fair baseline: its "
            "encoder sees turned digits, as GroupActionAE's does)",
            group=_PLAIN,
            representation=Official("full", "ours"),
        ),
        "raw pixels": Model(
            "RawPixels", {}, "no training: the probe reads the 64 pixels of each digit"
        ),
    },
}

#: methods of each comparison, in table order
METHODS = {comparison: list(models) for comparison, models in MODELS.items()}
#: methods with a discriminator: two optimizer steps per batch, twice the batch, split
DOUBLED = {"FactorQVAE", "FactorVAE"}
#: methods trained on the turned training digits
TURNED_TRAINING = {"plain AE (turned)"}


@dataclass(frozen=True)
class Setting:
    """What one comparison runs under one budget.

    Attributes
    ----------
    size : int
        Image side in pixels (3D Shapes is rendered at 64 and mean-pooled down).
    steps, epochs : int or None
        Training length, or passes over the training data (one is None). ``steps``
        counts optimizer steps as PyTorch Lightning's ``global_step`` does: a method
        with a discriminator (FactorQVAE, FactorVAE) steps two optimizers per batch, so
        it runs ``steps // 2`` batches of twice ``batch_size``, split between the VAE
        and the discriminator (the official FactorQVAE code's 100,000 steps).
    batch_size : int
        Images per VAE step.
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
# factorqvae (32x32, shrunk DALL-E backbone, batch 64), seconds per batch: FactorQVAE
#   0.30, QVAE 0.20, beta-VAE 0.16, FactorVAE 0.43, QLAE 0.14; FactorQVAE and FactorVAE
#   run half as many batches (of 128, split), so one seed of the five costs
#   0.30/2 + 0.20 + 0.16 + 0.43/2 + 0.14 = 0.87 s per step; 3 seeds x 1000 steps =
#   2600 s, 1300 s on 2 workers; rendering 20,000 training images ~45 s; evaluation
#   ~30 s per fit x 15 / 2 = 230 s. Total ~1580 s = 26 min.
# group (8x8 digits, batch 64): ~0.15-0.5 s per epoch of 21 steps, so the paper's
#   50 epochs take 10-25 s per fit, four times that for the autoencoder trained on
#   the four turns of every digit; 5 seeds x 4 models + the probes ~5 min.
#
# The gpu budget (one H100, n_jobs=1, bf16-mixed, grid rendered once on all cores)
# aims at ~7 minutes per comparison. Assumed throughput (not measured: no GPU here):
# ~20,000 images/s for the 64x64 MIPET-backbone hosts, ~6,500 for MIPET (3x dearer),
# ~40,000 loaded images/s for the small 32x32 FactorQVAE-comparison models.
# mipet: 3 seeds x 800 steps x 256 images x (2/20000 + 2/6500) = 250 s, + 12
#   evaluations x ~10 s + ~30 s of rendering = ~400 s.
# factorqvae: every method loads 1500 x 256 = 384,000 images per seed (FactorQVAE and
#   FactorVAE: 750 batches of 512); 3 seeds x 5 methods x 384,000 / 40,000 = 144 s,
#   + 15 evaluations x ~10 s + ~60 s of rendering = ~350 s.
# group: the paper's schedule, seconds per fit.
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
    # the official step counts, batch sizes and learning rates (MODELS), dlib's
    # evaluation sizes and DCI
    "paper": {
        "mipet": Setting(64, None, 60, 256, 5, prerender=True, **_MIPET_EVAL["paper"]),
        "factorqvae": Setting(
            64, 100000, None, 256, 5, 10000, 5000, "reference", prerender=True, full_backbone=True
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
#: columns where lower is better (a claim on them is "the method scores lower")
LOWER_IS_BETTER = {"relative_invariance", "reconstruction_error"}
_MIPET_PAIRS = [("MIPET-β-VAE", "β-VAE"), ("MIPET-β-TCVAE", "β-TCVAE")]
_MIPET_SCORES = ["factor_vae.eval_accuracy", "mig.discrete_mig", "sap.SAP_score"]
_GROUP = ("GroupActionAE fixed", "GroupActionAE learned")
#: paper claims: (method, baseline, column), "the method scores better"
CLAIMS = {
    "mipet": [(m, b, c) for m, b in _MIPET_PAIRS for c in [*_MIPET_SCORES, "dci.disentanglement"]],
    "factorqvae": [
        ("FactorQVAE", b, c)
        for b in ("QVAE", "β-VAE", "FactorVAE", "QLAE")
        for c in ("dci.disentanglement", "infomec.infom", "infomec.infoc")
    ],
    "group": [
        (m, b, "acc_turned")
        for b in ("plain AE (turned)", "plain AE", "raw pixels")
        for m in _GROUP
    ],
}

#: the level the literature reports for a comparison's baselines: (method, column,
#: level). Below it the baselines are not yet disentangled and no claim is decided.
#: Levels: lower ends of the ranges that Locatello et al. (2019) report over their
#: hyperparameter sweep (see docs/results.md).
BASELINE_LEVELS: dict[str, list[tuple[str, str, float]]] = {
    "mipet": [("β-TCVAE", "mig.discrete_mig", 0.2)],
    "factorqvae": [("β-VAE", "dci.disentanglement", 0.5)],
    "group": [],
}

SUPPORTED, CONTRADICTED = "supported", "contradicted"
UNDECIDED = "undecided at this budget"
UNDECIDED_BASELINES = "undecided: baselines not yet disentangled"


def verdict(
    method: Sequence[float],
    baseline: Sequence[float],
    *,
    lower_is_better: bool = False,
    baselines_disentangled: bool = True,
) -> str:
    """The page's rule for one claim "the method scores better than the baseline".

    *supported* when the difference of the means over seeds is in the claimed
    direction and larger than the sum of the two standard deviations (ddof=1),
    *contradicted* when it is in the other direction and larger than that sum, else
    *undecided at this budget*. When the comparison's baselines are below the level the
    literature reports for them, every claim is *undecided: baselines not yet
    disentangled*. One seed (no standard deviation) decides nothing.

    Parameters
    ----------
    method, baseline : sequence of float
        The per-seed scores of the two methods.
    lower_is_better : bool, default=False
        The claim is that the method scores lower (an error).
    baselines_disentangled : bool, default=True
        Whether the comparison's baselines reach their level (:func:`baselines_disentangled`).

    Returns
    -------
    str
    """
    if not baselines_disentangled:
        return UNDECIDED_BASELINES
    diff, spread = difference(method, baseline)
    diff = -diff if lower_is_better else diff
    if np.isnan(diff) or np.isnan(spread):
        return UNDECIDED
    if diff > spread:
        return SUPPORTED
    if diff < -spread:
        return CONTRADICTED
    return UNDECIDED


def difference(method: Sequence[float], baseline: Sequence[float]) -> tuple[float, float]:
    """The difference of the means and the sum of the standard deviations (ddof=1).

    The spread is NaN with fewer than two seeds on either side.
    """
    a, b = np.asarray(method, dtype=float), np.asarray(baseline, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float(a.mean() - b.mean()), float("nan")
    return float(a.mean() - b.mean()), float(a.std(ddof=1) + b.std(ddof=1))


def baselines_disentangled(comparison: str, means: dict[tuple[str, str], float]) -> bool:
    """Whether every baseline of ``BASELINE_LEVELS`` reaches its level.

    ``means`` maps ``(method, column)`` to the mean over seeds; a baseline without
    results does not reach its level.
    """
    return all(
        means.get((method, column), np.nan) >= level
        for method, column, level in BASELINE_LEVELS[comparison]
    )


def fit_config(comparison: str, method: str, setting: Setting) -> dict[str, Any]:
    """Everything one fit of ``method`` under ``setting`` needs, without torch.

    Returns a dict with ``estimator`` (the class name), ``params`` (constructor
    arguments), ``training`` (``batch_size`` and ``max_steps`` or ``max_epochs``)
    and ``callbacks`` (the ``CALLBACK_KEYS`` settings, scaled to the budget).

    The official values are scaled with the budget's ``steps``, counted as the
    official FactorQVAE code counts them (Lightning global steps, 100,000 there):
    cosine half-periods of ``steps / 2`` batches, a Gumbel temperature that ends at
    e^-1, and half as many batches of twice the size for the two-optimizer methods.
    At ``full_backbone=False`` the DALL-E backbone is shrunk 16 times.
    """
    model = MODELS[comparison][method]
    values = {k: o.value for k, o in model.settings.items() if k not in NOTE_KEYS}
    callbacks = {k: values.pop(k) for k in CALLBACK_KEYS if k in values}
    for key in TRAINING_KEYS:
        values.pop(key, None)
    doubled = method in DOUBLED
    training: dict[str, int] = {"batch_size": setting.batch_size * (2 if doubled else 1)}
    if method == "raw pixels":
        training = {}
    elif setting.steps is not None:
        training["max_steps"] = setting.steps // 2 if doubled else setting.steps
    else:
        training["max_epochs"] = setting.epochs
    if comparison == "factorqvae" and setting.steps is not None:
        half = setting.steps // 2  # the official vae_lr_iter: 50,000 of 100,000 steps
        for key in ("lr_schedule", "discriminator_lr_schedule"):
            if key in callbacks:
                callbacks[key] = (half, callbacks[key][1])
        if "lr_decay_steps" in values:
            values["lr_decay_steps"] = half
        if "temperature_decay" in values:
            values["temperature_decay"] = 1.0 / setting.steps
        if not setting.full_backbone:
            values["module__backbone_params"] = dict(channel=8, hidden_dim=64, input_channel=8)
    if setting.precision != "32" and method != "raw pixels":
        values["precision"] = setting.precision
    return dict(estimator=model.estimator, params=values, training=training, callbacks=callbacks)


def grid_point(setting: Setting, method: str, comparison: str) -> dict[str, int]:
    """The recorded parameters of a fit: a changed budget is a new fit, not a done one."""
    return fit_config(comparison, method, setting)["training"]


def labels(comparison: str, setting: Setting) -> dict[str, str]:
    """Column -> label, naming the DCI variant when it is not dlib's."""
    out = dict(COLUMNS[comparison])
    if setting.dci == "fast":
        out = {c: s.replace("DCI", "DCI (fast classifier)") for c, s in out.items()}
    return out


def describe(setting: Setting) -> str:
    """One line of a budget: training length, batch, images, precision, evaluation."""
    s = setting
    text = f"{s.steps:,} steps" if s.steps else f"{s.epochs} epochs"
    text += f" of batch {s.batch_size}, {s.size}x{s.size} images, precision {s.precision}"
    if s.dci == "none":
        return text + "; linear probes on every test digit at each turn"
    text += f"; metrics on {s.n_train:,} / {s.n_test:,} sampled points, "
    text += "DCI with the fast classifier" if s.dci == "fast" else "dlib's DCI (boosted trees)"
    return text + (f", FactorVAE score on {s.votes} / {s.votes // 2} votes" if s.votes else "")
