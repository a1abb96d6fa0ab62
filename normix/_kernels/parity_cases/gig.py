"""Parity cases of the GIG kernels (twins ``gig_cpu.py`` / ``gig_jax.py``).

``gig_moments`` and ``gig_fisher``: regular p in [-5, 5], w = sqrt(ab) in [0.1, 10];
extreme p from -50 to 50, a/b from 1e-12 to 1e12 and w from 1e-6 to 1e4 (the Hankel
branch of the Turán quantity); limits b = 0 (Gamma), a = 0 (InverseGamma), the
improper and invalid inputs that give NaN.

``gig_eta_to_theta``: η of well-conditioned laws (the rescaled condition number
below ~3e3, see ``gig_solve_cpu.py``), with and without warm starts, including the
three reference cases GIG(-1/2, 2, 1), GIG(3, 1/2, 4) and GIG(-2, 1e-6, 1); extreme
a/b from 3e-12 to 1e12 and scales from 1e-150 to 1e150, and invalid η (Jensen's
inequalities violated, non-positive or non-finite entries), which give NaN, not
converged, 0 steps.  The η values are those of the listed laws, written out.
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL"]


def _grid(p, ratio, w):
    p, ratio, w = np.meshgrid(np.asarray(p, float), np.asarray(ratio, float), np.asarray(w, float), indexing="ij")
    p, ratio, w = p.ravel(), ratio.ravel(), w.ravel()
    return p, w * np.sqrt(ratio), w / np.sqrt(ratio)


_REGULAR = _grid(np.linspace(-5.0, 5.0, 11), [0.25, 1.0, 4.0], [0.1, 1.0, 10.0])
_EXTREME = _grid([-50.0, -10.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 50.0], [1e-12, 1e-6, 1e6, 1e12], [1e-6, 1e-2, 1e2, 1e4])
_LIMITS = (
    np.array([2.0, 0.5, 3.0, 1.0, -2.0, -0.5, -3.0, 0.0, 0.0, -1.0, 1.0, np.nan, 1.0, 1.0, 1.0, 1.0]),
    np.array([1.0, 2.0, 0.5, 4.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, -1.0, np.inf, 1.0, np.nan]),
    np.array([0.0, 0.0, 0.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, -2.0, 1.0]),
)

# η of GIG(-0.5, 2, 1), GIG(3, 0.5, 4), GIG(-2, 1e-6, 1), GIG(0, 1, 1), GIG(1.5, 3, 0.7),
# GIG(-1.2, 0.4, 2.5), GIG(0.3, 5, 5), GIG(2, 0.2, 0.3).
_ETA_REGULAR = np.array([
    [-0.6214988502121179, 2.4142135623730976, 0.7071067811865487],
    [2.4052545254939197, 0.10752426157518191, 12.860194092601455],
    [-1.1159317656541923, 4.000000499998244, 0.4999982440773608],
    [0.0, 1.4296253982604017, 1.4296253982604017],
    [0.03953972776645087, 1.2249209307789375, 1.2858148838484187],
    [0.09165734140279236, 1.203749675554038, 1.5234354722127381],
    [0.0549772475016993, 1.0372975575109444, 1.1572975575109443],
    [2.738810532884178, 0.095249243364443, 20.142873865046663],
])
_THETA0_REGULAR = np.full((8, 3), np.nan)
_THETA0_REGULAR[1::2] = np.array([[3.06, 0.485, 4.2], [0.0, 1.0, 1.0], [-1.224, 0.388, 2.625], [2.04, 0.194, 0.315]])

# η of GIG(-2, 1e-6, 1e6), GIG(1, 1e6, 1e-6), GIG(0.5, 3e-12, 3), GIG(-0.7, 4e6, 4e-6),
# GIG(0.2, 1e-20, 1e-10), GIG(1.2, 1e150, 1e-150), then invalid rows.
_ETA_EXTREME = np.array([
    [12.55639290722711, 4.3704411746314175e-06, 370441.1746314179],
    [-13.116026622370502, 699483.9355937725, 2.6994839355937722e-06],
    [25.262120661244545, 1.0000000000000008e-06, 333334333333.3333],
    [-13.972460413288974, 1306092.730838561, 9.560927308385609e-07],
    [41.45587565158717, 3843.8336627596223, 4.0000038438336627e19],
    [-344.56313055863546, 6.0937418888509494e149, 3.0093741888850947e-150],
    [0.0, 1.0, 1.0],
    [0.0, 0.5, 1.5],
    [1.0, 2.0, 2.0],
    [-1.0, 2.0, 2.0],
    [np.nan, 2.0, 2.0],
    [0.0, -1.0, 2.0],
    [0.0, 2.0, np.inf],
])
_THETA0_EXTREME = np.full((13, 3), np.nan)
_THETA0_EXTREME[0] = [-2.1, 1.1e-6, 0.9e6]
_THETA0_EXTREME[5] = [1.25, 0.9e150, 1.2e-150]

CASES = {
    "gig_moments": {"regular": _REGULAR, "extreme": _EXTREME, "limits": _LIMITS},
    "gig_fisher": {"regular": _REGULAR, "extreme": _EXTREME, "limits": _LIMITS},
    "gig_eta_to_theta": {
        "regular": (_ETA_REGULAR, _THETA0_REGULAR, 500, 1e-10),
        "extreme": (_ETA_EXTREME, _THETA0_EXTREME, 500, 1e-10),
    },
}

RTOL = {"gig_moments": 1e-13, "gig_fisher": 1e-12, "gig_eta_to_theta": 1e-8}
ATOL = {"gig_moments": 1e-14, "gig_eta_to_theta": 1e-13}
