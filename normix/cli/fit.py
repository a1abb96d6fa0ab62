"""``normix fit``: EM fits of the mixture families to a data table, compared and saved.

The families are fitted in the order NIG, VG, NInvG, GH.  Each special case starts from
its ``default_init``; GH starts from the best fitted special case in GH form
(:func:`normix.fitting.starts.best_special_case`, the rule of
``GeneralizedHyperbolic.default_init``) when any was fitted (EM never lowers the
likelihood, so GH then ends at least as high as every special case), and from
``GeneralizedHyperbolic.default_init`` otherwise.  Every fit
uses its family's ``fit`` with the given ``max_iter``, ``tol`` and backend, and
reports the fitter's own ``converged`` flag.
"""
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from normix.cli.data import first_line

FAMILIES = {
    "nig": "NormalInverseGaussian",
    "vg": "VarianceGamma",
    "ninvg": "NormalInverseGamma",
    "gh": "GeneralizedHyperbolic",
}
SPECIAL_CASES = ("nig", "vg", "ninvg")
LRT_NOTE = ("  NIG: chi-square reference with df = 1; VG (b = 0) and NInvG (a = 0) lie on the boundary of GH:\n"
            "  reference 0.5 chi2(0) + 0.5 chi2(1), p = P(chi2(1) >= T)/2 (Self & Liang 1987)")
VUONG_NOTE = "  Schwarz-corrected; a positive statistic favours the first family"
GH_NOTE = "  (shown with |Sigma| = 1: (gamma/c, Sigma/c, cY) is the same law for every c > 0)"


@dataclass
class Fit:
    """One family's outcome: the EM result, or the error that stopped it."""

    family: str
    result: Any = None
    score: Any = None
    error: str = ""
    seconds: float = 0.0


def fit_family(family, X, options, start=None):
    """Fit one family (short name) to X; a :class:`Fit` holding the result or the error."""
    import normix
    from normix.selection import compare

    cls = getattr(normix, FAMILIES[family])
    begin = time.perf_counter()
    try:
        model = start if start is not None else cls.default_init(X)
        result = model.fit(X, max_iter=options.max_iter, tol=options.tol, e_step_backend=options.backend,
                           m_step_backend=options.backend)
        seconds = time.perf_counter() - begin
        score = compare({family: result.model}, X, options.backend)[0]
    except ValueError as err:
        return Fit(family, error=first_line(err), seconds=time.perf_counter() - begin)
    return Fit(family, result=result, score=score, seconds=seconds)


def _gh_start(fits, X):
    """GH form of the fitted special case with the highest mean log-likelihood on X, or None if none was fitted."""
    import normix
    from normix.fitting.starts import best_special_case

    best = best_special_case(X, [fit.result.model for fit in fits if fit.result is not None])
    return None if best is None else normix.GeneralizedHyperbolic.from_mixture(best)


def fit_all(families, X, options, err):
    """Fit ``families`` in turn with a progress line each on ``err``; the list of :class:`Fit`."""
    fits = []
    for i, family in enumerate(families, 1):
        label = f"[{i}/{len(families)}] {family.upper()} ({FAMILIES[family]})"
        err.write(f"{label}: fitting ...\n")
        err.flush()
        start = _gh_start(fits, X) if family == "gh" else None
        fit = fit_family(family, X, options, start)
        if fit.result is None:
            err.write(f"{label}: failed after {fit.seconds:.1f} s: {fit.error}\n")
        else:
            state = "converged" if fit.result.converged else "NOT converged"
            err.write(f"{label}: {state}, {fit.result.n_iter} iterations, {fit.seconds:.1f} s\n")
            if not fit.result.converged:
                err.write(f"{label}: {fit.result.message}\n")
        err.flush()
        fits.append(fit)
    return fits


def _fmt(value):
    return f"{value:.6g}"


def _matrix_lines(label, matrix, width):
    lines = []
    for i, row in enumerate(np.atleast_2d(matrix)):
        lines.append(f"  {label if i == 0 else '':<8}" + "".join(f"{_fmt(v):>{width}}" for v in row))
    return lines


def parameter_lines(fit, names):
    """The fitted parameters of one family: subordinator, then μ, γ, Σ by column."""
    from normix._serialization import model_params

    model = fit.result.model
    params = model_params(model)
    subordinator = ", ".join(f"{name} = {_fmt(float(value))}" for name, value in params.items()
                             if name not in ("mu", "gamma", "L_Sigma"))
    width = max(14, max(len(name) for name in names) + 2)
    lines = [f"{fit.family.upper()} ({FAMILIES[fit.family]}): subordinator {subordinator}",
             "  " + " " * 8 + "".join(f"{name:>{width}}" for name in names)]
    lines += _matrix_lines("mu", params["mu"], width)
    lines += _matrix_lines("gamma", params["gamma"], width)
    lines += _matrix_lines("Sigma", np.asarray(model.joint.sigma()), width)
    return lines + ([GH_NOTE] if fit.family == "gh" else [])


def vuong_lines(fitted, X, backend):
    """Vuong tests of the non-nested pairs of fitted special cases: ``(text lines, JSON rows)``."""
    from normix.selection import vuong_test

    present = [f for f in SPECIAL_CASES if f in fitted]
    pairs = [(a, b) for i, a in enumerate(present) for b in present[i + 1:]]
    if not pairs:
        return [], []
    lines = ["", "Vuong tests of the non-nested special cases", VUONG_NOTE,
             f"  {'pair':<14}{'statistic':>12}{'p-value':>12}  preferred"]
    rows = []
    for a, b in pairs:
        test = vuong_test(fitted[a].result.model, fitted[b].result.model, X, correction="schwarz", backend=backend)
        preferred = {"a": a, "b": b}.get(test.preferred, "neither")
        lines.append(f"  {a + ' - ' + b:<14}{test.statistic:>12.4f}{test.p_value:>12.4g}  {preferred}")
        rows.append({"first": a, "second": b, "statistic": test.statistic, "p_value": test.p_value,
                     "preferred": preferred, "correction": "schwarz"})
    return lines, rows


def standard_error_lines(fitted, X):
    """The standard-error table of every fitted family: ``(text lines, JSON mapping family -> summary)``."""
    lines, out = [], {}
    for family, fit in fitted.items():
        try:
            result = fit.result.standard_errors(X)
        except ValueError as err:
            lines += ["", f"{family.upper()}: no standard errors: {first_line(err)}"]
            out[family] = {"error": first_line(err)}
            continue
        lines += [""] + str(result).splitlines()
        out[family] = result.to_dict()
    return lines, out


def goodness_of_fit_lines(fitted, X, n_boot, backend):
    """The goodness-of-fit table of every fitted family: ``(text lines, JSON mapping family -> summary)``.

    Parametric-bootstrap p-values from ``n_boot`` refits (seed 0, so a rerun prints the same numbers).
    """
    from normix.fitting.em import EMNotConvergedError
    from normix.inference import goodness_of_fit

    lines, out = [], {}
    for family, fit in fitted.items():
        try:
            result = goodness_of_fit(fit.result.model, X, n_boot=n_boot, seed=0, backend=backend)
        except (ValueError, EMNotConvergedError) as err:
            lines += ["", f"{family.upper()}: no goodness-of-fit tests: {first_line(err)}"]
            out[family] = {"error": first_line(err)}
            continue
        lines += [""] + result.table().splitlines()
        out[family] = result.to_dict()
    return lines, out


def summarize(fits, X, names, backend, se=False, gof=None):
    """``(text lines, summary dict)``: the table, the parameters (with ``se`` their standard errors),
    the goodness-of-fit tests (``gof`` bootstrap refits, None for none), the LRTs, the Vuong tests
    and the BIC ranking."""
    from normix.selection import likelihood_ratio_test

    fitted = {fit.family: fit for fit in fits if fit.result is not None}
    scores = {family: fit.score for family, fit in fitted.items()}
    lines = [f"{'family':<8}{'mean log-lik':>14}{'AIC':>14}{'BIC':>14}{'k':>4}{'iters':>7}{'converged':>11}"
             f"{'time (s)':>10}{'AICc':>14}"]
    rows = []
    for fit in fits:
        row = {"family": fit.family, "class": FAMILIES[fit.family], "time_s": fit.seconds}
        if fit.result is None:
            lines.append(f"{fit.family:<8}  fit failed: {fit.error}")
            row["error"] = fit.error
        else:
            score, result = scores[fit.family], fit.result
            lines.append(f"{fit.family:<8}{score.mean_log_likelihood:>14.6f}{score.aic:>14.2f}{score.bic:>14.2f}"
                         f"{score.n_parameters:>4}{result.n_iter:>7}{str(result.converged):>11}"
                         f"{fit.seconds:>10.2f}{score.aicc:>14.2f}")
            row.update(mean_log_likelihood=score.mean_log_likelihood, log_likelihood=score.log_likelihood,
                       aic=score.aic, bic=score.bic, aicc=score.aicc, n_parameters=score.n_parameters, n_iter=result.n_iter,
                       converged=bool(result.converged), message=result.message)
        rows.append(row)
    summary = {"families": rows}
    for fit in fits:
        if fit.result is not None:
            lines += [""] + parameter_lines(fit, names)
    if se:
        se_lines, summary["standard_errors"] = standard_error_lines(fitted, X)
        lines += se_lines
    if gof:
        gof_lines, summary["goodness_of_fit"] = goodness_of_fit_lines(fitted, X, gof, backend)
        lines += gof_lines
    if "gh" in fitted and any(f in fitted for f in SPECIAL_CASES):
        lines += ["", "Likelihood-ratio tests against GH", LRT_NOTE,
                  f"  {'restricted':<12}{'statistic':>12}{'df':>4}{'p-value':>12}  reference"]
        summary["likelihood_ratio_tests"] = []
        for family in (f for f in SPECIAL_CASES if f in fitted):
            test = likelihood_ratio_test(fitted[family].result.model, fitted["gh"].result.model, X, backend)
            reference = "0.5 chi2(0) + 0.5 chi2(1)" if family in ("vg", "ninvg") else "chi2(1)"
            lines.append(f"  {family:<12}{test.statistic:>12.4f}{test.df:>4}{test.p_value:>12.4g}  {reference}")
            summary["likelihood_ratio_tests"].append({"restricted": family, "full": "gh", **test._asdict(),
                                                      "reference": reference})
    vuong, vuong_rows = vuong_lines(fitted, X, backend)
    if vuong_rows:
        lines += vuong
        summary["vuong_tests"] = vuong_rows
    if len(scores) > 1:
        ranking = sorted(scores.values(), key=lambda s: s.bic)
        lines += ["", "BIC ranking (lower is better)"]
        for place, score in enumerate(ranking, 1):
            lines.append(f"  {place}. {score.name:<8}BIC {score.bic:.2f}  (difference to the best "
                         f"{score.bic - ranking[0].bic:.2f})")
        summary["bic_ranking"] = [score.name for score in ranking]
    return lines, summary


def write_outputs(folder, fits, X, lines, summary, err, plots=True):
    """Save ``<family>.json`` models, ``summary.txt``, ``summary.json`` and (``plots``) the report plots under ``folder``."""
    from normix.cli.report import write_plots

    os.makedirs(folder, exist_ok=True)
    for fit, row in zip(fits, summary["families"]):
        if fit.result is not None:
            path = os.path.join(folder, f"{fit.family}.json")
            fit.result.model.save(path)
            row["model_file"] = os.path.basename(path)
    with open(os.path.join(folder, "summary.txt"), "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    written = write_plots(os.path.join(folder, "report"), [f for f in fits if f.result is not None], X, err) \
        if plots else []
    summary["plots"] = [os.path.relpath(p, folder) for p in written]
    with open(os.path.join(folder, "summary.json"), "w", encoding="utf-8") as stream:
        json.dump(summary, stream, indent=1, allow_nan=False)
        stream.write("\n")


def run(X, names, source, options, out=sys.stdout, err=sys.stderr):
    """Fit, print the report on ``out``, write ``options.out`` if given; the exit status (0, or 1 if a fit failed)."""
    families = list(SPECIAL_CASES) + ["gh"] if options.family == "all" else [options.family]
    n, d = X.shape
    header = f"{source}: n = {n} rows, d = {d} column(s) ({', '.join(names)})"
    err.write(header + "\n")
    fits = fit_all(families, X, options, err)
    lines, summary = summarize(fits, X, names, options.backend, se=getattr(options, "se", False),
                               gof=getattr(options, "gof", None))
    lines = [header, ""] + lines
    summary.update(source=source, n=n, d=d, columns=names)
    out.write("\n".join(lines) + "\n")
    out.flush()
    if options.out:
        write_outputs(options.out, fits, X, lines, summary, err, plots=not options.no_plots)
        err.write(f"wrote {options.out}\n")
    return 0 if all(fit.result is not None for fit in fits) else 1
