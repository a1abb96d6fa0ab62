"""One generating model per family, shared by the fitting tests of the dask, sharded and accelerated paths."""
import numpy as np

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma

SIGMA = np.array([[1.0, 0.3], [0.3, 0.7]])
FAMILIES = {
    "nig": (NormalInverseGaussian, {"mu_ig": 1.2, "lam": 1.5}),
    "vg": (VarianceGamma, {"alpha": 2.5, "beta": 1.5}),
    "ninvg": (NormalInverseGamma, {"alpha": 3.5, "beta": 2.0}),
    "gh": (GeneralizedHyperbolic, {"p": 0.7, "a": 1.3, "b": 0.8}),
}
