"""``normix fit --se`` and ``--gof``: standard-error and goodness-of-fit tables and their JSON summary."""
import io
import json

import numpy as np
import pytest

from normix.cli import main
import normix
from normix.inference import goodness_of_fit, standard_errors


def nig_rows(tmp_path):
    """600 rows of a NIG law, written to a CSV file: ``(X, path)``."""
    rng = np.random.default_rng(7)
    y = rng.wald(1.0, 1.5, 600)
    X = np.outer(y, [0.3, -0.2]) + np.sqrt(y)[:, None] * rng.normal(size=(600, 2))
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n" + "\n".join(f"{a!r},{b!r}" for a, b in X.tolist()) + "\n")
    return X, path


def test_fit_se_prints_and_saves_the_tables(tmp_path):
    X, path = nig_rows(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    status = main(["fit", str(path), "--family", "nig", "--se", "--tol", "1e-8", "--out", str(tmp_path / "o"),
                   "--no-plots"], out=out, err=err)
    assert status == 0, err.getvalue()
    text = out.getvalue()
    assert "NIG standard errors (louis" in text and "mu_ig" in text
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    saved = summary["standard_errors"]["nig"]
    model = normix.load(tmp_path / "o" / "nig.json")
    direct = standard_errors(model, X).to_dict()
    assert [row["name"] for row in saved["parameters"]] == [row["name"] for row in direct["parameters"]]
    for row, ref in zip(saved["parameters"], direct["parameters"]):
        assert row["standard_error"] == pytest.approx(ref["standard_error"], rel=1e-8)
    assert summary["families"][0]["aicc"] > summary["families"][0]["aic"]


def test_fit_gof_prints_and_saves_the_bootstrap_p_values(tmp_path):
    X, path = nig_rows(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    status = main(["fit", str(path), "--family", "nig", "--gof", "9", "--tol", "1e-8", "--out", str(tmp_path / "o"),
                   "--no-plots"], out=out, err=err)
    assert status == 0, err.getvalue()
    assert "goodness of fit of NormalInverseGaussian: p-values from 9 of 9" in out.getvalue()
    saved = json.loads((tmp_path / "o" / "summary.json").read_text())["goodness_of_fit"]["nig"]
    direct = goodness_of_fit(normix.load(tmp_path / "o" / "nig.json"), X, n_boot=9, seed=0)
    assert saved["labels"] == ["margin 0", "margin 1", "rosenblatt"] == list(direct.labels)
    for test in ("ks", "cvm", "ad"):
        np.testing.assert_allclose(saved["statistics"][test], direct.statistics[test], rtol=1e-6)
        np.testing.assert_allclose(saved["p_values"][test], direct.p_values[test])
