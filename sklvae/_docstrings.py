"""The one docstring mechanism of the estimators: shared descriptions, declared once.

Every estimator documents all of its parameters and fitted attributes (scikit-learn's
convention). The parameters several estimators share are described once, in
:data:`PARAMETER_DOCS`: the dozen every estimator has, and the family-shared groups (the
quantized family's schedules, the Lie-group settings of ``CLGVAE`` and
``MIPETVAE(base="clg_vae")``) as more entries of the same table.
:func:`fill_estimator_docstring` (called for every public subclass of
:class:`sklvae.base.BaseDisentangler` by its ``__init_subclass__``) merges them into the
class docstring in the order of the ``__init__`` signature.

Defaults are never written in docstrings: every ``default=`` the user sees is read from
the signature, so the rendered docstring (``help``, Sphinx, numpydoc validation) cannot
drift from the code. An estimator of the package whose docstring has no ``Examples``
section gets the common one (:data:`_EXAMPLE`: fit on a small table, ``transform``). A class docstring written for it has a ``Parameters`` section with
the method's own parameters as ``name : type`` entries (a description given there wins
over the shared one) and an optional ``Attributes`` section; the common fitted
attributes, and the shared ones the class has, are appended to the latter.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from typing import Any

from ._validation import DATA_LAYOUTS
from .nn.backbones import BACKBONES
from .nn.reconstruction import LIKELIHOODS

__all__ = [
    "fill_estimator_docstring",
    "PARAMETER_DOCS",
    "COMMON_ATTRIBUTES",
    "SHARED_ATTRIBUTES",
]


def _options(names) -> str:
    return "{" + ", ".join(f'"{name}"' for name in names) + "}"


#: name -> (type description, description); the default is read from the signature. A
#: class may describe a shared parameter itself, giving only its name as the entry's
#: header: the type is then this table's.
PARAMETER_DOCS: dict[str, tuple[str, str]] = {
    "n_latents": (
        "int",
        "Number of latent dimensions: the width of ``transform``'s output.",
    ),
    "backbone": (
        _options(("auto", *BACKBONES)) + " or tuple",
        "Encoder/decoder architecture (see :mod:`sklvae.nn.backbones`): a backbone "
        'name, ``"auto"`` (the method\'s default for images, ``"mlp"`` for tabular '
        "data), or a custom ``(encoder_builder, decoder_builder)`` pair of callables "
        "(contract in :mod:`sklvae.nn.backbones`). Backbone settings go through "
        "``module__backbone_params={...}``.",
    ),
    "likelihood": (
        _options(LIKELIHOODS),
        'Reconstruction loss. ``"bernoulli"`` (sigmoid cross-entropy) and '
        '``"gaussian"`` (squared error) are summed over pixels and averaged over the '
        "batch, as disentanglement_lib does, so ``beta`` values are comparable with its "
        'sweeps; ``"mse"`` is the mean squared error over elements on inputs shifted by '
        "-0.5 (FactorQVAE's and GroupActionAE's official loss).",
    ),
    "data_layout": (
        _options(DATA_LAYOUTS),
        "How 4-D inputs are read: ``(n, H, W, C)``, ``(n, C, H, W)`` or volumes "
        "``(n, D, H, W)``. ``(n, H, W)`` arrays are one-channel images and ``(n, d)`` "
        "arrays tabular data whatever this says.",
    ),
    "lr": ("float", "Adam learning rate of the model (not of a discriminator)."),
    "batch_size": ("int", "Samples per training batch."),
    "max_epochs": ("int", "Passes over the data, unless ``max_steps`` is set."),
    "max_steps": (
        "int or None",
        "Number of optimizer steps; overrides ``max_epochs`` (the last epoch is cut short).",
    ),
    "validation_fraction": (
        "float or None",
        "Hold out this fraction of ``X`` for skorch's ``valid_loss`` (needed by "
        "``EarlyStopping``).",
    ),
    "device": (
        "str or torch.device",
        '``"auto"`` uses CUDA when available, else the CPU; ``"cpu"``, ``"cuda"``, '
        '``"cuda:1"``, ... name a device.',
    ),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds the weights, the batch order and every noise draw; the same int gives "
        "identical results on the CPU.",
    ),
    "verbose": ("int", "0: silent; 1: progress bar and the epoch table."),
    "precision": (
        '{"32", "bf16-mixed", "16-mixed"}',
        "Arithmetic of the forward pass and the loss: full float32, or autocast to "
        "bfloat16 / float16 (the latter with a gradient scaler). The numerics that need "
        "float32 (reconstruction sums, Gaussian KL and β-TCVAE estimators, the quantizer, "
        "the EF conversion) stay in float32. bf16 is the fast choice on recent GPUs and "
        "also runs on the CPU.",
    ),
    "channels_last": (
        "bool",
        "Keep the model's weights and image batches in channels-last memory format "
        "(faster convolutions on recent GPUs).",
    ),
    "compile": (
        "bool",
        "Compile the module with ``torch.compile`` through skorch's ``compile=``; "
        '``compile__*`` keyword arguments (e.g. ``compile__mode="max-autotune"``) '
        "go to ``torch.compile``.",
    ),
    "callbacks": (
        "list of skorch callbacks or (name, callback) pairs, or None",
        "Extra skorch callbacks (``Checkpoint``, ``EarlyStopping``, ``LRScheduler``, ...).",
    ),
    "net_params": (
        "dict",
        "Settings routed to skorch, as keyword arguments: ``module__*`` (module options not "
        "exposed as parameters, e.g. ``module__backbone_params``), ``optimizer__*``, "
        "``optimizer_adversary__*``, ``iterator_train__*``, ``iterator_valid__*``, "
        "``callbacks__<name>__*``. A ``module__`` name that duplicates one of the "
        "estimator's parameters is rejected at ``fit``.",
    ),
    # --- every estimator: training ---------------------------------------------------
    "weight_decay": (
        "float",
        "Adam weight decay of the model's parameters (passed to skorch as "
        "``optimizer__weight_decay``).",
    ),
    "grad_clip": (
        "float or None",
        "Maximum global 2-norm of the model's gradients, clipped before each step "
        "(skorch's ``GradientNormClipping``; a discriminator's gradients are not "
        "clipped); None disables clipping.",
    ),
    # --- the quantized family -------------------------------------------------------------
    "codebook_size": (
        "int",
        "Scalar codes K in the codebook (official: 64 for the Gumbel models, 16 per latent "
        "for QLAE).",
    ),
    "discriminator_lr": (
        "float",
        "Adam learning rate of the TC discriminator (torch's default betas (0.9, 0.999), "
        "as officially).",
    ),
    "temperature_decay": (
        "float",
        "Rate of the Gumbel-softmax temperature ``tau = exp(-temperature_decay * s)``, "
        "``s`` the Lightning global step: ``n_steps_`` times the number of optimizers "
        "(official: 1e-5).",
    ),
    "lr_decay_steps": (
        "int or None",
        "Cosine learning-rate decay of every optimizer, stepped once per batch: ``lr_t = "
        "min_lr + (lr - min_lr)(1 + cos(pi t / lr_decay_steps)) / 2``, periodic beyond "
        "``lr_decay_steps`` like torch's ``CosineAnnealingLR`` (official: "
        "``T_max=50000``); None keeps the learning rate constant.",
    ),
    "min_lr": ("float", "Floor of the cosine schedule (``eta_min``; official: 1.25e-6)."),
    # --- the Lie-group (CLG-VAE) settings: CLGVAE and MIPETVAE(base="clg_vae") ------------
    "hessian_weight": (
        "float",
        "Weight w_H of the Hessian penalty mean_{i≠j} ‖A_jA_i‖²_F, which pushes each "
        "latent to act on its own (the official ``--hy_hes`` default).",
    ),
    "commutator_weight": (
        "float",
        "Weight w_C of the commutator penalty (official ``--hy_commute``).",
    ),
    "group_recon_weight": (
        "float",
        "Weight w_R of the group-feature reconstruction mean_b ‖g_E − g_D‖² (official "
        "``--hy_rec``).",
    ),
    "group_path_prob": (
        "float",
        "Probability that a training step reconstructs the image from the encoder's group "
        "features g_E instead of the latent (official ``--forward_eq_prob``). Drawn from "
        "torch's random stream, which ``fit`` seeds from ``random_state``.",
    ),
    "commutator": (
        '{"official", "lie_bracket"}',
        '``"official"`` penalises A_jA_i − (A_jA_i)ᵀ, as the official code does; '
        '``"lie_bracket"`` the true Lie bracket A_jA_i − A_iA_j of the paper.',
    ),
    "lie_basis_init": (
        '{"official", "upstream"}',
        '``"official"``: xavier-uniform on each m × m basis element (what the MIPET '
        'code\'s weight initialisation leaves); ``"upstream"``: N(0, 0.001²), the '
        "CLG-VAE authors' own initialisation.",
    ),
    "subgroup_sizes": (
        "tuple of int",
        "Group features per subgroup, m² for m × m matrices (official ``[100]``).",
    ),
    "subspace_sizes": (
        "tuple of int or None",
        "Latents per subgroup, summing to ``n_latents``; None means ``(n_latents,)`` "
        "(official ``[10]``).",
    ),
}

#: fitted attributes every estimator has: (name, type, description)
COMMON_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    (
        "net_",
        "DisentanglerNet",
        "The fitted skorch net (:class:`sklvae._training.DisentanglerNet`).",
    ),
    ("module_", "torch.nn.Module", "The fitted torch module (``net_.module_``)."),
    (
        "history_",
        "skorch.History",
        "Per-epoch and per-batch loss terms (``history_[:, 'reconstruction']``).",
    ),
    ("n_steps_", "int", "Optimizer steps taken so far."),
    ("input_shape_", "tuple of int", "Shape of one sample as passed to ``fit``."),
    ("n_features_in_", "int", "Number of values per sample (product of ``input_shape_``)."),
    ("n_samples_fit_", "int", "Number of samples passed to ``fit``."),
    ("input_spec_", "InputSpec", "Layout, scale and shapes of the fitted input."),
)

#: fitted attributes some estimators share, documented where the class defines them
SHARED_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "codebook_": (
        "ndarray of shape (codebook_size,)",
        "The learned scalar codes, shared by every latent.",
    ),
}

#: the Examples section of a package estimator whose docstring writes none: the
#: estimator fitted on a small table, then ``transform`` (run by ``--doctest-modules``);
#: ``settings`` is the class's ``_example_settings`` (e.g. ``"batch_size=16, "``)
_EXAMPLE = """>>> import numpy as np
>>> from sklvae import {name}
>>> X = np.random.RandomState(0).rand(64, 12)  # tabular data in [0, 1]
>>> model = {name}(n_latents=3, {settings}max_steps=5, random_state=0).fit(X)
>>> model.transform(X).shape
(64, 3)"""

_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}\n", re.MULTILINE)


def _format_default(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _split_sections(doc: str) -> tuple[str, dict[str, str], list[str]]:
    """Split a dedented docstring into its summary, sections and section order."""
    matches = list(_SECTION.finditer(doc))
    if not matches:
        return doc.rstrip(), {}, []
    head = doc[: matches[0].start()].rstrip()
    sections, order = {}, []
    for match, following in zip(matches, matches[1:] + [None]):
        end = following.start() if following is not None else len(doc)
        sections[match["title"]] = doc[match.end() : end].rstrip("\n")
        order.append(match["title"])
    return head, sections, order


def _entries(section: str) -> dict[str, list[str]]:
    """Parameter entries of a section: ``name -> [header line, description lines...]``."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in section.splitlines():
        if line and not line.startswith(" "):
            current = line.split(" :", 1)[0].strip().lstrip("*")
            entries[current] = [line]
        elif current is not None:
            entries[current].append(line)
    return entries


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=84, initial_indent="    ", subsequent_indent="    ")


def _own_entries(cls: type, doc_parameters: str) -> dict[str, list[str]]:
    """The parameters the class documents itself, with those its bases documented.

    The entries are kept on the class (``_own_parameter_docs``) so that a subclass that
    only changes defaults (``VAE`` of ``BetaVAE``) inherits its bases' descriptions.
    """
    own = _entries(doc_parameters)
    for name, entry in own.items():
        if "default=" in entry[0]:
            raise TypeError(
                f"{cls.__name__}: the docstring entry of {name!r} states a default "
                f"({entry[0].strip()!r}); write 'name : type' only, the default is read "
                "from the signature."
            )
    inherited: dict[str, list[str]] = {}
    for base in reversed(cls.__mro__[1:]):
        inherited.update(vars(base).get("_own_parameter_docs", {}))
    cls._own_parameter_docs = own  # type: ignore[attr-defined]
    return {**inherited, **own}


def fill_estimator_docstring(cls: type) -> type:
    """Complete ``cls.__doc__`` with the shared parameters and attributes, in place.

    Parameters
    ----------
    cls : type
        A subclass of :class:`sklvae.base.BaseDisentangler` (or the class itself).

    Returns
    -------
    type
        ``cls``, whose docstring now documents every ``__init__`` parameter with the
        default of its signature, and the fitted attributes.

    Raises
    ------
    TypeError
        If a parameter is documented nowhere, the docstring documents a parameter the
        signature lacks, or an entry states its default in text.
    """
    doc = inspect.cleandoc(cls.__doc__ or "")
    head, sections, order = _split_sections(doc)
    own = _own_entries(cls, sections.get("Parameters", ""))
    notes: dict[str, str] = getattr(cls, "_parameter_notes", {})
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    lines = []
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        if name in own:
            header, *text_lines = own[name]
            if " : " in header:
                kind = header.split(" : ", 1)[1]
            elif name in PARAMETER_DOCS:
                kind = PARAMETER_DOCS[name][0]
            else:
                raise TypeError(f"{cls.__name__}: the entry of {name!r} needs a type.")
        elif name in PARAMETER_DOCS:
            kind, text = PARAMETER_DOCS[name]
            text_lines = _wrap(text + (f" {notes[name]}" if name in notes else ""))
        else:
            raise TypeError(f"{cls.__name__}: parameter {name!r} is not documented.")
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            lines.append(f"**{name} : {kind}")
        else:
            lines.append(f"{name} : {kind}, default={_format_default(parameter.default)}")
        lines.extend(text_lines)
    unknown = set(_entries(sections.get("Parameters", ""))) - set(signature.parameters)
    if unknown:
        raise TypeError(f"{cls.__name__}: documents unknown parameter(s) {sorted(unknown)}.")
    sections["Parameters"] = "\n".join(lines)
    attributes = _entries(sections.get("Attributes", ""))
    attribute_lines = [line for entry in attributes.values() for line in entry]
    shared = [(name, *SHARED_ATTRIBUTES[name]) for name in SHARED_ATTRIBUTES if hasattr(cls, name)]
    for name, kind, text in (*COMMON_ATTRIBUTES, *shared):
        if name not in attributes:
            attribute_lines.append(f"{name} : {kind}")
            attribute_lines.extend(_wrap(text))
    sections["Attributes"] = "\n".join(attribute_lines)
    if "Examples" not in sections and cls.__module__.startswith("sklvae.models."):
        settings = getattr(cls, "_example_settings", "")
        sections["Examples"] = _EXAMPLE.format(name=cls.__name__, settings=settings)
    canonical = ["Parameters", "Attributes", "See Also", "Notes", "References", "Examples"]
    titles = [t for t in canonical if t in sections] + [t for t in order if t not in canonical]
    parts = [head]
    for title in titles:
        parts.append(f"{title}\n{'-' * len(title)}\n{sections[title]}")
    cls.__doc__ = "\n\n".join(parts) + "\n"
    return cls
