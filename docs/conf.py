"""Sphinx configuration of the sklvae documentation site.

Build it (warnings are errors, nothing is fetched from the network, the examples are
not executed) from the repository root with::

    python -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # autodoc imports sklvae.plotting; never open a window

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout, not another installed copy

import sklvae  # noqa: E402

project = "sklvae"
author = "the sklvae developers"
copyright = "the sklvae developers"
version = release = sklvae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "**/*.codeobj.json",
]
# Markdown pages link to sibling .md files; myst resolves them into the site.
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# API reference: one page per public name, generated from the runtime docstrings
# (estimator docstrings are completed at import time).
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's "Parameters" sections carry the types
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Gallery: built from examples/ without running them (they train models for minutes);
# the figures they produced are committed under docs/images/ and shown by each
# example's header.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"^$",  # execute nothing, even with plot_gallery=True
    "plot_gallery": "False",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "write_computation_times": False,
}


html_theme = "pydata_sphinx_theme"
html_title = f"sklvae {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "icon_links": [],
}
html_show_sourcelink = False
html_last_updated_fmt = None
os.environ.setdefault("SKLVAE_DATA", str(ROOT / "docs" / "_build" / "data"))
