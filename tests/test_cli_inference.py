"""``normix fit --se``: standard-error tables, corrected tests and their JSON summary."""
import io
import json

import numpy as np
import pytest

from normix.cli import main
from normix.inference import standard_errors


def test_fit_se_prints_and_saves_the_tables(tmp_path):
    rng = np.random.default_rng(7)
    y = rng.wald(1.0, 1.5, 600)
    X = np.outer(y, [0.3, -0.2]) + np.sqrt(y)[:, None] * rng.normal(size=(600, 2))
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n" + "\n".join(f"{a!r},{b!r}" for a, b in X.tolist()) + "\n")
    out, err = io.StringIO(), io.StringIO()
    status = main(["fit", str(path), "--family", "nig", "--se", "--tol", "1e-8", "--out", str(tmp_path / "o"),
                   "--no-plots"], out=out, err=err)
    assert status == 0, err.getvalue()
    text = out.getvalue()
    assert "NIG standard errors (louis" in text and "mu_ig" in text
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    saved = summary["standard_errors"]["nig"]
    import normix

    model = normix.load(tmp_path / "o" / "nig.json")
    direct = standard_errors(model, X).to_dict()
    assert [row["name"] for row in saved["parameters"]] == [row["name"] for row in direct["parameters"]]
    for row, ref in zip(saved["parameters"], direct["parameters"]):
        assert row["standard_error"] == pytest.approx(ref["standard_error"], rel=1e-8)
    assert summary["families"][0]["aicc"] > summary["families"][0]["aic"]
