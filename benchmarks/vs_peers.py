"""sklvae against the code a user would otherwise run: the seeds' official code, pythae, disent.

Training rows: images per second of one optimizer step of the same model, same batch,
same image size and the same torch thread count, both sides in this one process (so the
same allocator settings). Each side is a function ``run(steps)`` that builds everything
(model, optimizers, data) and trains ``steps`` steps; the time of one step is
``(t(long) - t(short)) / (long - short)``, which cancels the set-up, and each of the four
runs is the best of ``--repeats``, the sides alternating (``metrics_speed.best_of``).

* official code (pass the path of a checkout; nothing of it is copied here):

  - MIPET-VAEs (GIST-IRR/MIPET-VAEs, ``--mipet-repo``): the ``main.py`` training step of
    ``mipetvae`` / ``mipetbetatcvae`` (its model class and config, ``init_weights``,
    ``BCELoss(sum)``, Adam with its two parameter groups, the constant schedule,
    ``clip_grad_norm_``, the per-step ``.item()`` logging) on in-memory float batches,
    against ``MIPETVAE(n_units=3, base=...).fit`` on uint8 images; K = 3, 10 latents,
    64x64 single-channel.
  - FactorQVAE (ituvisionlab/FactorQVAE, ``--factorq-repo``): its Lightning module
    ``models.factor_qvae.FactorQVAE`` trained by a ``pytorch_lightning.Trainer`` (manual
    optimisation, two optimizers, cosine schedules, ``train.py``'s temperature callback)
    on in-memory float batches, against ``FactorQVAE.fit``; rows at 64x64 with the
    official DALL-E backbone (batch ``--factorq-batch``, runs of ``--factorq-steps``; a
    step of 512 takes ~100 s on
    2 cores) and at the shrunk size of ``benchmarks/reproduce.py``'s CPU budget (32x32,
    ``channel=8, hidden_dim=64, input_channel=8``). The module saves two PNGs every 500
    steps with ``torchvision.utils.save_image``; torchvision is replaced by a stand-in
    (see below), so that call does nothing.
  - GroupActionAE (farhanaswarnali/Learning-Group-Actions-..., ``--group-repo``): the
    script ``rotated_mnist.py`` downloads MNIST at import, so its classes, functions and
    constants are taken from its syntax tree (``ast``) and executed as written; its
    ``train_epoch`` runs over in-memory (x1, x2, angle, label) batches of 28x28 images,
    against ``GroupActionAE.fit`` (C4, 64 latent channels).

* pythae (``TrainingPipeline``: BetaVAE, BetaTCVAE, FactorVAE) and disent (its Lightning
  frameworks ``BetaVae`` and ``BetaTcVae`` under a ``pytorch_lightning.Trainer``; disent
  0.8 has no FactorVAE framework) with sklvae's own encoder and decoder (the "burgess"
  backbone, 10 latents, 64x64 binary images, BCE), wrapped in each library's encoder /
  decoder classes; both sides' parameter counts are printed and must be equal.

Metric rows: disent's MIG, SAP, DCI (its module-level ``_compute_*`` functions on the
same arrays as sklvae's) and FactorVAE score (``metric_factor_vae`` on a ground-truth
dataset whose observations are the factor classes, with the same representation
function on both sides): seconds and values.

The peer libraries live in their own virtual environment, outside the repository::

    python -m venv /work/peers/venv
    echo torch==2.13.0 > /work/peers/constraints.txt
    /work/peers/venv/bin/pip install torch==2.13.0          # the local CPU wheel
    /work/peers/venv/bin/pip install -c /work/peers/constraints.txt \\
        numpy==2.4.6 scikit-learn==1.9.1 skorch pythae disent lightning
    /work/peers/venv/bin/pip uninstall -y torchvision       # see below

disent pulls torchvision from PyPI, whose compiled operators do not load against the
CPU torch (``RuntimeError: operator torchvision::nms does not exist``), and Lightning and
disent import it when it is installed. It is uninstalled, and this script puts a
stand-in package ``torchvision`` in ``sys.modules`` before importing the peers
(:func:`install_torchvision_stand_in`): disent's dataset package only needs the names
(``ImageFolder``, ``transforms``) to exist, and FactorQVAE's ``save_image`` does nothing.
No peer code path that is timed uses torchvision.

Run from the repository root with the peer environment's Python::

    OMP_NUM_THREADS=2 /work/peers/venv/bin/python -m benchmarks.vs_peers --threads 2 \\
        --mipet-repo PATH --factorq-repo PATH --group-repo PATH

``--rows`` picks rows (default: all whose peer is available); ``--quick`` runs 1 and 2
steps once each (checks the script, measures nothing).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import importlib
import importlib.machinery
import io
import logging
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from benchmarks.fit_overhead import device_name, make_images, synchronize
from benchmarks.metrics_speed import best_of, make_data

BATCH = 64
#: the device both sides train on (``--device``)
DEVICE = "cpu"


# --------------------------------------------------------------------------- #
# environment
# --------------------------------------------------------------------------- #
class _Unavailable:
    """A torchvision name of the stand-in: importable, not usable."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("torchvision is replaced by a stand-in in benchmarks/vs_peers.py")


def install_torchvision_stand_in() -> None:
    """Put an importable stand-in ``torchvision`` package in ``sys.modules``."""
    try:
        import torchvision  # noqa: F401

        return  # a working torchvision is installed: use it
    except Exception:
        pass
    names = ["", ".datasets", ".transforms", ".transforms.functional", ".utils", ".io", ".models"]
    modules = {}
    for suffix in names:
        name = "torchvision" + suffix
        module = types.ModuleType(name)
        module.__path__ = []
        module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        module.__getattr__ = _stand_in_attribute  # type: ignore[attr-defined]
        modules[name] = module
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    modules["torchvision.utils"].save_image = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    sys.modules.update(modules)


def _stand_in_attribute(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Unavailable


@contextlib.contextmanager
def official_checkout(path: str):
    """Import from an official checkout: on ``sys.path`` first, its modules forgotten after."""
    before = set(sys.modules)
    sys.path.insert(0, str(path))
    try:
        yield
    finally:
        sys.path.remove(str(path))
        for name in set(sys.modules) - before:
            module = sys.modules[name]
            places = [getattr(module, "__file__", None) or "", *getattr(module, "__path__", [])]
            if any(str(place).startswith(str(path)) for place in places):
                del sys.modules[name]  # checkouts share top-level names ("models")


def n_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def float_batches(images: np.ndarray, steps: int, batch: int) -> list[torch.Tensor]:
    """``steps`` float batches in [0, 1], channels first (the peers' in-memory input)."""
    x = torch.from_numpy(images).float().div_(255)
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
    return [x[(i * batch) % len(x) :][:batch].to(DEVICE) for i in range(steps)]


# --------------------------------------------------------------------------- #
# rows
# --------------------------------------------------------------------------- #
@dataclass
class Row:
    """One training row: a peer's ``run(steps)`` and sklvae's, plus parameter counts."""

    peer: str
    method: str
    peer_run: Callable[[int], object]
    ours_run: Callable[[int], object]
    batch: int
    #: the two sides' parameter counts (computed once, before timing)
    counts: tuple[int, int] | None = None
    note: str = ""


def sklvae_fit(estimator_class, images, **params) -> Callable[[int], object]:
    def run(steps):
        return estimator_class(
            max_steps=steps, verbose=0, random_state=0, device=DEVICE, **params
        ).fit(images)

    return run


def sklvae_count(estimator_class, images, **params) -> int:
    return n_parameters(sklvae_fit(estimator_class, images, **params)(1).module_)


# --- MIPET-VAEs main.py ----------------------------------------------------------------------
def mipet_rows(repo: str, n_images: int) -> list[Row]:
    from sklvae import MIPETVAE

    images = make_images("gray", n_images)
    rows = []
    for model_type, base, label in [
        ("mipetvae", "beta_vae", "MIPET-β-VAE"),
        ("mipetbetatcvae", "beta_tcvae", "MIPET-β-TCVAE"),
    ]:
        ours = dict(n_units=3, base=base, batch_size=BATCH)

        def peer(steps, model_type=model_type):
            return mipet_official_steps(repo, model_type, images, steps)

        official = mipet_official_model(repo, model_type, len(images))
        unused = sum(
            p.numel() for n, p in official.named_parameters() if ".nu." in n or "post_carrier" in n
        )
        rows.append(
            Row(
                "MIPET-VAEs main.py",
                label,
                peer,
                sklvae_fit(MIPETVAE, images, **ours),
                BATCH,
                (n_parameters(official), sklvae_count(MIPETVAE, images, **ours)),
                f"official count includes {unused:,} parameters of its unused nu / "
                "post_carrier networks (no gradient)",
            )
        )
    return rows


def mipet_official_model(repo: str, model_type: str, dataset_size: int):
    with official_checkout(repo):
        configs = importlib.import_module("src.configs")
        if model_type == "mipetvae":
            model_class = importlib.import_module("models.mipet_vae").MIPET_VAE
            config = configs.MIPET_Config
        else:
            model_class = importlib.import_module("models.mipet_betatcvae").MIPET_BetaTCVAE
            config = configs.MIPET_BetaTCConfig
        args = SimpleNamespace(
            dataset="dsprites",
            dense_dim=[256, 128],
            latent_dim=10,
            num_sampling=1,
            per_gpu_train_batch_size=BATCH,
            lamb=1.0,
            bayesian=False,
            num_inv_equ=3,
            alpha=1.0,
            beta=1.0,
            gamma=1.0,
        )
        cfg = config(args, dataset_size=dataset_size) if "betatc" in model_type else config(args)
        model = model_class(cfg)
        model.init_weights()
        return model


def mipet_official_steps(repo: str, model_type: str, images: np.ndarray, steps: int) -> None:
    """main.py's training step (mipetvae / mipetbetatcvae branches), as written there."""
    batches = float_batches(images, steps, BATCH)
    model = mipet_official_model(repo, model_type, len(images)).to(DEVICE)
    with official_checkout(repo):
        schedules = importlib.import_module("src.optimizer")
    loss_fn = nn.BCELoss(reduction="sum")
    main_list, sub_list = [], []
    for name, param in model.named_parameters():
        (main_list if "encoder" in name or "decoder" in name else sub_list).append(param)
    # sklvae's defaults on both sides: lr = ipe_lr = 4e-4, clipping at 1.0
    optimizer = torch.optim.Adam(
        [{"params": main_list}, {"params": sub_list, "lr": 4e-4, "weight_decay": 0.0}],
        lr=4e-4,
        betas=(0.9, 0.999),
        weight_decay=0.0,
    )
    scheduler = schedules.get_constant_schedule(optimizer)
    alpha = beta = gamma = 1.0
    tr = []
    model.zero_grad()
    for data in batches:
        model.train()
        outputs = model(data, loss_fn)
        obj = outputs[0]["obj"]
        reconst_err, kld_err = obj["reconst"], obj["kld"]
        reg, origin_kld = obj["reg"], obj["origin_kld"]
        if model_type == "mipetvae":
            total_loss = reconst_err + kld_err + reg
        else:
            total_loss = reconst_err + alpha * obj["mi"] + beta * obj["tc"] + gamma * kld_err + reg
        elbo = -(reconst_err + kld_err)
        tr += [total_loss.item(), elbo.item(), reconst_err.item(), origin_kld.item()]
        tr += [reg.item(), kld_err.item()]
        total_loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        model.zero_grad()


# --- FactorQVAE (Lightning module) -----------------------------------------------------------
def factorq_rows(repo: str, batch: int, quick: bool) -> list[Row]:
    from sklvae import FactorQVAE

    rows = []
    settings = [
        ("FactorQVAE 64x64", 64, batch, None),
        # the CPU budget of benchmarks/reproduce.py: 128 images loaded, split in halves
        ("FactorQVAE 32x32 shrunk", 32, 2 * BATCH, dict(channel=8, hidden_dim=64, input_channel=8)),
    ]
    for label, size, row_batch, shrunk in settings:
        if quick:
            row_batch = 8
        images = make_images("rgb", 4 * row_batch, size=size)
        ours = dict(batch_size=row_batch, n_latents=12)
        if shrunk:
            ours["module__backbone_params"] = shrunk

        def peer(steps, size=size, row_batch=row_batch, shrunk=shrunk, images=images):
            return factorq_official_steps(repo, images, steps, row_batch, shrunk)

        rows.append(
            Row(
                "FactorQVAE Lightning",
                label,
                peer,
                sklvae_fit(FactorQVAE, images, **ours),
                row_batch,
                (
                    n_parameters(factorq_official_model(repo, size, row_batch, shrunk)),
                    sklvae_count(FactorQVAE, images, **ours),
                ),
            )
        )
    return rows


def factorq_official_model(repo, size, batch, shrunk, max_steps=100_000):
    install_torchvision_stand_in()
    with official_checkout(repo):
        module = importlib.import_module("models.factor_qvae")
        load_config = importlib.import_module("utils").load_config  # OmegaConf
        config = load_config(str(Path(repo) / "configs" / "Shapes3D" / "factorqvae.yaml"))
        config.data.img_size, config.data.batch_size = size, batch
        if shrunk:
            for key, value in shrunk.items():
                setattr(config.model, key, value)
        config.train.max_steps = max_steps
        return module.FactorQVAE(config, img_dir="unused")  # save_image does nothing here


def factorq_official_steps(repo, images, steps, batch, shrunk):
    import pytorch_lightning as pl

    model = factorq_official_model(repo, images.shape[1], batch, shrunk)
    callback = _official_definitions(Path(repo) / "train.py", {"pl": pl, "np": np})
    data = torch.utils.data.DataLoader(
        torch.cat(float_batches(images, steps, batch)).cpu(), batch_size=batch, shuffle=False
    )
    counter = _batch_counter(pl)
    trainer = pl.Trainer(
        accelerator=_accelerator(),
        devices=1,
        # with manual optimisation Lightning counts every optimizer step in global_step:
        # two (VAE, discriminator) per training step
        max_steps=2 * steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[callback["DecayTemperature"](), counter],
    )
    # The step backpropagates the discriminator loss through D(z) computed before the VAE
    # optimizer's step; Adam's in-place update of weights saved for that backward raises on
    # this torch (the official environment, torch 2.0 on CUDA, did not see it: its foreach
    # Adam did not bump version counters). Saved tensors are copied on mutation instead,
    # which leaves the official arithmetic as it ran there.
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            trainer.fit(model, data)
    assert counter.batches == steps, (counter.batches, steps)


def _batch_counter(lightning):
    """A Lightning callback counting training batches (checks that a run ran its steps)."""

    class Counter(lightning.Callback):
        batches = 0

        def on_train_batch_end(self, *args, **kwargs):
            self.batches += 1

    return Counter()


def _accelerator() -> str:
    return "gpu" if torch.device(DEVICE).type == "cuda" else "cpu"


def _official_definitions(path: Path, namespace: dict, names=None) -> dict:
    """Execute the imports, classes, functions (and named constants) of a script.

    Statements that would run the script (data downloads, training loops) are skipped.
    """
    tree = ast.parse(path.read_text())
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            keep.append(node)
        elif isinstance(node, ast.Assign) and names is not None:
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if targets and all(t in names for t in targets):
                keep.append(node)
    module = ast.Module(body=keep, type_ignores=[])
    exec(compile(module, str(path), "exec"), namespace)  # noqa: S102
    return namespace


# --- GroupActionAE rotated_mnist.py ----------------------------------------------------------
GROUP_CONSTANTS = {"latent_channels", "lr", "threshold_mask", "device", "lm_inv", "lm_const"}


def group_rows(repo: str, n_images: int) -> list[Row]:
    from sklvae import GroupActionAE

    images = make_images("gray", n_images, size=28)
    official = group_official_namespace(repo)
    peer_model = official["GroupLatentAutoencoder"](
        latent_channels=official["latent_channels"], threshold=official["threshold_mask"]
    )
    ours = dict(batch_size=BATCH)
    return [
        Row(
            "GroupActionAE rotated_mnist.py",
            "GroupActionAE (C4)",
            lambda steps: group_official_steps(official, images, steps),
            sklvae_fit(GroupActionAE, images, **ours),
            BATCH,
            (n_parameters(peer_model), sklvae_count(GroupActionAE, images, **ours)),
        )
    ]


def group_official_namespace(repo: str) -> dict:
    import torch.nn.functional as functional

    path = Path(repo) / "rotated_mnist.py"
    namespace = {"torch": torch, "nn": nn, "F": functional, "np": np, "math": __import__("math")}
    namespace["random"] = __import__("random")
    namespace["Dataset"] = torch.utils.data.Dataset
    namespace["train_losses"] = []
    namespace = _official_definitions(path, namespace, GROUP_CONSTANTS)
    namespace["device"] = torch.device(DEVICE)  # the script's own: CUDA where there is one
    return namespace


def group_official_steps(official: dict, images: np.ndarray, steps: int) -> None:
    """``train_epoch`` over in-memory batches of (x1, rotated x1, angle, label)."""
    rng = np.random.RandomState(0)
    batches = []
    for x in float_batches(images, steps, BATCH):
        x = x * 2 - 1  # the script's Normalize((0.5,), (0.5,))
        pairs = [official["rotate_image"](image, rng.uniform(0, 360)) for image in x]
        rotated = torch.stack([p[0] for p in pairs])
        angles = torch.tensor([p[1] for p in pairs])
        batches.append((x, rotated, angles, torch.zeros(len(x), dtype=torch.long)))
    model = official["GroupLatentAutoencoder"](
        latent_channels=official["latent_channels"], threshold=official["threshold_mask"]
    ).to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=official["lr"])
    with contextlib.redirect_stdout(io.StringIO()):
        official["train_epoch"](model, batches, optimizer, 0)


# --- pythae and disent with sklvae's encoder and decoder -------------------------------------
LIBRARY_METHODS = {
    # method: (sklvae estimator, its parameters, pythae model, disent framework or None)
    "β-VAE": ("BetaVAE", {"beta": 4.0}, "BetaVAE", "BetaVae"),
    "β-TCVAE": ("BetaTCVAE", {}, "BetaTCVAE", "BetaTcVae"),
    "FactorVAE": ("FactorVAE", {"module__discriminator_layers": 5}, "FactorVAE", None),
}


def library_rows(n_images: int, libraries: list[str]) -> list[Row]:
    import sklvae

    images = (make_images("gray", n_images) > 0).astype(np.uint8) * 255
    rows = []
    for method, (estimator_name, params, pythae_name, disent_name) in LIBRARY_METHODS.items():
        estimator = getattr(sklvae, estimator_name)
        ours = dict(params, batch_size=BATCH, backbone="burgess", likelihood="bernoulli")
        fitted = sklvae_fit(estimator, images, **ours)(1)
        count = n_parameters(fitted.module_)
        ours_run = sklvae_fit(estimator, images, **ours)
        if "pythae" in libraries:
            counted = pythae_model(pythae_name, fitted.module_)
            rows.append(
                Row(
                    "pythae TrainingPipeline",
                    method,
                    lambda steps, n=pythae_name, m=fitted.module_: pythae_steps(
                        n, m, images, steps
                    ),
                    ours_run,
                    BATCH,
                    (n_parameters(counted), count),
                )
            )
        if "disent" in libraries and disent_name is not None:
            counted = disent_framework(disent_name, fitted.module_)
            rows.append(
                Row(
                    "disent (Lightning)",
                    method,
                    lambda steps, n=disent_name, m=fitted.module_: disent_steps(
                        n, m, images, steps
                    ),
                    ours_run,
                    BATCH,
                    (n_parameters(counted), count),
                )
            )
    return rows


def _fresh_networks(module) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    """A re-initialised copy of sklvae's encoder trunk, μ and log-variance heads, decoder."""
    copied = copy.deepcopy(module)
    for layer in copied.modules():
        if hasattr(layer, "reset_parameters") and layer is not copied:
            layer.reset_parameters()
    return copied.encoder, copied.mu, copied.logvar, copied.decoder


def pythae_model(name: str, module):
    from pythae import models
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder, BaseEncoder

    trunk, mu, logvar, decoder = _fresh_networks(module)

    class Encoder(BaseEncoder):
        def __init__(self):
            super().__init__()
            self.trunk, self.mu, self.logvar = trunk, mu, logvar

        def forward(self, x):
            features = self.trunk(x)
            return ModelOutput(embedding=self.mu(features), log_covariance=self.logvar(features))

    class Decoder(BaseDecoder):
        def __init__(self):
            super().__init__()
            self.net = decoder

        def forward(self, z):
            return ModelOutput(reconstruction=torch.sigmoid(self.net(z)))

    config_class = getattr(models, name + "Config")
    extra = {"beta": 4.0} if name == "BetaVAE" else {}
    config = config_class(
        input_dim=(1, 64, 64), latent_dim=module.n_latents, reconstruction_loss="bce", **extra
    )
    model = getattr(models, name)(config, encoder=Encoder(), decoder=Decoder())
    if name == "FactorVAE":  # sklvae's discriminator (the same six linear layers as pythae's)
        model.discriminator = copy.deepcopy(module.adversary)
    return model


def pythae_steps(name: str, module, images: np.ndarray, steps: int) -> None:
    import tempfile

    from pythae.pipelines import TrainingPipeline
    from pythae.trainers import AdversarialTrainerConfig, BaseTrainerConfig

    model = pythae_model(name, module)
    data = torch.cat(float_batches(images, steps, BATCH)).cpu().numpy()
    with tempfile.TemporaryDirectory() as output:
        common = dict(
            output_dir=output,
            num_epochs=1,
            per_device_train_batch_size=BATCH,
            steps_saving=None,
            no_cuda=torch.device(DEVICE).type != "cuda",
        )
        if name == "FactorVAE":
            config = AdversarialTrainerConfig(
                learning_rate=1e-4, discriminator_learning_rate=1e-4, **common
            )
        else:
            config = BaseTrainerConfig(learning_rate=1e-4, **common)
        pipeline = TrainingPipeline(model=model, training_config=config)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pipeline(train_data=data)


def disent_framework(name: str, module):
    install_torchvision_stand_in()
    from disent.frameworks import vae as frameworks
    from disent.model import AutoEncoder, DisentDecoder, DisentEncoder

    trunk, mu, logvar, decoder = _fresh_networks(module)
    n_latents = module.n_latents

    class Encoder(DisentEncoder):
        def __init__(self):
            super().__init__(x_shape=(1, 64, 64), z_size=n_latents, z_multiplier=2)
            self.trunk, self.mu, self.logvar = trunk, mu, logvar

        def encode(self, x):
            features = self.trunk(x)
            return torch.cat([self.mu(features), self.logvar(features)], dim=-1)

    class Decoder(DisentDecoder):
        def __init__(self):
            super().__init__(x_shape=(1, 64, 64), z_size=n_latents)
            self.net = decoder

        def decode(self, z):
            return self.net(z)  # logits: disent's "bce" takes logits

    framework = getattr(frameworks, name)
    cfg = framework.cfg(
        optimizer="adam",
        optimizer_kwargs=dict(lr=1e-4),
        recon_loss="bce",
        loss_reduction="mean_sum",
        beta=4.0 if name == "BetaVae" else 1.0,
    )
    return framework(model=AutoEncoder(Encoder(), Decoder()), cfg=cfg)


class _DisentBatches(torch.utils.data.Dataset):
    """disent's batch format: ``{"x_targ": (x,)}`` per observation."""

    def __init__(self, x: torch.Tensor):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return {"x_targ": (self.x[index],)}


def disent_steps(name: str, module, images: np.ndarray, steps: int) -> None:
    import lightning as pl  # disent's modules are ``lightning`` (not ``pytorch_lightning``) ones

    framework = disent_framework(name, module)
    x = torch.cat(float_batches(images, steps, BATCH)).cpu()
    data = torch.utils.data.DataLoader(_DisentBatches(x), batch_size=BATCH, shuffle=False)
    counter = _batch_counter(pl)
    trainer = pl.Trainer(
        accelerator=_accelerator(),
        devices=1,
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[counter],
    )
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        trainer.fit(framework, data)
    assert counter.batches == steps, (counter.batches, steps)


# --------------------------------------------------------------------------- #
# measuring and printing
# --------------------------------------------------------------------------- #
def measure(row: Row, short: int, long: int, repeats: int) -> dict:
    """Per-step time of each side from the best of alternating short and long runs."""

    def synchronised(run, steps):
        def call():
            run(steps)
            synchronize(DEVICE)

        return call

    functions = [
        synchronised(row.peer_run, short),
        synchronised(row.ours_run, short),
        synchronised(row.peer_run, long),
        synchronised(row.ours_run, long),
    ]
    row.peer_run(1), row.ours_run(1)  # warm-up
    _, (peer_short, ours_short, peer_long, ours_long) = best_of(functions, repeats)
    peer_step = (peer_long - peer_short) / (long - short)
    ours_step = (ours_long - ours_short) / (long - short)
    return {"peer": row.batch / peer_step, "ours": row.batch / ours_step}


def print_training_table(rows: list[Row], results: list[dict]) -> None:
    print(
        f"\n{'peer':<31} {'method':<24} {'batch':>5} {'peer img/s':>10} {'sklvae img/s':>12} "
        f"{'ratio':>6}  parameters (peer / sklvae)"
    )
    for row, result in zip(rows, results):
        counts = f"{row.counts[0]:,} / {row.counts[1]:,}" if row.counts else "-"
        if row.counts and row.counts[0] == row.counts[1]:
            counts += " (equal)"
        print(
            f"{row.peer:<31} {row.method:<24} {row.batch:>5} {result['peer']:>10.1f} "
            f"{result['ours']:>12.1f} {result['ours'] / result['peer']:>6.2f}  {counts}"
            + (f"; {row.note}" if row.note else ""),
            flush=True,
        )


# --- metrics -------------------------------------------------------------------------------
class _FactorObservations:
    """Ground-truth data whose observation of a factor vector is that vector (floats).

    Both libraries sample factor classes and "render" them; the representation function
    (shared) maps the rendered factors to latents, so both score the same representation.
    """

    factor_sizes = (3, 6, 40, 32, 32)

    def sample_factors(self, n, random_state):
        return np.stack([random_state.randint(s, size=n) for s in self.factor_sizes], axis=1)

    def sample_observations(self, factors, random_state):
        return np.asarray(factors, dtype=np.float64)


def represent_factors(observations) -> np.ndarray:
    """A fixed, partly mixed 10-latent representation of factor classes (no noise)."""
    factors = np.asarray(observations, dtype=np.float64)
    scaled = factors / (np.array(_FactorObservations.factor_sizes) - 1.0)
    mixing = np.random.RandomState(7).randn(5, 5) * 0.8 + np.eye(5)
    return np.c_[scaled @ mixing, np.sin(3 * scaled) @ mixing.T * 0.5]


def disent_factor_dataset():
    install_torchvision_stand_in()
    from disent.dataset import DisentDataset
    from disent.dataset.data import GroundTruthData

    class FactorData(GroundTruthData):
        name = "factors"
        factor_names = ("shape", "scale", "orientation", "x", "y")
        factor_sizes = _FactorObservations.factor_sizes
        img_shape = (5,)

        def _get_observation(self, idx):
            return self.idx_to_pos(idx).astype(np.float64)

    return DisentDataset(FactorData())


def seeded_disent_dci(disent_dci, z, f, z_test, f_test, random_state=0):
    """disent's ``_compute_dci`` with its per-factor boosting seeded as sklvae's ``dci``.

    disent builds ``sklearn.ensemble.GradientBoostingClassifier()`` (imported inside its
    function) unseeded; for the call, that name gives classifiers seeded with the
    per-factor seeds ``sklvae.metrics.dci`` draws from ``random_state``.
    """
    from sklearn import ensemble

    import sklvae.metrics as sm

    seeds = iter(sm._information.check_random_seed_sequence(random_state, f.shape[1]))
    original = ensemble.GradientBoostingClassifier
    ensemble.GradientBoostingClassifier = lambda: original(random_state=next(seeds))
    try:
        return disent_dci._compute_dci(z.T, f.T, z_test.T, f_test.T)
    finally:
        ensemble.GradientBoostingClassifier = original


def metric_rows(repeats: int, n_jobs: int, scale: float = 1.0) -> None:
    """Print the metric rows; ``scale`` shrinks every sample count (``--quick``)."""
    install_torchvision_stand_in()
    from disent.metrics import _dci, _factor_vae, _mig, _sap

    import sklvae.metrics as sm

    z, f, z_test, f_test = make_data(int(10_000 * scale), int(5_000 * scale))
    zd, fd, zd_test, fd_test = make_data(int(2_000 * scale), int(1_000 * scale))
    votes = dict(n_train=int(10_000 * scale), n_eval=int(5_000 * scale))
    print(
        f"\n{'metric':<22} {'disent s':>9} {'sklvae s':>9} {'speed-up':>9}  values "
        f"(sklvae n_jobs={n_jobs}; best of {repeats}, alternating)"
    )

    def compare(name, ours, theirs, keys, repeats=repeats, atol=1e-12, note="", close="equal"):
        (mine, ref), (mine_s, ref_s) = best_of([ours, theirs], repeats)
        diffs = {k: abs(float(mine[a]) - float(ref[b])) for k, (a, b) in keys.items()}
        worst = max(diffs.values())
        verdict = close if worst <= atol else "DIFFERENT"
        values = ", ".join(
            f"{k} {float(mine[a]):.4f}/{float(ref[b]):.4f}" for k, (a, b) in keys.items()
        )
        print(
            f"{name:<22} {ref_s:9.3f} {mine_s:9.3f} {ref_s / mine_s:8.2f}x  {verdict} "
            f"(max |diff| {worst:.0e}; sklvae/disent {values}){note}",
            flush=True,
        )

    compare(
        "MIG",
        lambda: sm.mig(z, f),
        lambda: _mig._compute_mig(z.T, f.T),
        {"MIG": ("discrete_mig", "mig.discrete_score")},
    )
    compare(
        "SAP",
        lambda: sm.sap(z, f, z_test, f_test, n_jobs=n_jobs),
        lambda: _sap._compute_sap(z.T, f.T, z_test.T, f_test.T, continuous_factors=False),
        {"SAP": ("SAP_score", "sap.score")},
    )
    compare(
        f"DCI ({len(zd):,} / {len(zd_test):,})",
        lambda: sm.dci(zd, fd, zd_test, fd_test, random_state=0, n_jobs=n_jobs),
        lambda: seeded_disent_dci(_dci, zd, fd, zd_test, fd_test),
        {
            "D": ("disentanglement", "dci.disentanglement"),
            "C": ("completeness", "dci.completeness"),
            "I test": ("informativeness_test", "dci.informativeness_test"),
        },
        repeats=1,
        atol=1e-9,
        note="; disent's boosting seeded as sklvae seeds it (unseeded, ties between "
        "equal splits make runs differ by ~1e-3)",
    )
    data = _FactorObservations()
    dataset = disent_factor_dataset()

    def ours_factor_vae():
        return sm.factor_vae_score(
            represent_factors, data, prune_threshold=0.0, random_state=0, **votes
        )

    def disent_factor_vae():
        np.random.seed(0)
        return _factor_vae.metric_factor_vae(
            dataset,
            lambda x: represent_factors(np.asarray(x)),
            batch_size=64,
            num_train=votes["n_train"],
            num_eval=votes["n_eval"],
        )

    compare(
        "FactorVAE score",
        ours_factor_vae,
        disent_factor_vae,
        {"eval acc.": ("eval_accuracy", "factor_vae.eval_accuracy")},
        repeats=1,
        atol=2e-2,
        note="; a sampled metric, and the two libraries draw from different random streams",
        close="within sampling error",
    )


# --------------------------------------------------------------------------- #
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mipet-repo")
    parser.add_argument("--factorq-repo")
    parser.add_argument("--group-repo")
    parser.add_argument(
        "--rows",
        nargs="+",
        default=["mipet", "factorq", "group", "pythae", "disent", "metrics"],
        choices=["mipet", "factorq", "group", "pythae", "disent", "metrics"],
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu", help="both sides train here")
    parser.add_argument("--short", type=int, default=3, help="steps of the short runs")
    parser.add_argument("--long", type=int, default=23, help="steps of the long runs")
    parser.add_argument("--factorq-batch", type=int, default=64, help="64x64 FactorQVAE row")
    parser.add_argument(
        "--factorq-steps",
        type=int,
        nargs=2,
        default=(1, 3),
        help="short and long runs of the 64x64 FactorQVAE row (~12 s a step on 2 cores)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2, help="sklvae's metric jobs")
    parser.add_argument("--quick", action="store_true", help="1 and 2 steps, once")
    args = parser.parse_args(argv)
    global DEVICE
    DEVICE = args.device
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    for name in ("lightning", "pytorch_lightning", "lightning.pytorch", "pythae"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.quick:
        args.short, args.long, args.factorq_steps, args.repeats = 1, 2, (1, 2), 1
    import sklvae

    allocator = {
        k: os.environ[k]
        for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
        if k in os.environ
    }
    print(
        f"sklvae {sklvae.__version__} vs peers on {device_name(DEVICE)}, torch {torch.__version__}, "
        f"load average {os.getloadavg()[0]:.2f}, allocator {allocator or 'defaults'}; "
        f"step time from runs of {args.short} and {args.long} steps, best of {args.repeats}"
    )
    n_images = BATCH * (args.long + 1)
    groups = []
    if "mipet" in args.rows and args.mipet_repo:
        groups.append((mipet_rows(args.mipet_repo, n_images), args.short, args.long))
    if "factorq" in args.rows and args.factorq_repo:
        factorq = factorq_rows(args.factorq_repo, args.factorq_batch, args.quick)
        groups += [(factorq[:1], *args.factorq_steps), (factorq[1:], args.short, args.long)]
    if "group" in args.rows and args.group_repo:
        groups.append((group_rows(args.group_repo, n_images), args.short, args.long))
    libraries = [name for name in ("pythae", "disent") if name in args.rows]
    if libraries:
        groups.append((library_rows(n_images, libraries), args.short, args.long))
    rows, results = [], []
    for group, short, long in groups:
        for row in group:
            results.append(measure(row, short, long, args.repeats))
            rows.append(row)
            print(
                f"  {row.peer} {row.method}: peer {results[-1]['peer']:.1f} img/s, sklvae "
                f"{results[-1]['ours']:.1f} img/s",
                flush=True,
            )
    if rows:
        print_training_table(rows, results)
    if "metrics" in args.rows:
        metric_rows(args.repeats, args.n_jobs, 0.1 if args.quick else 1.0)


if __name__ == "__main__":
    main()
