"""Cold start: the first fit of each family, and ``normix fit --demo``, in fresh processes.

Every scenario runs twice in fresh interpreters that share one pair of temporary cache
directories (``NUMBA_CACHE_DIR`` and normix's JAX cache ``NORMIX_JAX_CACHE_DIR``):
first with both empty (cold: a new install), then with what the first run left there
(warm: any later session).  For each run it prints the wall time, the CPU time, and
the compile time of every numba kernel specialisation and every XLA program compiled.

The fit scenarios fit ``<Family>.default_init(X).fit(X)`` with the spec's defaults to
the monthly Fama-French factors (``arch.data.frenchdata``: Mkt-RF, SMB, HML, 1109 x 3).

Usage: python benchmarks/cold_start.py [--no-demo] [--families NIG,VG,NInvG,GH]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

FAMILIES = {"NIG": "NormalInverseGaussian", "VG": "VarianceGamma", "NInvG": "NormalInverseGamma",
            "GH": "GeneralizedHyperbolic"}

PROBE = r"""
import json, logging, re, sys, time
wall0, cpu0 = time.perf_counter(), time.process_time()
import numba.core.event as numba_event

numba_times = {}

class Compiles(numba_event.Listener):
    depth = 0
    def on_start(self, event):
        if self.depth == 0:
            self.start = time.perf_counter()
        self.depth += 1
    def on_end(self, event):
        self.depth -= 1
        if self.depth == 0:
            name = event.data["dispatcher"].py_func.__qualname__
            numba_times[name] = numba_times.get(name, 0.0) + time.perf_counter() - self.start

numba_event.register("numba:compile", Compiles())
import jax
jax.config.update("jax_log_compiles", True)
xla_times = {}
PATTERN = re.compile(r"Finished XLA compilation of (.*) in ([0-9.e+-]+) sec")

class XlaLog(logging.Handler):
    def emit(self, record):
        match = PATTERN.search(record.getMessage())
        if match:
            xla_times[match.group(1)] = xla_times.get(match.group(1), 0.0) + float(match.group(2))

logging.getLogger("jax").addHandler(XlaLog())
logging.getLogger("jax").setLevel(logging.WARNING)
import normix
import_s = time.perf_counter() - wall0
SCENARIO
print(json.dumps({"wall": time.perf_counter() - wall0, "cpu": time.process_time() - cpu0,
                  "import": import_s, "numba": numba_times, "xla": xla_times}))
"""

FIT = """
import numpy as np
from arch.data import frenchdata
X = frenchdata.load()[["Mkt-RF", "SMB", "HML"]].to_numpy(dtype=np.float64)
fit_start = time.perf_counter()
result = normix.{cls}.default_init(X).fit(X)
assert bool(np.all(np.isfinite(np.asarray(result.model.marginal_log_likelihood(X)))))
print("fit_s", time.perf_counter() - fit_start, file=sys.stderr)
"""

DEMO = """
import io
from normix.__main__ import main
main(["fit", "--demo"])
"""


def run(scenario, caches):
    env = dict(os.environ, NUMBA_CACHE_DIR=caches["numba"], NORMIX_JAX_CACHE_DIR=caches["jax"])
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", PROBE.replace("SCENARIO", scenario)], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    record = json.loads(out.stdout.strip().splitlines()[-1])
    fit = [line.split()[1] for line in out.stderr.splitlines() if line.startswith("fit_s ")]
    record["fit"] = float(fit[0]) if fit else float("nan")
    return record


def table(name, cold, warm, top=12):
    print(f"\n== {name}")
    print(f"  {'':<34}{'cold':>9}{'warm':>9}")
    for key, label in (("wall", "process wall (s)"), ("cpu", "process CPU (s)"), ("import", "import normix (s)"),
                       ("fit", "fit call (s)")):
        print(f"  {label:<34}{cold[key]:>9.2f}{warm[key]:>9.2f}")
    for kind in ("numba", "xla"):
        total_cold, total_warm = sum(cold[kind].values()), sum(warm[kind].values())
        print(f"  {kind + ' compile, total (s)':<34}{total_cold:>9.2f}{total_warm:>9.2f}"
              f"   ({len(cold[kind])} cold, {len(warm[kind])} warm)")
        for key, seconds in sorted(cold[kind].items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {key[:60]:<60}{seconds:>7.2f}{warm[kind].get(key, 0.0):>7.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args()
    scenarios = [(f"fit {short}", FIT.format(cls=FAMILIES[short])) for short in args.families.split(",")]
    if not args.no_demo:
        scenarios.append(("normix fit --demo", DEMO))
    for name, code in scenarios:
        with tempfile.TemporaryDirectory() as numba_dir, tempfile.TemporaryDirectory() as jax_dir:
            caches = {"numba": numba_dir, "jax": jax_dir}
            cold = run(code, caches)
            warm = run(code, caches)
        table(name, cold, warm)


if __name__ == "__main__":
    main()
