"""Parity cases of ``digamma_inv`` (twins ``digamma_cpu.py`` / ``digamma_jax.py``).

Regular: c from −50 to −1e-6, where Gamma and InverseGamma fits live (shapes from
about 0.02 to 5e5).  Extreme: the ends of the documented range −1e300 <= c <= −1e-300,
both sides of the switch between the recurrence and the asymptotic series
(α = DIGAMMA_SHIFT, c = ψ(10) − log 10), and the edge values c = 0, c > 0, NaN
(NaN out) and c = −inf (0 out).
"""
import numpy as np

__all__ = ["CASES", "RTOL"]

_SWITCH = -0.050832503927324968  # ψ(10) − log 10: the root there is α = 10

CASES = {
    "digamma_inv": {
        "regular": (-np.geomspace(1e-6, 50.0, 64),),
        "extreme": (
            np.concatenate([
                -np.geomspace(1e-300, 1e300, 61),
                _SWITCH * (1.0 + np.array([-1e-9, -1e-14, 0.0, 1e-14, 1e-9])),
                [0.0, 2.5, np.nan, -np.inf],
            ]).reshape(7, 10),
        ),
    },
}

RTOL = {"digamma_inv": 1e-13}
