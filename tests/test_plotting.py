"""The plotting theme used by the tutorials."""
import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")


def test_set_theme_changes_matplotlib_defaults():
    from normix.utils.plotting import PALETTE, set_theme

    with matplotlib.rc_context():
        set_theme()
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert matplotlib.rcParams["axes.grid"] is True
        assert list(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]) == list(PALETTE)
        set_theme(**{"figure.dpi": 150})
        assert matplotlib.rcParams["figure.dpi"] == 150


def test_set_theme_rejects_unknown_parameters():
    from normix.utils.plotting import set_theme

    with matplotlib.rc_context(), pytest.raises(ValueError, match="not.a.param"):
        set_theme(**{"not.a.param": 1})


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, normix.utils.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
