"""The documentation: the API page lists every public name, and the public API's
docstrings pass numpydoc's validation.

numpydoc validates the docstring an object carries at run time, so the estimators'
docstrings are checked after ``sklvae._docstrings`` has completed them at import.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = (
    "sklvae",
    "sklvae.datasets",
    "sklvae.metrics",
    "sklvae.plotting",
    "sklvae.model_selection",
    "sklvae.callbacks",
)

# numpydoc checks not applied, and why:
EXCLUDED_CHECKS = {
    # "Examples" sections: usage is shown by the user guide and the gallery of
    # runnable scripts; most public names train a model, too slow for a doctest.
    "EX01",
    # "See Also" sections: optional; the API page groups related names by module.
    "SA01",
    # Extended summaries: many one-purpose helpers and properties need no more than
    # their one-line summary.
    "ES01",
}


def _public_names(module_name: str) -> list[str]:
    return list(importlib.import_module(module_name).__all__)


def _documented_objects() -> list[str]:
    """Dotted names of every public class, function and public method or property.

    Methods count when the class defines them itself (inherited scikit-learn and
    skorch methods are documented there).
    """
    names = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                names.append(f"{module_name}.{name}")
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, (property, classmethod, staticmethod)) or (
                        inspect.isfunction(value)
                    ):
                        names.append(f"{module_name}.{name}.{attr}")
            elif inspect.isfunction(obj):
                names.append(f"{module_name}.{name}")
            # constants and scorer instances are listed on the API page, not validated
    return names


def _row(name: str):
    return name


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_page_lists_every_public_name(module_name):
    api = (ROOT / "docs" / "api.rst").read_text()
    section = re.search(
        rf"\.\. currentmodule:: {re.escape(module_name)}\n(.*?)(?=\n\.\. _api-|\Z)", api, re.S
    )
    assert section, f"docs/api.rst has no section for {module_name}"
    listed = set(re.findall(r"^   (\w+)$", section.group(1), flags=re.M))
    missing = [name for name in _public_names(module_name) if name not in listed]
    assert not missing, f"docs/api.rst does not list {module_name}.{missing}"


@pytest.mark.parametrize("name", [_row(name) for name in _documented_objects()])
def test_docstring_passes_numpydoc_validation(name):
    result = numpydoc_validate.validate(name)
    errors = [
        f"{code}: {message}" for code, message in result["errors"] if code not in EXCLUDED_CHECKS
    ]
    assert not errors, f"{name}:\n" + "\n".join(errors)
