"""What a fitted mixture offers beyond its density: affine images, margins, batches, moments.

:class:`AbstractMixtureOperations` is the abstract base of
:class:`~normix.mixtures.marginal.NormalMixture`; its methods are thin: the math lives
in :mod:`normix.mixtures.affine` (A X + b, wᵀX, margins) and
:mod:`normix.mixtures.moments` (closed-form moments of R = m + gY + s√Y Z).  The laws
given X_A = x_A come from :meth:`AbstractMixtureOperations.condition` (the math in
:mod:`normix.mixtures.conditional`): a Generalized Hyperbolic law for every family.

Batched models
--------------
:meth:`AbstractMixtureOperations.project` with a (K, d) matrix of weights returns one
model of the family whose leaves carry a leading batch axis of K: ``mu`` and ``gamma``
of shape (K, 1), ``L_Sigma`` (K, 1, 1), each subordinator parameter (K,).  It is built
by ``jax.vmap`` over the family's constructor, so every member is validated as an
unbatched model.  ``batch_shape`` is then ``(K,)`` (``()`` for an ordinary model).

The density methods, ``mean``, ``cov``, ``rvs`` and the EM methods take unbatched
models: ``d`` raises ``ValueError`` on a batched one and names the remedy, ``jax.vmap``
over the model, e.g. ``jax.vmap(lambda m, x: m.log_prob(x))(batched, xs)`` with xs of
shape (K, 1).  :meth:`~AbstractMixtureOperations.moment`,
:meth:`~AbstractMixtureOperations.central_moment`,
:meth:`~AbstractMixtureOperations.skewness` and
:meth:`~AbstractMixtureOperations.kurtosis` accept batched models and return arrays
with the batch axes in front.
"""
import equinox as eqx
import jax.numpy as jnp

from normix.distributions._base import AbstractMultivariateDistribution
from normix.mixtures.affine import batched_models, check_columns, check_map, check_shift, check_weights, \
    image_normal_part, margin_normal_part, projection_normal_parts
from normix.mixtures.joint import JointNormalMixture
from normix.mixtures import conditional, moments, univariate


class AbstractMixtureOperations(AbstractMultivariateDistribution):
    """Abstract law of X = μ + γY + √Y L Z (a normal variance-mean mixture) with its affine images and moments.

    Subclasses hold ``joint`` (a :class:`~normix.mixtures.joint.JointNormalMixture`)
    and the class variable ``_joint_class`` (its family).
    """

    joint: eqx.AbstractVar[JointNormalMixture]

    @property
    def batch_shape(self):
        """Leading batch axes of the leaves: ``()`` for one law, ``(K,)`` for the K laws of ``project(W)``."""
        return self.joint.mu.shape[:-1]

    def _require_unbatched(self, method):
        """``ValueError`` naming ``method`` and the remedy (``jax.vmap`` over the model) on a batched model."""
        if self.batch_shape:
            raise ValueError(f"{method} takes an unbatched model, got one with batch_shape {self.batch_shape}; "
                             "map over the batch with jax.vmap, e.g. jax.vmap(lambda m, x: m.log_prob(x))(model, xs)")

    def _with_normal_part(self, mu, gamma, L_Sigma):
        """The model of this family with normal part (μ, γ, L_Σ) and this subordinator."""
        cls = type(self)
        return cls(cls._joint_class(mu, gamma, L_Sigma, *self.joint._subordinator_params()))

    # ---------------------------------------------------------------- affine maps
    def linear_map(self, A, b=None):
        """The law of AX + b: the same family with μ' = Aμ + b, γ' = Aγ, Σ' = AΣAᵀ and the same subordinator.

        Parameters
        ----------
        A : array, shape (k, d)
            Finite, 1 <= k <= d, of full row rank k (so that Σ' is positive definite).
        b : array, shape (k,), optional
            Finite shift (0 by default).

        Returns
        -------
        NormalMixture
            A model of ``type(self)`` of dimension k.  Traceable in ``A``, ``b`` and the
            parameters (under ``jit`` a rank-deficient A is reported by
            :func:`equinox.error_if`).

        Raises
        ------
        ValueError
            If A has the wrong shape, non-finite entries or rank < k, or b the wrong
            shape or non-finite entries; or on a batched model.
        """
        self._require_unbatched("linear_map")
        A = check_map(A, self.d)
        b = check_shift(b, A.shape[0])
        return self._with_normal_part(*image_normal_part(self.joint.mu, self.joint.gamma, self.joint.L_Sigma, A, b))

    def project(self, w):
        """The univariate law of wᵀX: m = wᵀμ, g = wᵀγ, s² = wᵀΣw, the same subordinator.

        Parameters
        ----------
        w : array, shape (d,) or (K, d)
            Portfolio weights, finite and not all zero; a (K, d) matrix gives K laws at once.

        Returns
        -------
        NormalMixture
            For w of shape (d,), a model of dimension 1 (``linear_map(w[None, :])``); for
            (K, d), one batched model with ``batch_shape == (K,)`` whose k-th member is
            the law of wₖᵀX (see the module docstring for what batched models accept).

        Raises
        ------
        ValueError
            If w has the wrong shape, non-finite entries or a zero row; or on a batched model.
        """
        self._require_unbatched("project")
        W = check_weights(w, self.d)
        if jnp.ndim(w) == 1:
            return self.linear_map(W)
        m, g, s = projection_normal_parts(self.joint.mu, self.joint.gamma, self.joint.L_Sigma, W)
        return batched_models(self._with_normal_part, m, g, s)

    def margin(self, columns):
        """The law of the coordinates ``columns`` of X (in that order): μ_c, γ_c, Σ_cc and the same subordinator.

        The linear map by the rows ``columns`` of the identity, done by indexing.

        Parameters
        ----------
        columns : int or sequence of int
            Distinct indices in [0, d) (an int gives a univariate law).

        Raises
        ------
        ValueError
            If an index is not an integer, is outside [0, d) or repeats; or on a batched model.
        """
        self._require_unbatched("margin")
        columns = check_columns(columns, self.d)
        return self._with_normal_part(*margin_normal_part(self.joint.mu, self.joint.gamma, self.joint.L_Sigma,
                                                          columns))

    def condition(self, columns, values):
        """The law of the other coordinates X_B given X_A = ``values`` (A = ``columns``): a GH law.

        p' = p − d_A/2, a' = a + γ_AᵀΣ_AA⁻¹γ_A, b' = b + (x_A − μ_A)ᵀΣ_AA⁻¹(x_A − μ_A),
        μ' = μ_B + Σ_BAΣ_AA⁻¹(x_A − μ_A), γ' = γ_B − Σ_BAΣ_AA⁻¹γ_A,
        Σ' = Σ_BB − Σ_BAΣ_AA⁻¹Σ_AB, with B the other coordinates in increasing order
        (derivation and which families stay closed: :func:`normix.mixtures.conditional.condition`).

        Parameters
        ----------
        columns : int or sequence of int
            The observed coordinates A: distinct indices in [0, d), fewer than d.
        values : array, shape (d_A,) or (S, d_A)
            The observed values, in the order of ``columns``; S scenarios at once give one
            batched GH with ``batch_shape == (S,)``.

        Returns
        -------
        GeneralizedHyperbolic
            Of dimension d − d_A.

        Raises
        ------
        ValueError
            Bad ``columns`` or ``values`` (shape, non-finite entries), or a conditional law
            that does not exist (b = 0, p <= d_A/2 and x_A = μ_A, where f_A is infinite).
        """
        return conditional.condition(self, columns, values)

    # ------------------------------------------------------------------- moments
    def _margin_parts(self):
        """(μ, γ, s, p, a, b) of every margin Xᵢ = μᵢ + γᵢY + sᵢ√Y Zᵢ, sᵢ = √Σᵢᵢ, batch axes in front."""
        p, a, b = (jnp.asarray(v)[..., None] for v in self.joint.gig_params())
        scale = jnp.sqrt(jnp.sum(self.joint.L_Sigma ** 2, axis=-1))
        return self.joint.mu, self.joint.gamma, scale, p, a, b

    def skewness(self):
        """Skewness E[(Xᵢ - EXᵢ)³] / Var[Xᵢ]^(3/2) of every margin, shape ``(*batch_shape, d)``.

        From the closed-form central moments of :mod:`normix.mixtures.moments`
        (Xᵢ = μᵢ + γᵢY + √Σᵢᵢ √Y Z).  +inf where E|Xᵢ|³ is infinite: only for an
        InverseGamma subordinator (NInvG; GH with a = 0) of shape α = -p, when α <= 3
        and γᵢ ≠ 0, or α <= 3/2 and γᵢ = 0 (where the skewness is 0 otherwise).
        """
        _, gamma, scale, p, a, b = self._margin_parts()
        return moments.skewness_and_kurtosis(gamma, scale, p, a, b)[0]

    def kurtosis(self):
        """Excess kurtosis E[(Xᵢ - EXᵢ)⁴] / Var[Xᵢ]² - 3 of every margin, shape ``(*batch_shape, d)``.

        Closed form as in :meth:`skewness`.  +inf where E|Xᵢ|⁴ is infinite: only for an
        InverseGamma subordinator of shape α = -p, when α <= 4 and γᵢ ≠ 0, or α <= 2
        and γᵢ = 0.
        """
        _, gamma, scale, p, a, b = self._margin_parts()
        return moments.skewness_and_kurtosis(gamma, scale, p, a, b)[1]

    def _univariate_parts(self, method):
        if self.joint.mu.shape[-1] != 1:
            raise ValueError(f"{method} is defined for univariate laws (d = 1), got d = {self.joint.mu.shape[-1]}; "
                             f"take a margin (model.margin(i)) or a projection (model.project(w)) first")
        mu, gamma, scale, p, a, b = self._margin_parts()
        return mu[..., 0], gamma[..., 0], scale[..., 0], p[..., 0], a[..., 0], b[..., 0]

    def moment(self, k):
        """Raw moment E[X^k] of a univariate law (d = 1), integer k >= 0, shape ``batch_shape``.

        E[(m + gY + s√Y Z)^k] = Σ_{i+j+l=k, l even} k!/(i! j! l!) m^i g^j s^l (l - 1)!! E[Y^(j + l/2)]
        with the subordinator's moments E[Y^r] in closed form
        (:func:`normix.mixtures.moments.subordinator_moment`).  +inf where E|X|^k is
        infinite, which happens only for an InverseGamma subordinator (NInvG; GH with
        a = 0) of shape α = -p: when k >= α and g ≠ 0, or k >= 2α and g = 0.

        Raises
        ------
        ValueError
            If k is not an integer >= 0, or d != 1.
        """
        k = moments.check_order(k)
        m, g, s, p, a, b = self._univariate_parts("moment")
        return moments.shifted_moment(k, m, g, s, p, a, b)

    def central_moment(self, k):
        """Central moment E[(X - EX)^k] of a univariate law (d = 1), integer k >= 0, shape ``batch_shape``.

        The expansion of :meth:`moment` with m replaced by -g E[Y] (X - EX = -gE[Y] + gY
        + s√Y Z); +inf exactly where :meth:`moment` is.

        Raises
        ------
        ValueError
            If k is not an integer >= 0, or d != 1.
        """
        k = moments.check_order(k)
        _, g, s, p, a, b = self._univariate_parts("central_moment")
        return moments.central_moment(k, g, s, p, a, b)


    def logcdf(self, x, backend="cpu"):
        """log P(X <= x) of a univariate law (d = 1), exact in the far lower tail (:mod:`normix.mixtures.univariate`).

        ``x`` broadcasts against ``batch_shape`` (the laws' axes last); ``backend='jax'``
        is jit-able and differentiable in x and the parameters.
        """
        return univariate.logcdf(self, x, backend)

    def logsf(self, x, backend="cpu"):
        """log P(X > x) of a univariate law (d = 1), integrated directly (exact in the far upper tail)."""
        return univariate.logsf(self, x, backend)

    def cdf(self, x, backend="cpu"):
        """P(X <= x) of a univariate law (d = 1); relative accuracy down to 1e-300."""
        return univariate.cdf(self, x, backend)

    def sf(self, x, backend="cpu"):
        """P(X > x) of a univariate law (d = 1); relative accuracy down to 1e-300."""
        return univariate.sf(self, x, backend)

    def ppf(self, q, backend="cpu"):
        """Quantile F⁻¹(q) of a univariate law (d = 1), q in [0, 1] (``ValueError`` outside)."""
        return univariate.ppf(self, q, backend)

    def isf(self, q, backend="cpu"):
        """The x with P(X > x) = q of a univariate law (d = 1), exact for tiny upper-tail q."""
        return univariate.isf(self, q, backend)
