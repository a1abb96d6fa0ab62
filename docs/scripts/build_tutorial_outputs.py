"""Run the code of the executed documentation pages and write what it prints and draws into them.

An executed page is a MyST Markdown file listed in :data:`PAGES`.  Its ```` ```python ````
blocks run in order in one fresh namespace per page, as a reader would run them.
What a block prints goes into the ```` ```output ```` block that follows it (inserted
when missing, removed when the block no longer prints); every matplotlib figure a
block leaves open is saved as ``figures/<page>-<k>.png`` beside the page (k counts
the page's figures from 1) and closed.  The pages show these files with ordinary
Markdown images, so the printed numbers and the figures are those of the code shown.

``tests/test_docs.py`` runs the same blocks again and checks that every number of a
fresh run agrees with the page within :data:`NUMBER_RTOL` (plus one unit in the
last printed digit), and that the text around the numbers is the same.

Usage (from the repository root)::

    python docs/scripts/build_tutorial_outputs.py                   # every executed page
    python docs/scripts/build_tutorial_outputs.py docs/quickstart.md  # some of them
"""
import contextlib
import io
import os
import pathlib
import re
import sys
import time

DOCS = pathlib.Path(__file__).resolve().parent.parent
if str(DOCS.parent) not in sys.path:
    sys.path.insert(0, str(DOCS.parent))  # the repository's normix

#: Executed pages (relative to ``docs/``) and whether a run is quick enough for the
#: fast test suite (``True``) or belongs to the slow one (``False``).
PAGES = {
    "quickstart.md": False,
    "user_guide/gig.md": False,
    "user_guide/nig.md": False,
    "user_guide/vg.md": False,
    "user_guide/ninvg.md": False,
    "user_guide/gh.md": False,
    "user_guide/risk.md": False,
    "user_guide/constraints.md": False,
    "user_guide/factor.md": False,
    "user_guide/missing.md": False,
    "user_guide/weights.md": False,
    "tutorials/initialization_multistart.md": False,
    "tutorials/real_data.md": False,
    "tutorials/using_a_fit.md": False,
    "tutorials/backends.md": False,
    "tutorials/divergences.md": False,
    "tutorials/portfolio_risk.md": False,
    "user_guide/acceleration.md": False,
    "tutorials/inference.md": False,
}

#: Relative tolerance of the comparison of a page's numbers with a fresh run.
NUMBER_RTOL = 1e-3

_FENCE = re.compile(r"^```(\S*)\s*$")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


def parse_blocks(text):
    """Split a page into chunks: ``("text", s)``, ``("python", code)``, ``("output", s)``.

    Only fences at the start of a line open or close a block; a fence with another
    language (or none) stays inside a text chunk.
    """
    chunks, current, kind = [], [], "text"
    for line in text.splitlines(keepends=True):
        fence = _FENCE.match(line)
        if kind == "text" and fence and fence.group(1) in ("python", "output"):
            chunks.append(("text", "".join(current)))
            current, kind = [], fence.group(1)
        elif kind != "text" and fence and fence.group(1) == "":
            chunks.append((kind, "".join(current)))
            current, kind = [], "text"
        else:
            current.append(line)
    if kind != "text":
        raise ValueError(f"unclosed ```{kind} block")
    chunks.append(("text", "".join(current)))
    return chunks


def code_and_outputs(text):
    """The page's python blocks, each with the text of the output block after it (or None)."""
    chunks = [c for c in parse_blocks(text) if not (c[0] == "text" and not c[1].strip())]
    pairs = []
    for i, (kind, body) in enumerate(chunks):
        if kind == "python":
            nxt = chunks[i + 1] if i + 1 < len(chunks) else None
            pairs.append((body, nxt[1] if nxt and nxt[0] == "output" else None))
    return pairs


def run_blocks(blocks, name, figure_dir=None):
    """Execute code blocks in order in one namespace; return what each printed.

    Figures left open by a block are saved to ``figure_dir`` as ``<name>-<k>.png``
    (when given) and closed.
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    printed, n_figures = [], 0
    for i, code in enumerate(blocks):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, f"<{name}, block {i + 1}>", "exec"), namespace)
        printed.append(buffer.getvalue())
        if "matplotlib.pyplot" in sys.modules:
            plt = sys.modules["matplotlib.pyplot"]
            for number in plt.get_fignums():
                n_figures += 1
                if figure_dir is not None:
                    figure_dir.mkdir(exist_ok=True)
                    plt.figure(number).savefig(figure_dir / f"{name}-{n_figures}.png")
            plt.close("all")
    return printed


def run_page(page, figure_dir=None):
    """Run the python blocks of ``page`` (a path); return ``[(code, page_output, fresh_output)]``."""
    page = pathlib.Path(page)
    pairs = code_and_outputs(page.read_text())
    fresh = run_blocks([code for code, _ in pairs], page.stem, figure_dir)
    return [(code, shown, new) for (code, shown), new in zip(pairs, fresh)]


def render(text, outputs):
    """The page with the output block after each python block replaced by ``outputs[k]``.

    An empty output removes the block; a missing one is inserted after its code.
    """
    chunks = parse_blocks(text)
    out, block, i = [], 0, 0
    while i < len(chunks):
        kind, body = chunks[i]
        i += 1
        if kind == "output":
            raise ValueError("an ```output block must follow a ```python block")
        if kind == "text":
            out.append(body)
            continue
        out.append(f"```python\n{body}```\n")
        if i + 1 < len(chunks) and not chunks[i][1].strip() and chunks[i + 1][0] == "output":
            i += 2
        if outputs[block]:
            printed = outputs[block] if outputs[block].endswith("\n") else outputs[block] + "\n"
            out.append(f"\n```output\n{printed}```\n")
        block += 1
    return "".join(out)


def _numbers(text):
    """(numbers, the text between them with whitespace collapsed) of an output."""
    values = _NUMBER.findall(text)
    skeleton = " ".join(_NUMBER.sub("#", text).split())
    return values, skeleton


def _last_digit_unit(token):
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def compare_outputs(shown, fresh, rtol=NUMBER_RTOL):
    """Differences between an output shown on a page and a fresh one (empty list: they agree).

    The text around the numbers must be equal up to whitespace; each number must
    satisfy ``|fresh - shown| <= rtol |shown| + u``, u one unit in the shown number's
    last printed digit.
    """
    shown_values, shown_text = _numbers(shown or "")
    fresh_values, fresh_text = _numbers(fresh or "")
    if shown_text != fresh_text or len(shown_values) != len(fresh_values):
        return [f"text differs:\n  page : {shown!r}\n  fresh: {fresh!r}"]
    problems = []
    for a, b in zip(shown_values, fresh_values):
        x, y = float(a), float(b)
        if x != y and not abs(y - x) <= rtol * abs(x) + _last_digit_unit(a):
            problems.append(f"{b} (fresh) vs {a} (page)")
    return problems


def build(pages):
    """Rewrite the output blocks and figures of ``pages`` (paths) from fresh runs."""
    for page in pages:
        page = pathlib.Path(page).resolve()
        start = time.perf_counter()
        results = run_page(page, figure_dir=page.parent / "figures")
        text = render(page.read_text(), [fresh for _, _, fresh in results])
        page.write_text(text)
        print(f"{page.relative_to(DOCS)}: {len(results)} blocks in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    build(sys.argv[1:] or [DOCS / name for name in PAGES])
