"""The documentation: the Sphinx build with warnings as errors, the API reference's
coverage of the public modules, and the executed pages against a fresh run.

The pages' printed numbers come from ``docs/scripts/build_tutorial_outputs.py``;
here the same code runs again and every number must agree with the page within
``NUMBER_RTOL`` plus one unit in its last printed digit.
"""
import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_spec = importlib.util.spec_from_file_location("build_tutorial_outputs", DOCS / "scripts" / "build_tutorial_outputs.py")
outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(outputs)

# Packages that only group their submodules (documented one by one) and the command
# line (documented by ``python -m normix --help``).
NOT_IN_API_REFERENCE = {"normix", "normix.distributions", "normix.mixtures", "normix.fitting", "normix.utils",
                        "normix.__main__"}
COMMAND_LINE = "normix.cli"


def test_sphinx_build_has_no_warnings(tmp_path):
    """``python -m sphinx -W --keep-going -b html docs <out>`` succeeds without a warning."""
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING" not in run.stderr and "ERROR" not in run.stderr, run.stderr
    html = (tmp_path / "html" / "api" / "mixtures.html").read_text()
    assert 'id="normix.distributions.normal_inverse_gaussian.NormalInverseGaussian"' in html


def _source_files():
    """The package's committed Python files (every file when git is not available)."""
    listed = subprocess.run(["git", "ls-files", "normix"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        return [pathlib.Path(line) for line in listed.stdout.split() if line.endswith(".py")]
    return [path.relative_to(ROOT) for path in (ROOT / "normix").rglob("*.py")]


def _public_modules():
    names = set()
    for path in _source_files():
        parts = path.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            names.add(".".join(parts))
    return names


def _documented_modules():
    pattern = re.compile(r"^\.\. automodule:: (\S+)", re.MULTILINE)
    return {name for page in (DOCS / "api").glob("*.md") for name in pattern.findall(page.read_text())}


def test_api_reference_documents_every_public_module():
    documented = _documented_modules()
    assert documented - _public_modules() == set(), "the API reference names modules that do not exist"
    missing = {name for name in _public_modules() - documented - NOT_IN_API_REFERENCE
               if name != COMMAND_LINE and not name.startswith(COMMAND_LINE + ".")}
    assert not missing, f"public modules missing from docs/api/*.md: {sorted(missing)}"


def test_compare_outputs_catches_changed_numbers_and_text():
    assert outputs.compare_outputs("ll -2.7822 (43 iters)", "ll  -2.7823 (44 iters)") == []
    assert outputs.compare_outputs("ll -2.7822", "ll -2.7922") != []
    assert outputs.compare_outputs("ll -2.7822", "LL -2.7822") != []
    assert outputs.compare_outputs("[1. 2.]", "[1. 2. 3.]") != []
    assert outputs.compare_outputs("x 1.5e-10", "x 1.5e-09") != []


def test_render_replaces_inserts_and_removes_output_blocks():
    page = ("# T\n\n```python\nprint(1)\n```\n\n```output\nstale\n```\n\ntext\n\n```python\nx = 2\n```\n\n"
            "```output\nstale\n```\n\n```python\nprint(x)\n```\nend\n")
    codes = [code for code, _ in outputs.code_and_outputs(page)]
    printed = outputs.run_blocks(codes, "t")
    assert printed == ["1\n", "", "2\n"]
    rendered = outputs.render(page, printed)
    assert [shown for _, shown in outputs.code_and_outputs(rendered)] == ["1\n", None, "2\n"]
    assert outputs.render(rendered, printed) == rendered


@pytest.mark.parametrize("name", [pytest.param(name, marks=() if fast else pytest.mark.slow)
                                  for name, fast in outputs.PAGES.items()])
def test_executed_page_agrees_with_a_fresh_run(name):
    """The numbers a page shows are those its code prints now (within NUMBER_RTOL)."""
    results = outputs.run_page(DOCS / name)
    assert results, f"{name} has no python blocks"
    problems = []
    for i, (code, shown, fresh) in enumerate(results, 1):
        for problem in outputs.compare_outputs(shown, fresh):
            problems.append(f"block {i}: {problem}")
    assert not problems, f"{name}:\n" + "\n".join(problems)
