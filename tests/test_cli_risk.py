"""The command line: ``normix risk MODEL.json`` and ``normix backtest DATA``.

``normix risk`` is compared with ``normix.risk`` on a saved model; ``normix backtest``
with ``normix.risk.backtest.backtest`` on the same data.  Errors are checked in-process
through ``main``: one line on stderr and exit status 2 (argparse's usage errors for
malformed options).  One command runs end to end in a fresh process.
"""
import io
import json
import subprocess
import sys

import numpy as np
import pytest

import normix
from normix.cli import main
from normix.risk import expected_shortfall, risk_contributions, value_at_risk
from normix.risk.backtest import backtest

WEIGHTS = np.array([0.6, 0.4])


def call(*argv):
    """``(status, stdout, stderr)`` of ``main(argv)`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error(argv, command, message):
    status, out, err = call(*argv)
    lines = err.strip().splitlines()
    assert status == 2 and out == "", err
    assert len(lines) == 1 and lines[-1].startswith(f"normix {command}: error: ") and message in lines[-1], err


@pytest.fixture(scope="module")
def nig_file(tmp_path_factory):
    model = normix.NormalInverseGaussian.from_classical(
        mu=np.array([0.05, 0.02]), gamma=np.array([-0.1, -0.05]), sigma=np.array([[1.0, 0.5], [0.5, 1.5]]),
        mu_ig=1.0, lam=0.9)
    path = tmp_path_factory.mktemp("models") / "nig.json"
    model.save(path)
    return model, path


# -------------------------------------------------------------------------- normix risk
def test_risk_json_is_the_risk_functions_of_the_saved_model(nig_file, tmp_path):
    model, path = nig_file
    levels = [0.99, 0.975]
    out_file = tmp_path / "risk.json"
    status, out, err = call("risk", path, "--weights", "0.6,0.4", "--level", *levels, "--json", "--out", out_file)
    assert status == 0, err
    document = json.loads(out)
    assert document == json.loads(out_file.read_text())
    assert document["family"] == "NormalInverseGaussian" and document["weights"] == [0.6, 0.4]
    var, es = value_at_risk(model, WEIGHTS, levels), expected_shortfall(model, WEIGHTS, levels)
    for j, row in enumerate(document["levels"]):
        assert row["level"] == levels[j]
        assert row["var"] == pytest.approx(var[j], rel=1e-14) and row["es"] == pytest.approx(es[j], rel=1e-14)
        np.testing.assert_allclose(row["es_contributions"], risk_contributions(model, WEIGHTS, levels[j]), rtol=1e-14)
        np.testing.assert_allclose(row["var_contributions"],
                                   risk_contributions(model, WEIGHTS, levels[j], measure="var"), rtol=1e-14)
        assert sum(row["es_contributions"]) == pytest.approx(row["es"], rel=1e-10)


def test_risk_table(nig_file):
    model, path = nig_file
    status, out, _ = call("risk", path, "--weights", "0.6,0.4", "--level", "0.99")
    assert status == 0
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("0.99"))
    assert float(row[1]) == pytest.approx(float(value_at_risk(model, WEIGHTS, 0.99)), rel=1e-5)
    assert float(row[2]) == pytest.approx(float(expected_shortfall(model, WEIGHTS, 0.99)), rel=1e-5)
    assert "Euler contributions to ES" in out and "Euler contributions to VaR" in out


def test_risk_with_an_infinite_expected_shortfall(tmp_path):
    """NInvG with shape alpha = 0.8 <= 1 and g = -w'gamma > 0: E[L+] is infinite."""
    model = normix.NormalInverseGamma.from_classical(mu=np.zeros(2), gamma=np.array([-0.3, -0.2]),
                                                     sigma=np.eye(2), alpha=0.8, beta=1.0)
    model.save(tmp_path / "ninvg.json")
    status, out, err = call("risk", tmp_path / "ninvg.json", "--weights", "0.6,0.4", "--json")
    assert status == 0, err
    row = json.loads(out)["levels"][0]
    assert row["es"] == "inf" and row["es_contributions"] is None and np.isfinite(row["var"])


def test_risk_errors_are_one_line(nig_file, tmp_path):
    _, path = nig_file
    normix.MultivariateNormal.from_classical(np.zeros(2), np.eye(2)).save(tmp_path / "normal.json")
    (tmp_path / "broken.json").write_text("{not json")
    cases = [
        (["risk", tmp_path / "absent.json", "--weights", "0.6,0.4"], "absent.json: no such file"),
        (["risk", path, "--weights", "0.2,0.3,0.5"], "--weights has 3 value(s); the model in"),
        (["risk", tmp_path / "normal.json", "--weights", "0.6,0.4"], "holds a MultivariateNormal"),
        (["risk", tmp_path / "broken.json", "--weights", "0.6,0.4"], "broken.json"),
        (["risk", path, "--weights", "0.6,0.4", "--out", tmp_path / "no" / "such" / "dir.json"], "cannot write"),
    ]
    for argv, message in cases:
        assert_one_line_error(argv, "risk", message)


@pytest.mark.parametrize("argv", [["--weights", "0.6,x"], ["--weights", "0,0"], ["--weights", "0.6,0.4", "--level",
                                                                                   "1.5"], []])
def test_risk_malformed_options_are_usage_errors(nig_file, argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["risk", str(nig_file[1]), *argv])
    assert stop.value.code == 2 and "Traceback" not in capsys.readouterr().err


# ---------------------------------------------------------------------- normix backtest
@pytest.fixture(scope="module")
def returns_file(tmp_path_factory):
    X = normix.NormalInverseGaussian.from_classical(
        mu=np.array([0.05, 0.02]), gamma=np.array([-0.1, -0.05]), sigma=np.array([[1.0, 0.5], [0.5, 1.5]]),
        mu_ig=1.0, lam=0.9).rvs(460, seed=2)
    path = tmp_path_factory.mktemp("data") / "returns.npy"
    np.save(path, X)
    return X, path


def test_backtest_writes_the_result_of_the_backtest_function(returns_file, tmp_path):
    X, path = returns_file
    folder = tmp_path / "out"
    status, out, err = call("backtest", path, "--family", "nig", "--window", "400", "--level", "0.99", "0.975",
                            "--weights", "0.6,0.4", "--refit-every", "20", "--n-sim", "100", "--out", folder)
    assert status == 0, err
    expected = backtest(X, WEIGHTS, [0.99, 0.975], "nig", 400, 20, n_sim=100, progress=False)
    document = json.loads((folder / "backtest.json").read_text())
    np.testing.assert_array_equal(document["var"]["0.99"], expected.var[:, 0])
    np.testing.assert_array_equal(document["es"]["0.975"], expected.es[:, 1])
    assert document["tests"] == [{**row, "level": row["level"]} for row in expected.test_table()]
    assert document["source"] == str(path) and document["refits"]["status"] == list(expected.fits.status)
    assert (folder / "backtest.png").read_bytes()[:4] == b"\x89PNG"
    summary = (folder / "summary.txt").read_text()
    assert summary == out and "kupiec" in out and "acerbi_szekely_z2" in out
    assert f"wrote {folder}" in err


def test_backtest_errors_are_one_line(returns_file, tmp_path):
    _, path = returns_file
    base = ["backtest", path, "--window", "400", "--weights", "0.6,0.4"]
    cases = [
        (["backtest", "--window", "400", "--weights", "0.6,0.4"], "give a DATA file"),
        (["backtest", path, "--demo", "--window", "400", "--weights", "0.6,0.4"], "either DATA or --demo"),
        (["backtest", tmp_path / "absent.csv", "--window", "10", "--weights", "1,1"], "absent.csv: no such file"),
        (base[:3] + ["459"] + base[4:], "window must be in [4, 458]"),
        (base[:-1] + ["0.6,0.3,0.1"], "--weights has 3 value(s); the data has 2 column(s)"),
        (base + ["--out", path], "cannot write"),
    ]
    for argv, message in cases:
        assert_one_line_error(argv, "backtest", message)


@pytest.mark.parametrize("argv", [["--family", "t"], ["--window", "0"], ["--refit-every", "x"], ["--tol", "-1"],
                                  ["--n-sim", "0"]])
def test_backtest_malformed_options_are_usage_errors(returns_file, argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["backtest", str(returns_file[1]), "--window", "400", "--weights", "0.6,0.4", *argv])
    assert stop.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_backtest_demo_in_a_fresh_process(tmp_path):
    pytest.importorskip("arch")
    run = subprocess.run([sys.executable, "-m", "normix", "backtest", "--demo", "--family", "normal", "--window",
                          "1000", "--level", "0.99", "--weights", "0.6,0.4", "--refit-every", "5", "--n-sim", "100",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "4030 forecast days (2002-12-27 to 2018-12-31)" in run.stdout
    document = json.loads((tmp_path / "backtest.json").read_text())
    assert document["index"][0] == "2002-12-27" and len(document["losses"]) == 4030
    assert document["refits"]["status_counts"] == {"converged": 806}
