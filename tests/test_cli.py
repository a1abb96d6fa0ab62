"""The command line's main job runs end to end in a fresh process."""
import subprocess
import sys


def test_demo_fits_all_four_families():
    out = subprocess.run([sys.executable, "-m", "normix", "demo", "--n", "2000"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    for family in ("NormalInverseGaussian", "VarianceGamma", "NormalInverseGamma", "GeneralizedHyperbolic"):
        line = next(l for l in out.stdout.splitlines() if l.strip().startswith(family))
        ll = float(line.split()[1])
        assert -10 < ll < 0
    assert "max |ours - scipy|" in out.stdout


def test_unknown_command_fails_cleanly():
    out = subprocess.run([sys.executable, "-m", "normix", "frobnicate"], capture_output=True, text=True)
    assert out.returncode != 0 and "invalid choice" in out.stderr and "Traceback" not in out.stderr
