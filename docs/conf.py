"""Sphinx configuration of the normix documentation (MyST Markdown pages).

Build with warnings as errors:

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import normix  # noqa: E402  (the repository's normix, for the version)

project = "normix"
author = "the normix authors"
copyright = "the normix authors"
release = normix.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "scripts", "README.md"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autoclass_content = "class"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_param = False
napoleon_use_rtype = False

html_theme = "alabaster"
html_title = f"normix {release}"
html_theme_options = {
    "description": "Generalized Hyperbolic distributions as exponential families, fitted by EM",
    "fixed_sidebar": True,
}
