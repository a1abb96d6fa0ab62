"""Plain EM against SQUAREM-accelerated EM (``accelerate='squarem'``) at tol = 1e-9.

Cases (``--only`` picks some; default both):

``bench``
    Data drawn from each family's own model (NIG, VG, NInvG, GH; ``estep.model_problem``,
    as in ``benchmarks/estep.py``) at d = 2, n = 1e4 and d = 10, n = 1e5.
``real``
    The three data sets shipped with ``arch``, in per cent: Fama-French 3 factors
    (monthly Mkt-RF, SMB, HML, as published), S&P 500 + NASDAQ daily log-returns, and
    S&P 500 + NASDAQ + WTI oil daily log-returns (common dates), each fitted by the
    four families.

Every fit starts at ``default_init`` with the family's regularisation, numba kernels
(``--backend cpu``, default) or the compiled JAX loop (``--backend jax``), and runs to
tol = 1e-9 (``max_iter`` 5000).  Reported: E-steps, seconds (one warm run each, after a
short warming fit), the final mean log-likelihood (the E-step of the returned model) and
whether the goal holds: the same optimum (ll >= plain - 1e-9) in <= 30 E-steps and
<= 1/3 of plain EM's wall time.

Usage: python benchmarks/em_accelerate.py [--only bench real] [--families NIG VG NInvG GH]
                                          [--sizes 2x1e4 10x1e5] [--backend cpu|jax]
"""
import argparse
import sys
import time

import numpy as np

import normix  # noqa: F401  (float64 in JAX)
from estep import model_problem
from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma

FAMILIES = {"NIG": NormalInverseGaussian, "VG": VarianceGamma, "NInvG": NormalInverseGamma,
            "GH": GeneralizedHyperbolic}
TOL, MAX_ITER, MAX_E_STEPS, TIME_RATIO = 1e-9, 5000, 30, 1 / 3


def real_datasets():
    """``{name: X}``: the three ``arch`` data sets, returns in per cent."""
    import pandas
    from arch.data import frenchdata, nasdaq, sp500, wti

    ff = frenchdata.load()[["Mkt-RF", "SMB", "HML"]].dropna().to_numpy(dtype=np.float64)
    prices = pandas.concat([sp500.load()["Adj Close"], nasdaq.load()["Adj Close"]], axis=1, join="inner").dropna()
    three = pandas.concat([prices, wti.load()["DCOILWTICO"]], axis=1, join="inner").dropna()
    returns = lambda frame: 100 * np.diff(np.log(frame.to_numpy(dtype=np.float64)), axis=0)  # noqa: E731
    return {"FF3 monthly": ff, "SP500+NASDAQ daily": returns(prices), "SP500+NASDAQ+WTI daily": returns(three)}


def final_ll(cls, model, X):
    return float(cls.em_e_step(X, cls.em_state(model, "cpu"), "cpu")[1])


def run(cls, X, accelerate, backend):
    start = cls.default_init(X)
    options = dict(tol=TOL, accelerate=accelerate, e_step_backend=backend, m_step_backend=backend)
    start.fit(X, max_iter=4, **options)
    t0 = time.perf_counter()
    result = start.fit(X, max_iter=MAX_ITER, **options)
    return result, time.perf_counter() - t0


def compare(case, cls, X, backend):
    plain, t_plain = run(cls, X, None, backend)
    fast, t_fast = run(cls, X, "squarem", backend)
    ll_plain, ll_fast = final_ll(cls, plain.model, X), final_ll(cls, fast.model, X)
    goal = (ll_fast >= ll_plain - 1e-9 and fast.n_iter <= MAX_E_STEPS and t_fast <= TIME_RATIO * t_plain
            and fast.converged)
    row = (case, plain.n_iter, t_plain, fast.n_iter, t_fast, ll_plain, ll_fast - ll_plain,
           plain.converged and fast.converged, goal)
    print(f"{row[0]:<34} | {row[1]:>6} {row[2]:>8.2f} | {row[3]:>6} {row[4]:>8.2f} | {row[4] / row[2]:>5.2f} | "
          f"{row[5]:>14.9f} {row[6]:>9.1e} | {'yes' if row[7] else 'NO':>4} | {'met' if goal else 'missed'}",
          flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=("bench", "real"), default=("bench", "real"))
    parser.add_argument("--families", nargs="+", choices=tuple(FAMILIES), default=tuple(FAMILIES))
    parser.add_argument("--sizes", nargs="+", default=("2x1e4", "10x1e5"))
    parser.add_argument("--backend", choices=("cpu", "jax"), default="cpu")
    args = parser.parse_args(argv)
    print(f"tol={TOL:g}, backend={args.backend}; goal: ll >= plain - 1e-9, <= {MAX_E_STEPS} E-steps, "
          f"<= 1/3 of plain's time")
    print(f"{'case':<34} | {'plain':>6} {'s':>8} | {'SQUAREM':>6} {'s':>8} | {'ratio':>5} | "
          f"{'plain mean ll':>14} {'diff':>9} | conv | goal")
    rows = []
    if "bench" in args.only:
        for size in args.sizes:
            d, n = (int(float(part)) for part in size.split("x"))
            for name in args.families:
                X = model_problem(name, n, d)[0]
                rows.append(compare(f"{name} d={d} n={n:.0e}", FAMILIES[name], X, args.backend))
    if "real" in args.only:
        for label, X in real_datasets().items():
            for name in args.families:
                rows.append(compare(f"{name} {label}", FAMILIES[name], X, args.backend))
    met = sum(row[-1] for row in rows)
    print(f"goal met on {met} of {len(rows)} cases")
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
