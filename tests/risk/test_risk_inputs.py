"""Invalid arguments of the risk functions raise ValueError naming the argument and the constraint."""
import numpy as np
import pytest

from normix import NormalInverseGaussian
from normix.risk import expected_shortfall, risk_contributions, tail_risk, value_at_risk

MODEL = NormalInverseGaussian.from_classical(mu=[0.0, 0.1], gamma=[0.1, -0.2], sigma=[[1.0, 0.2], [0.2, 0.5]],
                                             mu_ig=1.0, lam=1.5)
W = np.array([0.6, 0.4])
FUNCTIONS = [value_at_risk, expected_shortfall, tail_risk, risk_contributions]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("weights, match", [
    (np.ones(3), r"weights must have shape \(2,\) or \(K, 2\)"),
    (np.ones((2, 2, 2)), r"weights must have shape"),
    ([0.5, np.nan], "weights must be finite"),
    ([[0.5, 0.5], [0.0, 0.0]], r"weights must have no zero row.*\[1\]"),
    (["a", "b"], "weights must hold real numbers"),
    ([True, False], "weights must hold real numbers"),
])
def test_bad_weights(function, weights, match):
    with pytest.raises(ValueError, match=match):
        function(MODEL, weights, 0.99)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1, np.nan, [0.9, 1.0], [[0.9]], [], "0.99"])
def test_bad_levels(level):
    with pytest.raises(ValueError, match="level must"):
        expected_shortfall(MODEL, W, level)


def test_bad_model_backend_measure_and_flag():
    with pytest.raises(ValueError, match="model must be a normal mixture"):
        value_at_risk(np.eye(2), W, 0.99)
    with pytest.raises(ValueError, match="model must be one unbatched model"):
        value_at_risk(MODEL.project(np.eye(2)), W, 0.99)
    with pytest.raises(ValueError, match="backend must be one of"):
        value_at_risk(MODEL, W, 0.99, backend="gpu")
    with pytest.raises(ValueError, match="measure must be one of"):
        risk_contributions(MODEL, W, 0.99, measure="cvar")
    with pytest.raises(ValueError, match="returns must be True or False"):
        expected_shortfall(MODEL, W, 0.99, returns="yes")
