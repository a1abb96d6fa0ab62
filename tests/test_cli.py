"""The command line: ``normix demo``, ``normix fit DATA`` and ``normix fit --demo``.

Data errors are checked in-process through ``main`` (they stop before any fit); one
small CSV is fitted end to end in a fresh process; the full ``--demo`` run is slow.
"""
import io
import json
import subprocess
import sys

import numpy as np
import pytest

import normix
from normix.cli import main
from normix.cli.data import load_data
from normix.cli.fit import Fit
from normix.cli.report import write_plots
from normix.selection import log_likelihood

FAMILIES = ("NormalInverseGaussian", "VarianceGamma", "NormalInverseGamma", "GeneralizedHyperbolic")


def run_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "normix", *args], capture_output=True, text=True, timeout=timeout)


def call(*argv):
    """``(status, stdout, stderr)`` of ``main(argv)`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def test_demo_fits_all_four_families():
    out = run_cli("demo", "--n", "2000")
    assert out.returncode == 0, out.stderr
    for family in FAMILIES:
        line = next(l for l in out.stdout.splitlines() if l.strip().startswith(family))
        ll = float(line.split()[1])
        assert -10 < ll < 0
    assert "max |ours - scipy|" in out.stdout


def test_unknown_command_fails_cleanly():
    out = run_cli("frobnicate")
    assert out.returncode != 0 and "invalid choice" in out.stderr and "Traceback" not in out.stderr


# ------------------------------------------------------------------- reading data
def prices(n=60, seed=0):
    """Positive random-walk prices, shape (n, 3)."""
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(0.01 * rng.standard_t(4, size=(n, 3)), axis=0))


def write_csv(path, P, header=("Date", "A", "B", "C")):
    lines = [",".join(header)] if header else []
    lines += [f"2020-01-{i:03d}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(P)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_skips_the_date_column_and_reads_every_number(tmp_path):
    P = prices()
    notes = []
    names, X = load_data(str(write_csv(tmp_path / "p.csv", P)), warn=notes.append)
    assert names == ["A", "B", "C"]
    np.testing.assert_array_equal(X, P)
    assert notes == ["ignoring non-numeric column(s): Date"]


def test_columns_by_name_and_by_index(tmp_path):
    P = prices()
    path = str(write_csv(tmp_path / "p.csv", P))
    names, X = load_data(path, columns="C,A")
    assert names == ["C", "A"]
    np.testing.assert_array_equal(X, P[:, [2, 0]])
    names, X = load_data(path, columns="2, -1")
    assert names == ["B", "C"]
    np.testing.assert_array_equal(X, P[:, [1, 2]])


def test_returns_match_their_formulas(tmp_path):
    P = prices()
    path = str(write_csv(tmp_path / "p.csv", P))
    _, log_r = load_data(path, columns="A,B", returns="log")
    np.testing.assert_allclose(log_r, np.log(P[1:, :2] / P[:-1, :2]), rtol=0, atol=1e-14)
    _, simple = load_data(path, columns="A,B", returns="simple")
    np.testing.assert_allclose(simple, P[1:, :2] / P[:-1, :2] - 1.0, rtol=1e-13)


def test_headerless_csv_tsv_npy_and_parquet(tmp_path):
    P = prices()
    path = tmp_path / "raw.csv"
    path.write_text("\n".join(",".join(repr(float(v)) for v in row) for row in P) + "\n")
    names, X = load_data(str(path))
    assert names == ["0", "1", "2"]
    np.testing.assert_array_equal(X, P)
    tsv = tmp_path / "p.tsv"
    tsv.write_text("A\tB\tC\n" + "\n".join("\t".join(repr(float(v)) for v in row) for row in P) + "\n")
    np.testing.assert_array_equal(load_data(str(tsv))[1], P)
    np.save(tmp_path / "p.npy", P)
    names, X = load_data(str(tmp_path / "p.npy"), columns="0,2")
    assert names == ["0", "2"]
    np.testing.assert_array_equal(X, P[:, [0, 2]])
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pandas.DataFrame({"A": P[:, 0], "B": P[:, 1], "label": ["x"] * len(P)}).to_parquet(tmp_path / "p.parquet")
    names, X = load_data(str(tmp_path / "p.parquet"), returns="log")
    assert names == ["A", "B"]
    np.testing.assert_allclose(X, np.log(P[1:, :2] / P[:-1, :2]), rtol=0, atol=1e-14)


def test_dropna_drops_and_reports_the_rows(tmp_path):
    P = prices()
    path = tmp_path / "p.csv"
    write_csv(path, P)
    lines = path.read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] + ","          # data row 3: empty C
    lines[8] = lines[8].rsplit(",", 1)[0] + ",inf"       # data row 7: C = inf
    path.write_text("\n".join(lines) + "\n")
    notes = []
    _, X = load_data(str(path), dropna=True, warn=notes.append)
    np.testing.assert_array_equal(X, np.delete(P, [3, 7], axis=0))
    assert "dropped 2 row(s)" in notes[-1] and "3, 7" in notes[-1]
    status, _, err = call("fit", str(path))
    assert status == 2 and "2 row(s) hold missing or non-finite values (rows 3, 7" in err and "--dropna" in err


def assert_one_line_error(argv, message, status=2):
    code, out, err = call(*argv)
    assert code == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("normix fit: error: ") and message in lines[0], err
    assert out == ""


def test_data_errors_are_one_line_each(tmp_path):
    P = prices()
    good = str(write_csv(tmp_path / "p.csv", P))
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("A,B\n1.0,2.0\n1.5,oops\n2.0,3.0\n")
    (tmp_path / "garbage.parquet").write_bytes(b"not a parquet file at all")
    (tmp_path / "garbage.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "data.xlsx").write_text("x")
    np.save(tmp_path / "cube.npy", np.zeros((3, 3, 3)))
    np.save(tmp_path / "few.npy", P[:3, :3])
    negative = P.copy()
    negative[5, 1] = -1.0
    np.save(tmp_path / "negative.npy", negative)
    cases = [
        (["fit", str(tmp_path / "absent.csv")], "absent.csv: no such file"),
        (["fit", str(tmp_path)], "is a folder"),
        (["fit", str(tmp_path / "data.xlsx")], "unsupported file type"),
        (["fit", str(tmp_path / "empty.csv")], "the file is empty"),
        (["fit", str(tmp_path / "garbage.npy")], "cannot read as .npy"),
        (["fit", str(tmp_path / "cube.npy")], "1 or 2 dimensions"),
        (["fit", good, "--columns", "A,Z"], "unknown column 'Z'"),
        (["fit", good, "--columns", "7"], "unknown column '7'"),
        (["fit", good, "--columns", "A,1"], "column 'A' is selected twice"),
        (["fit", good, "--columns", "A,A"], "selected twice"),
        (["fit", good, "--columns", "Date"], "column 'Date' is not numeric: row 0 holds '2020-01-000'"),
        (["fit", str(mixed)], "column 'B' is not numeric: row 1 holds 'oops'"),
        (["fit", str(tmp_path / "few.npy")], "3 usable row(s); fitting 3 column(s) needs at least 5"),
        (["fit", str(tmp_path / "negative.npy"), "--returns", "log"], "log returns need positive prices; "
                                                                        "column '1' holds -1.0 at row 5"),
        (["fit"], "give a DATA file"),
        (["fit", good, "--demo"], "either DATA or --demo"),
        (["fit", "--demo", "--returns", "log"], "--returns apply to DATA"),
    ]
    if __import__("importlib").util.find_spec("pyarrow"):
        cases.append((["fit", str(tmp_path / "garbage.parquet")], "cannot read as Parquet"))
    for argv, message in cases:
        assert_one_line_error(argv, message)


def test_a_failed_fit_is_reported_with_exit_status_1(tmp_path):
    X = np.column_stack([np.random.default_rng(0).normal(size=50), np.ones(50)])
    np.save(tmp_path / "constant.npy", X)
    status, out, err = call("fit", str(tmp_path / "constant.npy"), "--family", "vg")
    assert status == 1
    assert "vg        fit failed: X must not have a constant column" in out
    assert "[1/1] VG (VarianceGamma): failed after" in err


def test_demo_without_arch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "arch", None)
    monkeypatch.setitem(sys.modules, "arch.data", None)
    assert_one_line_error(["fit", "--demo"], 'needs the arch package: pip install "normix[data]"')


def test_bad_options_are_usage_errors(tmp_path, capsys):
    for argv in (["fit", "x.csv", "--max-iter", "0"], ["fit", "x.csv", "--tol", "-1"],
                 ["fit", "x.csv", "--family", "t"], ["fit", "x.csv", "--backend", "gpu"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


# ------------------------------------------------------------------------ report
def test_report_plots_call_the_plotting_functions(tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normix.fitting.em import EMResult
    from normix.utils import plotting

    calls = []

    def figure(name):
        def draw(*args, **kwargs):
            calls.append((name, kwargs))
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, 1])
            return fig
        return draw

    for name in ("qq_plots", "density_histogram", "pairwise_scatter"):
        monkeypatch.setattr(plotting, name, figure(name), raising=False)
    monkeypatch.delattr(plotting, "loglik_trace", raising=False)
    model = normix.NormalInverseGaussian.from_classical(mu=[0.0, 0.0], gamma=[0.1, 0.0], sigma=np.eye(2),
                                                        mu_ig=1.0, lam=1.0)
    result = EMResult(model, np.array([-3.0, -2.9]), np.array([0.1, 0.01]), 2, True, 0.1)
    err = io.StringIO()
    written = write_plots(str(tmp_path / "report"), [Fit("nig", result=result)], np.zeros((10, 2)), err)
    stems = sorted(p.rsplit("/", 1)[-1] for p in written)
    assert stems == ["nig_density_0.png", "nig_density_1.png", "nig_pairs.png", "nig_qq.png"]
    for path in written:
        with open(path, "rb") as stream:
            assert stream.read(8) == b"\x89PNG\r\n\x1a\n"
    assert ("density_histogram", {"column": 1, "log_scale": True}) in calls
    assert "no loglik_trace plots" in err.getvalue()


# ------------------------------------------------------------------- end to end
def nig_rows(n, seed):
    """Rows of a NIG law drawn with numpy: Y ~ InverseGaussian(1, 1.5), X = mu + gamma Y + sqrt(Y) L Z."""
    rng = np.random.default_rng(seed)
    y = rng.wald(1.0, 1.5, n)
    L = np.linalg.cholesky([[1.0, 0.4], [0.4, 0.8]])
    return np.array([0.1, -0.1]) + np.outer(y, [0.3, -0.2]) + np.sqrt(y)[:, None] * (rng.normal(size=(n, 2)) @ L.T)


def test_fit_small_csv_end_to_end(tmp_path):
    """All four families on a small CSV in a fresh process: progress, tables, files, reloadable models."""
    X = nig_rows(400, seed=2)
    path = tmp_path / "returns.csv"
    path.write_text("x,y\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in X) + "\n")
    out_dir = tmp_path / "out"
    out = run_cli("fit", str(path), "--tol", "1e-6", "--out", str(out_dir), "--no-plots")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    for i, family in enumerate(("NIG", "VG", "NINVG", "GH"), 1):
        assert f"[{i}/4] {family} (" in out.stderr
    summary = json.loads((out_dir / "summary.json").read_text())
    rows = {row["family"]: row for row in summary["families"]}
    assert list(rows) == ["nig", "vg", "ninvg", "gh"]
    assert summary["n"] == 400 and summary["columns"] == ["x", "y"]
    assert (out_dir / "summary.txt").read_text() == out.stdout
    for family, row in rows.items():
        printed = next(line.split() for line in out.stdout.splitlines() if line.startswith(family + " "))
        assert float(printed[1]) == pytest.approx(row["mean_log_likelihood"], abs=1e-6)
        assert printed[6] == str(row["converged"])
        k = {"gh": 9}.get(family, 8)
        assert row["n_parameters"] == k
        assert row["aic"] == pytest.approx(2 * k - 2 * row["log_likelihood"], rel=1e-12)
        assert row["bic"] == pytest.approx(k * np.log(400) - 2 * row["log_likelihood"], rel=1e-12)
        model = normix.load(out_dir / row["model_file"])
        assert type(model).__name__ == row["class"]
        assert log_likelihood(model, X) == pytest.approx(row["log_likelihood"], rel=1e-13)
    tests = summary["likelihood_ratio_tests"]
    assert [t["restricted"] for t in tests] == ["nig", "vg", "ninvg"]
    for t in tests:
        statistic = 2 * (rows["gh"]["log_likelihood"] - rows[t["restricted"]]["log_likelihood"])
        assert t["statistic"] == pytest.approx(statistic, rel=1e-9, abs=1e-9)
        chi2 = __import__("scipy.stats").stats.chi2.sf(max(statistic, 0), 1)
        if t["restricted"] in ("vg", "ninvg"):  # boundary null 0.5 chi2(0) + 0.5 chi2(1)
            chi2 = 0.5 * chi2 if statistic > 0 else 1.0
        assert t["p_value"] == pytest.approx(chi2, rel=1e-6, abs=1e-12)
    assert summary["bic_ranking"] == sorted(rows, key=lambda f: rows[f]["bic"])
    assert summary["plots"] == [] and not (out_dir / "report").exists()


@pytest.mark.slow
def test_fit_demo_on_stock_index_returns(tmp_path):
    pytest.importorskip("arch")
    out = run_cli("fit", "--demo", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n"] > 5000 and summary["d"] == 2
    rows = {row["family"]: row for row in summary["families"]}
    assert set(rows) == {"nig", "vg", "ninvg", "gh"}
    assert all(row["converged"] for row in rows.values())
    # GH starts from the best special case and EM does not lower the likelihood
    assert rows["gh"]["log_likelihood"] >= max(rows[f]["log_likelihood"] for f in ("nig", "vg", "ninvg")) - 1e-6
    tests = {t["restricted"]: t for t in summary["likelihood_ratio_tests"]}
    assert set(tests) == {"nig", "vg", "ninvg"} and all(t["df"] == 1 for t in tests.values())
    for family, test in tests.items():
        assert test["statistic"] == pytest.approx(2 * (rows["gh"]["log_likelihood"] - rows[family]["log_likelihood"]),
                                                  abs=1e-6)
    assert summary["bic_ranking"] == sorted(rows, key=lambda f: rows[f]["bic"])
    assert "BIC ranking" in out.stdout and "Likelihood-ratio tests against GH" in out.stdout
    for family in rows:
        assert isinstance(normix.load(tmp_path / f"{family}.json"), getattr(normix, rows[family]["class"]))
    from normix.utils import plotting

    expected = {"qq_plots": ["qq"], "density_histogram": ["density_0", "density_1"], "pairwise_scatter": ["pairs"],
                "loglik_trace": ["loglik"]}
    stems = [stem for name, group in expected.items() if hasattr(plotting, name) for stem in group]
    if __import__("importlib").util.find_spec("matplotlib"):
        assert sorted(summary["plots"]) == sorted(f"report/{f}_{stem}.png" for f in rows for stem in stems)
        for plot in summary["plots"]:
            assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_fit_with_jax_backend(tmp_path):
    X = np.random.default_rng(3).standard_t(5, size=(300, 2))
    np.save(tmp_path / "x.npy", X)
    out = run_cli("fit", str(tmp_path / "x.npy"), "--family", "vg", "--backend", "jax", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    row = json.loads((tmp_path / "summary.json").read_text())["families"][0]
    model = normix.load(tmp_path / "vg.json")
    assert log_likelihood(model, X, "jax") == pytest.approx(row["log_likelihood"], rel=1e-13)


def test_a_fit_that_stops_early_says_why(tmp_path):
    X = np.random.default_rng(1).standard_t(5, size=(200, 2))
    np.save(tmp_path / "t5.npy", X)
    status, out, err = call("fit", str(tmp_path / "t5.npy"), "--family", "nig", "--max-iter", "1", "--no-plots")
    assert status == 0, err
    assert "[1/1] NIG (NormalInverseGaussian): NOT converged, 1 iterations" in err
    assert "stopped after max_iter=1 iterations without meeting tol=" in err
