"""KL divergence and squared Hellinger distance against quadrature and textbook closed forms.

The references are written here from the densities (scipy.stats, math, scipy.special),
independently of normix: one-dimensional quadrature (``scipy.integrate.quad``) for the
univariate families and the marginal mixtures in d = 1, nested quadrature over (x, y)
for the joint mixtures in d = 1, and the textbook formula for two multivariate normals.
"""
import functools
import math

import jax
import numpy as np
import pytest
import scipy.stats as st
from scipy.integrate import quad
from scipy.special import gammaln, kve

from normix import (
    GIG,
    Gamma,
    GeneralizedHyperbolic,
    InverseGamma,
    InverseGaussian,
    MultivariateNormal,
    NormalInverseGamma,
    NormalInverseGaussian,
    VarianceGamma,
)
from normix.divergences import MonteCarloEstimate, kl_divergence, kl_upper_bound, squared_hellinger

QUAD = dict(epsabs=1e-12, epsrel=1e-11, limit=200)


# ------------------------------------------------------------------ references
def kl_quad(logpdf_p, logpdf_q, lo, hi):
    def integrand(x):
        lp = logpdf_p(x)
        return 0.0 if lp == -math.inf else math.exp(lp) * (lp - logpdf_q(x))
    return quad(integrand, lo, hi, **QUAD)[0]


def hellinger_quad(logpdf_p, logpdf_q, lo, hi):
    return 1.0 - quad(lambda x: math.exp(0.5 * logpdf_p(x) + 0.5 * logpdf_q(x)), lo, hi, **QUAD)[0]


def log_kv(v, z):
    return math.log(kve(v, z)) - z


@functools.cache
def subordinator_log_normaliser(p, a, b):
    """log ∫ y^(p-1) exp(-(a y + b/y)/2) dy (GIG, or its Gamma / InverseGamma limit)."""
    if b == 0:
        return gammaln(p) - p * math.log(a / 2)
    if a == 0:
        return gammaln(-p) + p * math.log(b / 2)
    return math.log(2) + log_kv(p, math.sqrt(a * b)) + 0.5 * p * math.log(b / a)


def subordinator_logpdf(y, p, a, b):
    if y <= 0:
        return -math.inf
    return (p - 1) * math.log(y) - 0.5 * (a * y + b / y) - subordinator_log_normaliser(p, a, b)


def joint_logpdf(x, y, mu, gamma, s2, p, a, b):
    """log N(x; mu + gamma y, s2 y) + log f_Y(y), d = 1."""
    v = s2 * y
    return -0.5 * math.log(2 * math.pi * v) - (x - mu - gamma * y) ** 2 / (2 * v) + subordinator_logpdf(y, p, a, b)


def marginal_logpdf(x, mu, gamma, s2, p, a, b):
    """log ∫ f(x, y) dy in d = 1: the Bessel closed form (McNeil, Frey and Embrechts 2005, (3.30))."""
    q, big_a, nu = (x - mu) ** 2 / s2, gamma**2 / s2, p - 0.5
    alpha, beta = a + big_a, b + q
    if beta == 0:  # VG at x = mu: (beta/alpha)^(nu/2) K_nu(sqrt(alpha beta)) -> Gamma(nu) 2^(nu-1) / alpha^nu
        bessel_part = gammaln(nu) + (nu - 1) * math.log(2) - nu * math.log(alpha)
    else:
        bessel_part = 0.5 * nu * math.log(beta / alpha) + log_kv(nu, math.sqrt(alpha * beta))
    return (-0.5 * math.log(2 * math.pi * s2) - subordinator_log_normaliser(p, a, b) + math.log(2)
            + bessel_part + (x - mu) * gamma / s2)


def joint_kl_quad(par_p, par_q):
    def inner(y):
        m, s = par_p[0] + par_p[1] * y, math.sqrt(par_p[2] * y)
        return quad(lambda x: math.exp(joint_logpdf(x, y, *par_p)) * (joint_logpdf(x, y, *par_p)
                                                                      - joint_logpdf(x, y, *par_q)),
                    m - 14 * s, m + 14 * s, epsabs=1e-13, epsrel=1e-10, limit=100)[0]
    return quad(inner, 0, math.inf, **QUAD)[0]


def joint_hellinger_quad(par_p, par_q):
    def inner(y):
        m = 0.5 * (par_p[0] + par_q[0] + (par_p[1] + par_q[1]) * y)
        s = math.sqrt(max(par_p[2], par_q[2]) * y)
        spread = abs(par_p[0] - par_q[0]) + abs(par_p[1] - par_q[1]) * y
        return quad(lambda x: math.exp(0.5 * joint_logpdf(x, y, *par_p) + 0.5 * joint_logpdf(x, y, *par_q)),
                    m - spread - 14 * s, m + spread + 14 * s, epsabs=1e-13, epsrel=1e-10, limit=100)[0]
    return 1.0 - quad(inner, 0, math.inf, **QUAD)[0]


# ------------------------------------------------------------- univariate families
# Log densities from their textbook formulas (fast scalar evaluation for quad), each
# checked against scipy.stats below.
def gamma_logpdf(alpha, beta):
    return lambda x: alpha * math.log(beta) - gammaln(alpha) + (alpha - 1) * math.log(x) - beta * x


def inverse_gamma_logpdf(alpha, beta):
    return lambda x: alpha * math.log(beta) - gammaln(alpha) - (alpha + 1) * math.log(x) - beta / x


def inverse_gaussian_logpdf(mu, lam):
    return lambda x: 0.5 * math.log(lam / (2 * math.pi)) - 1.5 * math.log(x) - lam * (x - mu) ** 2 / (2 * mu**2 * x)


def gig_logpdf(p, a, b):
    return lambda x: subordinator_logpdf(x, p, a, b)


UNIVARIATE = {
    "Gamma": (Gamma, (2.0, 1.5), (3.5, 0.7), gamma_logpdf,
              lambda x, al, be: st.gamma.logpdf(x, al, scale=1 / be)),
    "InverseGamma": (InverseGamma, (3.0, 2.0), (1.5, 0.8), inverse_gamma_logpdf,
                     lambda x, al, be: st.invgamma.logpdf(x, al, scale=be)),
    "InverseGaussian": (InverseGaussian, (1.0, 2.0), (1.8, 0.9), inverse_gaussian_logpdf,
                        lambda x, mu, lam: st.invgauss.logpdf(x, mu / lam, scale=lam)),
    "GIG": (GIG, (1.3, 2.0, 0.7), (-0.8, 1.1, 2.5), gig_logpdf,
            lambda x, p, a, b: st.geninvgauss.logpdf(x, p, math.sqrt(a * b), scale=math.sqrt(b / a))),
}


@pytest.mark.parametrize("name", sorted(UNIVARIATE))
def test_univariate_divergences_match_quadrature(name):
    family, par_p, par_q, logpdf, scipy_logpdf = UNIVARIATE[name]
    grid = np.array([0.05, 0.4, 1.0, 2.5, 7.0])
    for par in (par_p, par_q):
        assert [logpdf(*par)(x) for x in grid] == pytest.approx(scipy_logpdf(grid, *par), rel=1e-12, abs=1e-12)
    for first, second in ((par_p, par_q), (par_q, par_p)):
        lp, lq = logpdf(*first), logpdf(*second)
        p, q = family(*first), family(*second)
        assert kl_divergence(p, q) == pytest.approx(kl_quad(lp, lq, 0, math.inf), rel=1e-8, abs=1e-12)
        assert squared_hellinger(p, q) == pytest.approx(hellinger_quad(lp, lq, 0, math.inf), rel=1e-8, abs=1e-12)


def test_normal_divergences_match_quadrature_in_one_dimension():
    p = MultivariateNormal(np.array([0.3]), np.array([[1.2]]))
    q = MultivariateNormal(np.array([-0.5]), np.array([[0.7]]))
    lp = lambda x: st.norm.logpdf(x, 0.3, 1.2)  # noqa: E731
    lq = lambda x: st.norm.logpdf(x, -0.5, 0.7)  # noqa: E731
    assert kl_divergence(p, q) == pytest.approx(kl_quad(lp, lq, -math.inf, math.inf), rel=1e-9)
    assert squared_hellinger(p, q) == pytest.approx(hellinger_quad(lp, lq, -math.inf, math.inf), rel=1e-9)


def test_normal_kl_matches_the_textbook_formula():
    """KL = ½ [tr(Σ_q⁻¹Σ_p) + (μ_q − μ_p)ᵀΣ_q⁻¹(μ_q − μ_p) − d + log(|Σ_q|/|Σ_p|)].

    H² = 1 − exp(−D_B) with the Bhattacharyya distance of two normals,
    D_B = ⅛ ΔμᵀS⁻¹Δμ + ½ log(|S| / √(|Σ_p||Σ_q|)), S = (Σ_p + Σ_q)/2.
    """
    rng = np.random.default_rng(3)
    for d in (2, 3, 5):
        A, B = rng.normal(size=(d, d)), rng.normal(size=(d, d))
        sp, sq = A @ A.T + 0.5 * np.eye(d), B @ B.T + 0.5 * np.eye(d)
        mp, mq = rng.normal(size=d), rng.normal(size=d)
        p, q = MultivariateNormal.from_classical(mp, sp), MultivariateNormal.from_classical(mq, sq)
        iq = np.linalg.inv(sq)
        dm = mq - mp
        textbook = 0.5 * (np.trace(iq @ sp) + dm @ iq @ dm - d + np.linalg.slogdet(sq)[1] - np.linalg.slogdet(sp)[1])
        assert kl_divergence(p, q) == pytest.approx(textbook, rel=1e-10)
        s = 0.5 * (sp + sq)
        log_dets = [np.linalg.slogdet(m)[1] for m in (s, sp, sq)]
        bhattacharyya = dm @ np.linalg.solve(s, dm) / 8 + 0.5 * (log_dets[0] - 0.5 * log_dets[1] - 0.5 * log_dets[2])
        assert squared_hellinger(p, q) == pytest.approx(1 - math.exp(-bhattacharyya), rel=1e-10)


# ------------------------------------------------------------------------ mixtures
# d = 1 parameters (mu, gamma, sigma², p, a, b) of two members of each family, and the constructor.
def _nig(mu, gamma, s2, p, a, b):
    return NormalInverseGaussian.from_classical(mu=np.array([mu]), gamma=np.array([gamma]), sigma=np.array([[s2]]),
                                                mu_ig=math.sqrt(b / a), lam=b)


def _vg(mu, gamma, s2, p, a, b):
    return VarianceGamma.from_classical(mu=np.array([mu]), gamma=np.array([gamma]), sigma=np.array([[s2]]),
                                        alpha=p, beta=a / 2)


def _ninvg(mu, gamma, s2, p, a, b):
    return NormalInverseGamma.from_classical(mu=np.array([mu]), gamma=np.array([gamma]), sigma=np.array([[s2]]),
                                             alpha=-p, beta=b / 2)


def _gh(mu, gamma, s2, p, a, b):
    return GeneralizedHyperbolic.from_classical(mu=np.array([mu]), gamma=np.array([gamma]), sigma=np.array([[s2]]),
                                                p=p, a=a, b=b)


MIXTURES = {
    "NIG": (_nig, (0.0, 0.5, 1.0, -0.5, 1.2, 1.2), (0.3, -0.2, 1.5, -0.5, 3.125, 2.0)),
    "VG": (_vg, (0.0, 0.4, 1.0, 2.5, 4.0, 0.0), (0.2, 0.1, 0.8, 1.5, 2.4, 0.0)),
    "NInvG": (_ninvg, (0.0, 0.3, 1.0, -3.0, 0.0, 4.0), (-0.2, 0.5, 1.3, -4.0, 0.0, 7.0)),
    "GH": (_gh, (0.0, 0.5, 1.0, 1.2, 1.5, 0.8), (0.4, -0.3, 0.7, -0.7, 2.0, 1.3)),
}
N_MC = 20_000


@pytest.fixture(scope="module", params=sorted(MIXTURES))
def mixture_pair(request):
    make, par_p, par_q = MIXTURES[request.param]
    return make(*par_p), make(*par_q), par_p, par_q


def test_joint_divergences_match_nested_quadrature(mixture_pair):
    p, q, par_p, par_q = mixture_pair
    assert kl_divergence(p.joint, q.joint) == pytest.approx(joint_kl_quad(par_p, par_q), rel=1e-6)
    assert squared_hellinger(p.joint, q.joint) == pytest.approx(joint_hellinger_quad(par_p, par_q), rel=1e-6)


def test_marginal_monte_carlo_matches_quadrature_and_the_joint_bound_holds(mixture_pair):
    p, q, par_p, par_q = mixture_pair
    lp = lambda x: marginal_logpdf(x, *par_p)  # noqa: E731
    lq = lambda x: marginal_logpdf(x, *par_q)  # noqa: E731
    kl_ref = kl_quad(lp, lq, -math.inf, math.inf)
    h2_ref = hellinger_quad(lp, lq, -math.inf, math.inf)

    kl = kl_divergence(p, q, n_samples=N_MC, seed=1)
    assert isinstance(kl, MonteCarloEstimate) and kl.n_samples == N_MC
    assert 0 < kl.standard_error < 0.1 * kl_ref
    assert abs(kl.value - kl_ref) < 4 * kl.standard_error

    h2 = squared_hellinger(p, q, n_samples=2 * N_MC, seed=2)  # N_MC draws of each law
    assert 0 < h2.standard_error < 0.1 * h2_ref
    assert abs(h2.value - h2_ref) < 4 * h2.standard_error

    bound = kl_upper_bound(p, q)
    assert bound == kl_divergence(p.joint, q.joint)
    assert bound >= kl_ref


# Compiling the joint ψ of NIG and GH (Bessel functions) takes seconds: those two run with the slow tests.
@pytest.mark.parametrize("name", ["VG", "NInvG", pytest.param("NIG", marks=pytest.mark.slow),
                                  pytest.param("GH", marks=pytest.mark.slow)])
def test_joint_kl_is_the_bregman_form_of_the_joint_family(name):
    """ψ(θ_q) − ψ(θ_p) − (θ_q − θ_p)·η_p with the joint's own θ and ψ.

    η_p = E_p[t(X, Y)] from the moments of Y (by quadrature) and the formulas of E[x], E[x/y], E[x xᵀ/y].
    """
    make, par_p, par_q = MIXTURES[name]
    p, q = make(*par_p), make(*par_q)
    for first, second in ((p.joint, q.joint), (q.joint, p.joint)):
        e_log, e_inv, e_y = _subordinator_moments_by_quadrature(*(float(v) for v in first.gig_params()))
        mu, gamma, sigma = (np.asarray(v) for v in (first.mu, first.gamma, first.sigma()))
        eta = np.concatenate([[e_log, e_inv, e_y], mu + gamma * e_y, mu * e_inv + gamma,
                              (sigma + np.outer(mu, mu) * e_inv + np.outer(mu, gamma) + np.outer(gamma, mu)
                               + np.outer(gamma, gamma) * e_y).ravel()])
        theta_p, theta_q = np.asarray(first.natural_params()), np.asarray(second.natural_params())
        psi = jax.jit(type(first)._log_partition_from_theta)  # the joint's own ψ, compiled once
        bregman = float(psi(theta_q)) - float(psi(theta_p)) - (theta_q - theta_p) @ eta
        assert kl_divergence(first, second) == pytest.approx(bregman, rel=1e-9)


def _subordinator_moments_by_quadrature(p, a, b):
    return [quad(lambda y: f(y) * math.exp(subordinator_logpdf(y, p, a, b)), 0, math.inf, **QUAD)[0]
            for f in (math.log, lambda y: 1 / y, lambda y: y)]


# ---------------------------------------------------------------- general properties
def _closed_form_members(rng):
    """A random member of each closed-form family (univariate, normal in d = 3, joint mixtures in d = 2)."""
    d = 2
    mu, gamma = rng.normal(size=d), rng.normal(size=d)
    A = rng.normal(size=(d, d))
    sigma = A @ A.T + 0.3 * np.eye(d)
    B = rng.normal(size=(3, 3))
    u = rng.uniform(0.3, 3.0, size=3)
    return [
        Gamma(u[0], u[1]), InverseGamma(u[0], u[1]), InverseGaussian(u[0], u[1]), GIG(rng.normal(), u[0], u[1]),
        MultivariateNormal.from_classical(rng.normal(size=3), B @ B.T + 0.3 * np.eye(3)),
        NormalInverseGaussian.from_classical(mu=mu, gamma=gamma, sigma=sigma, mu_ig=u[0], lam=u[1]).joint,
        VarianceGamma.from_classical(mu=mu, gamma=gamma, sigma=sigma, alpha=u[0] + 1.0, beta=u[1]).joint,
        NormalInverseGamma.from_classical(mu=mu, gamma=gamma, sigma=sigma, alpha=u[0] + 1.0, beta=u[1]).joint,
        GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=rng.normal(), a=u[0], b=u[1]).joint,
    ]


def test_closed_forms_on_random_pairs_are_nonnegative_symmetric_and_zero_on_the_diagonal():
    rng = np.random.default_rng(7)
    for _ in range(4):
        for p, q in zip(_closed_form_members(rng), _closed_form_members(rng)):
            assert kl_divergence(p, p) == 0.0
            assert squared_hellinger(p, p) == 0.0
            kl = kl_divergence(p, q)
            h2 = squared_hellinger(p, q)
            assert kl > 0 and math.isfinite(kl), type(p).__name__
            assert 0 < h2 < 1
            assert squared_hellinger(q, p) == pytest.approx(h2, rel=1e-12)
            # Le Cam's inequality H² <= KL / 2 (with H² = 1 − BC): a relation between the two computations.
            assert h2 <= 0.5 * kl


def test_joint_variance_gamma_with_infinite_inverse_moment():
    """Shape <= 1: E[1/Y] = inf; KL is +inf when μ differs and finite (the Gamma KL part) when only γ does."""
    def vg(mu, gamma, alpha):
        return VarianceGamma.from_classical(mu=np.array([mu]), gamma=np.array([gamma]), sigma=np.array([[1.0]]),
                                            alpha=alpha, beta=1.0).joint
    assert kl_divergence(vg(0.0, 0.3, 0.8), vg(0.5, 0.3, 0.8)) == math.inf
    same_mu = kl_divergence(vg(0.0, 0.3, 0.8), vg(0.0, -0.2, 1.3))
    gamma_part = kl_divergence(Gamma(0.8, 1.0), Gamma(1.3, 1.0))
    assert same_mu == pytest.approx(gamma_part + 0.5 * 0.5**2 * 0.8, rel=1e-12)
    assert 0 < squared_hellinger(vg(0.0, 0.3, 0.8), vg(0.5, 0.3, 0.8)) < 1


def test_monte_carlo_is_reproducible_and_zero_on_the_diagonal(mixture_pair):
    p, q, _, _ = mixture_pair
    assert kl_divergence(p, q, n_samples=N_MC, seed=5) == kl_divergence(p, q, n_samples=N_MC, seed=5)
    assert kl_divergence(p, q, n_samples=N_MC, seed=5) != kl_divergence(p, q, n_samples=N_MC, seed=6)
    same = kl_divergence(p, p, n_samples=N_MC)
    assert same.value == 0.0 and same.standard_error == 0.0
    assert squared_hellinger(p, p, n_samples=2 * N_MC).value == 0.0


def test_bad_pairs_raise_errors_naming_the_argument():
    nig2 = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.zeros(2), sigma=np.eye(2), mu_ig=1.0,
                                                lam=1.0)
    nig1 = _nig(*MIXTURES["NIG"][1])
    vg1 = _vg(*MIXTURES["VG"][1])
    with pytest.raises(ValueError, match="q must be of the same family"):
        kl_divergence(Gamma(1.0, 1.0), InverseGamma(1.0, 1.0))
    with pytest.raises(ValueError, match="q must be of the same family"):
        squared_hellinger(nig1, vg1)
    with pytest.raises(ValueError, match="q must have the dimension"):
        kl_divergence(nig1, nig2)
    with pytest.raises(ValueError, match="q must have the dimension"):
        kl_divergence(nig1.joint, nig2.joint)
    with pytest.raises(ValueError, match="q must have the dimension"):
        squared_hellinger(MultivariateNormal(np.zeros(1), np.eye(1)), MultivariateNormal(np.zeros(2), np.eye(2)))
    with pytest.raises(ValueError, match="n_samples"):
        kl_divergence(nig1, nig1, n_samples=1)
    with pytest.raises(ValueError, match="n_samples and seed apply only"):
        kl_divergence(Gamma(1.0, 1.0), Gamma(2.0, 1.0), n_samples=100)
    with pytest.raises(TypeError, match="p must be"):
        kl_divergence(1.0, 1.0)
    with pytest.raises(TypeError, match="p must be a marginal mixture"):
        kl_upper_bound(nig1.joint, nig1.joint)
