"""Time the fused E-step of both backends against n and draw the figure of the backend tutorial.

For each n the script times ``estep_statistics`` of the numba twin and of the jitted,
warm JAX twin on data drawn from a GH model in dimension d (``model_problem`` of
``benchmarks/estep.py``), next to the floor F(n) of ``benchmarks/common.py``, all
in the same run, best of ``--reps``.  It writes

* ``docs/tutorials/figures/backend_timings.csv``: n, the three times in ms and the
  two ratios to F(n), which the page shows as a table;
* ``docs/tutorials/figures/backend_timings.png``: time against n, log-log.

Usage (from the repository root)::

    python docs/scripts/backend_timings.py [--d 10] [--n 1e3 1e4 1e5 1e6] [--reps 5]
"""
import argparse
import csv
import datetime
import os
import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
OUT = DOCS / "tutorials" / "figures"

import jax  # noqa: E402
import numba  # noqa: E402

from common import best_time, floor_time  # noqa: E402
from estep import model_problem, runner  # noqa: E402


def measure(ns, d, reps):
    """Rows (n, cpu s, jax s, floor s) for the GH E-step in dimension d."""
    rows = []
    for n in ns:
        args = model_problem("GH", n, d)
        rows.append((n, best_time(runner("cpu", args), reps), best_time(runner("jax", args), reps),
                     floor_time(n, reps)))
        print(f"n = {n:>8d}: cpu {rows[-1][1] * 1e3:9.2f} ms  jax {rows[-1][2] * 1e3:9.2f} ms  "
              f"floor {rows[-1][3] * 1e3:9.2f} ms", flush=True)
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["n", "cpu (ms)", "jax (ms)", "floor F(n) (ms)", "cpu / F", "jax / F"])
        for n, cpu, jx, floor in rows:
            writer.writerow([n, f"{cpu * 1e3:.3f}", f"{jx * 1e3:.3f}", f"{floor * 1e3:.3f}",
                             f"{cpu / floor:.2f}", f"{jx / floor:.2f}"])


def plot(rows, d, path, note):
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt

    from normix.utils.plotting import set_theme

    set_theme()
    n, cpu, jx, floor = (list(column) for column in zip(*rows))
    fig, ax = plt.subplots()
    ax.loglog(n, [t * 1e3 for t in cpu], "o-", label="backend='cpu' (numba)")
    ax.loglog(n, [t * 1e3 for t in jx], "s-", label="backend='jax' (jit, warm)")
    ax.loglog(n, [t * 1e3 for t in floor], "k--", lw=1, label="floor F(n)")
    ax.set(xlabel="rows n", ylabel="time per E-step (ms)", title=f"GH E-step, d = {d}")
    ax.text(0.02, 0.98, note, transform=ax.transAxes, va="top", fontsize=7, color="0.4")
    ax.legend(loc="lower right")
    fig.savefig(path)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--n", type=float, nargs="+", default=[1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6])
    parser.add_argument("--reps", type=int, default=5)
    opts = parser.parse_args()
    load = os.getloadavg()[0]
    note = (f"{datetime.date.today()}, {os.cpu_count()} cores, numba threads {numba.get_num_threads()}, "
            f"JAX {jax.devices()[0].platform}, load average {load:.1f} at start")
    print(note)
    rows = measure([int(x) for x in opts.n], opts.d, opts.reps)
    OUT.mkdir(parents=True, exist_ok=True)
    write_csv(rows, OUT / "backend_timings.csv")
    plot(rows, opts.d, OUT / "backend_timings.png", note)


if __name__ == "__main__":
    main()
