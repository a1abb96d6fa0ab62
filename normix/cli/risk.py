"""``normix risk MODEL.json``: VaR, expected shortfall and Euler contributions of a portfolio.

The loss of the portfolio w is L = -wᵀX under the saved model (a fitted GH, NIG, VG or
NInvG law); at each confidence level the command prints VaR and ES of L and the Euler
contributions wᵢ ∂ρ/∂wᵢ of every asset to ES and to VaR (they sum to ρ), all from
:mod:`normix.risk`.  ``--json`` prints the same numbers as JSON instead of the table,
``--out FILE`` writes the JSON to FILE.  An infinite ES (a law without a finite mean
loss) is written as the string ``"inf"``, and its contributions as null.
"""
import json

import numpy as np

import normix.cli.arguments as arguments
from normix.cli.data import DataError, first_line


def add_parser(sub):
    """Register ``normix risk`` on the subparsers ``sub``."""
    risk = sub.add_parser("risk", help="VaR, expected shortfall and risk contributions of a portfolio under a "
                                       "saved model",
                          description="VaR and ES of the portfolio loss L = -w'X under a saved mixture model, and "
                                      "the Euler contributions of each asset.")
    risk.add_argument("model", metavar="MODEL.json", help="a model saved by normix fit --out or model.save")
    risk.add_argument("--weights", type=arguments.weights, required=True,
                      help="portfolio weights, comma-separated, one per column of the model (e.g. 0.6,0.4)")
    risk.add_argument("--level", type=arguments.level, nargs="+", default=[0.99],
                      help="confidence levels (default 0.99), e.g. --level 0.99 0.975")
    risk.add_argument("--json", action="store_true", help="print JSON instead of the table")
    risk.add_argument("--out", metavar="FILE", help="also write the JSON to FILE")
    risk.set_defaults(handler=risk_command)


def load_mixture(path):
    """The normal mixture saved at ``path``; ``DataError`` for a missing, unreadable or non-mixture file."""
    import normix
    from normix.mixtures.marginal import NormalMixture

    try:
        model = normix.load(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (ValueError, OSError) as error:
        raise DataError(first_line(error)) from None
    if not isinstance(model, NormalMixture):
        raise DataError(f"{path}: holds a {type(model).__name__}; normix risk takes a fitted mixture "
                        "(GeneralizedHyperbolic, NormalInverseGaussian, VarianceGamma, NormalInverseGamma)")
    return model


def risk_report(model, weights, levels):
    """The numbers as a dict: VaR, ES and the contributions to each, per level."""
    from normix.risk import risk_contributions, tail_risk

    var, es = tail_risk(model, weights, levels)
    var_contributions = risk_contributions(model, weights, levels, measure="var")
    rows = []
    for j, level in enumerate(levels):
        finite = bool(np.isfinite(es[j]))
        es_contributions = risk_contributions(model, weights, level, measure="es").tolist() if finite else None
        rows.append({"level": level, "var": float(var[j]), "es": float(es[j]) if finite else "inf",
                     "es_contributions": es_contributions, "var_contributions": var_contributions[j].tolist()})
    return rows


def _table(rows, weights):
    assets = [f"x{i}" for i in range(len(weights))]
    lines = [f"{'level':>8}{'VaR':>14}{'ES':>14}"]
    for row in rows:
        es = row["es"] if isinstance(row["es"], str) else f"{row['es']:.6g}"
        lines.append(f"{row['level']:>8g}{row['var']:>14.6g}{es:>14}")
    for measure, name in (("es", "ES"), ("var", "VaR")):
        lines += ["", f"Euler contributions to {name} (they sum to it)",
                  f"{'level':>8}" + "".join(f"{name:>14}" for name in assets)]
        for row in rows:
            values = row[f"{measure}_contributions"]
            cells = ["n/a (infinite ES)"] if values is None else [f"{v:>14.6g}" for v in values]
            lines.append(f"{row['level']:>8g}" + "".join(cells))
    return lines


def risk_command(args, out, err):
    """Run ``normix risk``; the exit status."""
    model = load_mixture(args.model)
    weights = np.asarray(args.weights)
    if weights.size != model.d:
        raise DataError(f"--weights has {weights.size} value(s); the model in {args.model} has d = {model.d} "
                        "columns")
    rows = risk_report(model, weights, list(args.level))
    document = {"model": args.model, "family": type(model).__name__, "weights": weights.tolist(),
                "loss": "L = -w'X", "levels": rows}
    text = json.dumps(document, indent=1, allow_nan=False)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as stream:
                stream.write(text + "\n")
        except OSError as error:
            raise DataError(f"--out {args.out}: cannot write: {first_line(error)}") from None
    if args.json:
        out.write(text + "\n")
        return 0
    header = (f"{args.model}: {type(model).__name__}, d = {model.d}; portfolio w = "
              f"({', '.join(f'{w:g}' for w in weights)}), loss L = -w'X")
    out.write("\n".join([header, ""] + _table(rows, weights)) + "\n")
    return 0
