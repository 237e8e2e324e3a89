"""Complete estimator docstrings from one description of each common parameter.

Every estimator documents all of its parameters and fitted attributes (scikit-learn's
convention), but the dozen parameters every estimator shares are described once, here.
:func:`fill_estimator_docstring` merges them into the class docstring in the order of
the ``__init__`` signature, with *that estimator's* defaults read from the signature, so
the rendered docstring (``help``, Sphinx, numpydoc validation) is complete and cannot
drift from the code.

A class docstring written for it has a ``Parameters`` section with the method's own
parameters (a description given there wins over the common one) and an optional
``Attributes`` section; the common fitted attributes are appended to the latter.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from typing import Any

from .nn.backbones import BACKBONES

__all__ = ["fill_estimator_docstring", "COMMON_PARAMETERS", "COMMON_ATTRIBUTES"]

#: name -> (type description, description); the default is read from the signature
COMMON_PARAMETERS: dict[str, tuple[str, str]] = {
    "n_latents": (
        "int",
        "Number of latent dimensions: the width of ``transform``'s output.",
    ),
    "backbone": (
        "{" + ", ".join(f'"{name}"' for name in ("auto", *BACKBONES)) + "} or tuple",
        "Encoder/decoder architecture (see :mod:`sklvae.nn.backbones`): a backbone "
        'name, ``"auto"`` (the method\'s default for images, ``"mlp"`` for tabular '
        "data), or a custom ``(encoder_builder, decoder_builder)`` pair of callables "
        "(contract in :mod:`sklvae.nn.backbones`). Backbone settings go through "
        "``module__backbone_params={...}``.",
    ),
    "likelihood": (
        '{"bernoulli", "gaussian", "mse"}',
        'Reconstruction loss. ``"bernoulli"`` (sigmoid cross-entropy) and '
        '``"gaussian"`` (squared error) are summed over pixels and averaged over the '
        "batch, as disentanglement_lib does, so ``beta`` values are comparable with its "
        'sweeps; ``"mse"`` is the mean squared error over elements on inputs shifted by '
        "-0.5 (FactorQVAE's and GroupActionAE's official loss).",
    ),
    "data_layout": (
        '{"NHWC", "NCHW", "NDHW"}',
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


def fill_estimator_docstring(cls: type) -> type:
    """Complete ``cls.__doc__`` with the common parameters and attributes (decorator)."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    head, sections, order = _split_sections(doc)
    own = _entries(sections.get("Parameters", ""))
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    lines = []
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        if name in own:
            lines.extend(own[name])
            continue
        if name not in COMMON_PARAMETERS:
            raise TypeError(f"{cls.__name__}: parameter {name!r} is not documented.")
        kind, text = COMMON_PARAMETERS[name]
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            lines.append(f"**{name} : {kind}")
        else:
            lines.append(f"{name} : {kind}, default={_format_default(parameter.default)}")
        lines.extend(textwrap.wrap(text, width=84, initial_indent="    ", subsequent_indent="    "))
    missing = set(own) - set(signature.parameters)
    if missing:
        raise TypeError(f"{cls.__name__}: documents unknown parameter(s) {sorted(missing)}.")
    sections["Parameters"] = "\n".join(lines)
    attributes = _entries(sections.get("Attributes", ""))
    attribute_lines = [line for entry in attributes.values() for line in entry]
    for name, kind, text in COMMON_ATTRIBUTES:
        if name not in attributes:
            attribute_lines.append(f"{name} : {kind}")
            attribute_lines.extend(
                textwrap.wrap(text, width=84, initial_indent="    ", subsequent_indent="    ")
            )
    sections["Attributes"] = "\n".join(attribute_lines)
    canonical = ["Parameters", "Attributes", "See Also", "Notes", "References", "Examples"]
    titles = [t for t in canonical if t in sections] + [t for t in order if t not in canonical]
    parts = [head]
    for title in titles:
        parts.append(f"{title}\n{'-' * len(title)}\n{sections[title]}")
    cls.__doc__ = "\n\n".join(parts) + "\n"
    return cls
