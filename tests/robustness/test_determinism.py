"""Results are bit-identical for any number of numba threads and between runs with the same seed.

The parallel kernels cut the rows into a number of parts that depends only on n and
add the parts in order; this checks it from the outside: the same program run with
``NUMBA_NUM_THREADS=1`` and ``=2`` (which must be set before numba starts, hence fresh
interpreters) prints the same digests.  n = 6000 is above the row count under which the
kernels run on one thread, d = 3 takes the fused E-step and d = 70 the blocked one.
"""
import numpy as np

from normix import GeneralizedHyperbolic, NormalInverseGaussian
from robustness_helpers import model_bits, run_python

_PROGRAM = """
import hashlib
import numba
import numpy as np
from normix import GIG, GeneralizedHyperbolic, NormalInverseGaussian

def digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes())
    return h.hexdigest()[:16]

out = [str(numba.get_num_threads())]
rng = np.random.default_rng(0)
for d in (3, 70):
    A = rng.normal(size=(d, d))
    nig = NormalInverseGaussian.from_classical(mu=rng.normal(size=d), gamma=0.2 * rng.normal(size=d),
                                               sigma=A @ A.T / d + np.eye(d), mu_ig=1.0, lam=1.5)
    X = nig.rvs(6000, seed=d)
    out.append(digest(X))
    moments = nig.e_step(X, backend="cpu")
    out.append(digest(*moments.values()))
    fit = nig.fit(X, max_iter=4, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu")
    out.append(digest(fit.log_likelihoods, *[np.asarray(l) for l in (fit.model.joint.mu, fit.model.joint.L_Sigma)]))
X = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.5, -0.2]), sigma=np.eye(2),
                                         mu_ig=1.0, lam=1.0).rvs(6000, seed=1)
gh = GeneralizedHyperbolic.default_init(X).fit(X, max_iter=5, tol=1e-12)
out.append(digest(gh.log_likelihoods, gh.model.joint.mu, gh.model.joint.L_Sigma, gh.model.joint.p,
                  gh.model.joint.a, gh.model.joint.b))
out.append(digest(GIG(-0.7, 0.3, 2.0).rvs(100_000, seed=5)))
print(" ".join(out))
"""


def test_results_do_not_depend_on_the_numba_thread_count():
    one = run_python(_PROGRAM, env={"NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}).split()
    two = run_python(_PROGRAM, env={"NUMBA_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"}).split()
    assert (one[0], two[0]) == ("1", "2")
    assert one[1:] == two[1:]


def test_same_seed_same_results_in_one_process():
    model = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.4, 0.1]), sigma=np.eye(2),
                                                 mu_ig=1.0, lam=1.0)
    np.testing.assert_array_equal(model.rvs(500, seed=11), model.rvs(500, seed=11))
    assert not np.array_equal(model.rvs(500, seed=11), model.rvs(500, seed=12))
    X = model.rvs(500, seed=11)
    fits = [GeneralizedHyperbolic.default_init(X).fit(X, max_iter=10) for _ in range(2)]
    assert model_bits(fits[0].model) == model_bits(fits[1].model)
    np.testing.assert_array_equal(fits[0].log_likelihoods, fits[1].log_likelihoods)
